"""Browser: the credit modal from the customer page — full, partial, SEPA without and with the risk box,
block all (issue 7). The SandboxProvider (the default) answers like Stripe and emits the refund events."""

import pytest
from playwright.sync_api import expect

from customers.models import BlockEvent, Identifier
from payments.base import ProviderError
from refunds.models import Credit
from tests import factories, sandbox_failures
from transactions.models import Transaction

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_radar(monkeypatch):
    monkeypatch.setattr("customers.tasks.provider_mirrors_radar", lambda merchant: False)
    yield
    sandbox_failures.reset_failures()


@pytest.fixture
def purchase(merchant):
    customer = factories.CustomerFactory(merchant=merchant, name="Jane Roe", email="jane.roe@example.org")
    return factories.PurchaseFactory(customer=customer, merchant=merchant, one_time=True, amount=5000)


def charge_of(purchase, **fields):
    return factories.TransactionFactory(customer=purchase.customer, purchase=purchase, amount=5000, **fields)


def open_credit(page, purchase, charge):
    """Customer page -> the product's transactions -> Credit on the charge's row."""
    page.goto(f"/customers/{purchase.customer.public_id}/")
    product = page.locator(f"#product-{purchase.pk}")
    product.locator("details.product-txns summary").click()
    product.locator(f"#txn-{charge.pk}").get_by_role("link", name="Credit").click()
    modal = page.locator("#modal .modal")
    expect(modal.locator("#modal-title")).to_have_text("Credit transaction", timeout=15_000)
    return modal


def charge_row_status(page, purchase, charge):
    """The charge's status badge on the customer page, freshly loaded (the panels refresh asynchronously)."""
    page.wait_for_load_state("networkidle")
    page.reload()
    product = page.locator(f"#product-{purchase.pk}")
    product.locator("details.product-txns summary").click()
    return product.locator(f"#txn-{charge.pk} .badge")


def test_a_full_credit_refunds_the_charge(page, sign_in, owner, purchase):
    charge = charge_of(purchase)
    sign_in(owner)
    modal = open_credit(page, purchase, charge)
    expect(modal.locator("#credit-remaining")).to_have_text("€50.00")

    modal.locator("label.radio-card", has_text="Requested by customer").click()
    modal.locator("#credit-submit").click()

    expect(page.locator("#modal .modal")).to_have_count(0)
    expect(page.locator("#toasts")).to_contain_text("Credited €50.00")
    expect(charge_row_status(page, purchase, charge)).to_have_text("Refunded")
    charge.refresh_from_db()
    assert (
        charge.status == Transaction.Status.REFUNDED
        and Credit.objects.get().status == Credit.Status.SUCCEEDED
    )


def test_a_partial_credit_then_the_remaining_balance(page, sign_in, owner, purchase, screenshot):
    charge = charge_of(purchase)
    sign_in(owner)
    modal = open_credit(page, purchase, charge)
    amount = modal.locator("input[name=amount]")
    expect(amount).to_be_hidden()

    modal.locator("label.radio-card", has_text="Partial").click()
    amount.fill("12,50")
    modal.locator("label.radio-card", has_text="Duplicate").click()
    screenshot(page, "credit-modal", full_page=False)
    modal.locator("#credit-submit").click()

    expect(page.locator("#toasts")).to_contain_text("Credited €12.50")
    expect(charge_row_status(page, purchase, charge)).to_have_text("Partially refunded")

    modal = open_credit(page, purchase, charge)
    expect(modal.locator("#credit-remaining")).to_have_text("€37.50")
    modal.locator("label.radio-card", has_text="Partial").click()
    modal.locator("input[name=amount]").fill("40")
    modal.locator("label.radio-card", has_text="Duplicate").click()
    modal.locator("#credit-submit").click()
    expect(modal.locator(".errorlist")).to_contain_text("more than the remaining balance of €37.50")
    assert Credit.objects.count() == 1


def test_a_sepa_charge_needs_the_risk_box_and_cannot_be_credited_partially(
    page, sign_in, owner, purchase, screenshot
):
    charge = charge_of(purchase, sepa=True)
    sign_in(owner)
    modal = open_credit(page, purchase, charge)
    expect(modal.locator("input[name=mode][value=PARTIAL]")).to_be_disabled()
    expect(modal.locator("#credit-partial-option")).to_contain_text("Not possible for SEPA and wire payments")

    modal.locator("label.radio-card", has_text="Requested by customer").click()
    modal.locator("#credit-submit").click()
    expect(modal.locator(".risk-box .errorlist")).to_contain_text("I understand the risk and want to proceed")
    screenshot(page, "credit-modal-sepa", full_page=False)
    assert not Credit.objects.exists()

    modal.get_by_label("I understand the risk and want to proceed").check()
    modal.locator("#credit-submit").click()

    expect(page.locator("#toasts")).to_contain_text("Credited €50.00")
    credit = Credit.objects.get()
    assert credit.risk_acknowledged and credit.status == Credit.Status.SUCCEEDED


def test_block_all_blocks_every_detail_of_the_customer(page, sign_in, owner, purchase):
    charge = charge_of(purchase)
    card = factories.IdentifierFactory(merchant=purchase.merchant)
    factories.CustomerIdentifierFactory(customer=purchase.customer, identifier=card)
    sign_in(owner)
    modal = open_credit(page, purchase, charge)

    modal.locator("label.radio-card", has_text="Fraudulent").click()
    modal.get_by_label("Block all customer details").check()
    modal.locator("#credit-submit").click()

    expect(page.locator("#toasts")).to_contain_text("Credited €50.00")
    details = Identifier.objects.filter(customers=purchase.customer)
    assert details.filter(kind=Identifier.Kind.CUSTOMER_ID).exists()
    assert all(detail.is_blocked for detail in details)
    assert set(BlockEvent.objects.values_list("source", flat=True)) == {BlockEvent.Source.CREDIT}


def test_the_providers_refusal_is_shown_in_the_modal(page, sign_in, owner, purchase):
    charge = charge_of(purchase)
    sign_in(owner)
    modal = open_credit(page, purchase, charge)
    sandbox_failures.fail_next(
        ProviderError("Charge ch_x has been charged back; cannot issue a refund."),
        method="refund_create",
    )

    modal.locator("label.radio-card", has_text="Duplicate").click()
    modal.locator("#credit-submit").click()

    expect(modal.locator("#form-errors")).to_contain_text(
        "The provider refused the credit: Charge ch_x has been"
    )
    assert Credit.objects.get().status == Credit.Status.FAILED
