"""Browser: Add repayment on a chargeback — a repayment link (copied, emailed, paid through the sandbox's
checkout, which the webhook pipeline records) and a manual repayment (issue 7)."""

import pytest
from playwright.sync_api import expect

from refunds.models import Repayment
from sandbox import provider as sandbox
from tests import factories
from transactions.models import Transaction

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chargeback(merchant):
    customer = factories.CustomerFactory(merchant=merchant, name="Jane Roe", email="jane.roe@example.org")
    purchase = factories.PurchaseFactory(customer=customer, merchant=merchant, one_time=True, amount=5000)
    charge = factories.TransactionFactory(
        customer=customer, purchase=purchase, amount=5000, status=Transaction.Status.CHARGED_BACK
    )
    return factories.TransactionFactory(
        customer=customer,
        purchase=purchase,
        parent=charge,
        chargeback=True,
        amount=5000,
        status=Transaction.Status.LOST,
        reason="fraudulent",
    )


def open_repayment(page, chargeback):
    page.goto(f"/customers/{chargeback.customer.public_id}/")
    product = page.locator(f"#product-{chargeback.purchase_id}")
    product.locator("details.product-txns summary").click()
    product.locator(f"#txn-{chargeback.pk}").get_by_role("link", name="Add repayment").click()
    modal = page.locator("#modal .modal")
    expect(modal.locator("#modal-title")).to_have_text("Add repayment", timeout=15_000)
    return modal


def chargeback_status(page, chargeback):
    page.wait_for_load_state("networkidle")
    page.reload()
    product = page.locator(f"#product-{chargeback.purchase_id}")
    product.locator("details.product-txns summary").click()
    return product.locator(f"#txn-{chargeback.pk} .badge")


def test_a_repayment_link_is_created_emailed_and_paid(
    page, sign_in, manager, chargeback, screenshot, mailoutbox
):
    sign_in(manager)
    modal = open_repayment(page, chargeback)
    expect(modal.locator("#repayment-outstanding")).to_have_text("€50.00")

    modal.locator("#repayment-link-submit").click()

    expect(modal.locator("#repayment-link-created")).to_contain_text("€50.00")
    link = Repayment.objects.get()
    expect(modal.get_by_role("textbox", name="Repayment link")).to_have_value(link.link_url)
    expect(modal.locator(f'#repayment-link-{link.pk} [data-copy="{link.link_url}"]')).to_be_visible()
    screenshot(page, "repayment-link", full_page=False)

    modal.get_by_role("button", name="Email it to the customer").click()
    expect(page.locator("#toasts")).to_contain_text("emailed to jane.roe@example.org")
    assert mailoutbox[0].to == ["jane.roe@example.org"] and link.link_url in mailoutbox[0].body

    sandbox.pay_checkout_session(chargeback.merchant, session_id=link.provider_link_id)  # the customer pays

    expect(chargeback_status(page, chargeback)).to_have_text("Repaid")
    link.refresh_from_db()
    assert link.status == Repayment.Status.PAID
    assert link.transaction.kind == Transaction.Kind.REPAYMENT and link.transaction.amount == 5000


def test_a_smaller_link_can_be_canceled(page, sign_in, manager, chargeback):
    sign_in(manager)
    modal = open_repayment(page, chargeback)
    modal.locator("input[name=link_amount]").fill("20")
    modal.locator("#repayment-link-submit").click()
    expect(modal.locator("#repayment-link-created")).to_contain_text("€20.00")
    expect(modal.locator("#repayment-reserved")).to_contain_text("€20.00 asked for by open links")

    modal.get_by_role("button", name="Cancel link").click()

    expect(page.locator("#toasts")).to_contain_text("Repayment link canceled")
    expect(modal.locator(".repayment-links")).to_have_count(0)
    assert Repayment.objects.get().status == Repayment.Status.CANCELED


def test_a_manual_repayment_is_recorded(page, sign_in, manager, chargeback, screenshot):
    sign_in(manager)
    modal = open_repayment(page, chargeback)

    modal.locator("label.radio-card", has_text="Manual repayment").click()
    expect(modal.locator("input[name=link_amount]")).to_be_hidden()
    modal.locator("input[name=amount]").fill("20,00")
    modal.locator("select[name=manual_method]").select_option("BANK_TRANSFER")
    modal.locator("input[name=reference]").fill("SEPA ref 2026-118")
    modal.locator("textarea[name=note]").fill("Paid after our phone call.")
    screenshot(page, "repayment-manual", full_page=False)
    modal.locator("#repayment-manual-submit").click()

    expect(page.locator("#toasts")).to_contain_text("Repayment of €20.00 recorded")
    expect(chargeback_status(page, chargeback)).to_have_text("Partially repaid")
    repayment = Repayment.objects.get()
    assert repayment.method == Repayment.Method.MANUAL and repayment.reference == "SEPA ref 2026-118"


def test_a_manual_repayment_above_the_outstanding_amount_is_refused(page, sign_in, manager, chargeback):
    sign_in(manager)
    modal = open_repayment(page, chargeback)

    modal.locator("label.radio-card", has_text="Manual repayment").click()
    modal.locator("input[name=amount]").fill("60")
    modal.locator("#repayment-manual-submit").click()

    expect(modal.locator(".errorlist")).to_contain_text("more than what is outstanding")
    assert not Repayment.objects.exists()
