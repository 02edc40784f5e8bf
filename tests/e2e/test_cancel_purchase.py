"""Browser: the Purchases table's "Cancel purchase" modal with the typed confirmation."""

import pytest
from playwright.sync_api import expect

from purchases.models import Purchase
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _patient_expect():
    """The shared 2-core machine can be slow: wait up to 15 s for the page to settle, then restore."""
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def customer(merchant):
    return factories.CustomerFactory(merchant=merchant, name="Jane Roe", email="jane.roe@example.org")


def _open(page, customer, purchase):
    page.goto(f"/customers/{customer.public_id}/")
    page.locator(f"#product-{purchase.pk}").get_by_role("link", name="Cancel purchase").click()
    modal = page.locator("#modal .modal")
    expect(modal).to_be_visible(timeout=15_000)
    return modal


def test_a_subscription_is_canceled_after_typing_the_phrase(page, sign_in, owner, customer, screenshot):
    purchase = factories.PurchaseFactory(
        customer=customer, merchant=customer.merchant, product__name="Gold room"
    )
    sign_in(owner)

    modal = _open(page, customer, purchase)
    expect(modal).to_contain_text("will revoke the customer's access")
    expect(modal).to_contain_text("does not refund money")
    expect(modal.locator(".when-to-cancel")).to_contain_text("At the end of the period")
    submit = modal.locator("#purchase-cancel-submit")
    expect(submit).to_be_disabled()
    modal.locator("#id_confirmation").fill("CANCEL PURCHASE")
    expect(submit).to_be_enabled()
    screenshot(page, "cancel-purchase-modal")
    submit.click()

    expect(page.locator("#modal .modal")).to_have_count(0)
    expect(page.locator(f"#product-{purchase.pk} .product-status")).to_contain_text("Canceled")


def test_a_mistyped_phrase_keeps_the_button_disabled_and_the_server_refuses_it(
    page, sign_in, owner, customer, screenshot
):
    purchase = factories.PurchaseFactory(customer=customer, merchant=customer.merchant, one_time=True)
    sign_in(owner)

    modal = _open(page, customer, purchase)
    expect(modal.locator(".when-to-cancel")).to_have_count(0)
    expect(modal).to_contain_text("access is revoked immediately")
    modal.locator("#id_confirmation").fill("cancel purchase")
    expect(modal.locator("#purchase-cancel-submit")).to_be_disabled()
    # Force the POST past the disabled button: the server checks the phrase too.
    page.evaluate("document.querySelector('#purchase-cancel-submit').disabled = false")
    modal.locator("#purchase-cancel-submit").click()

    expect(page.locator("#modal .alert-danger")).to_contain_text("Type CANCEL PURCHASE exactly to confirm.")
    screenshot(page, "cancel-purchase-mistyped")
    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.ACTIVE


def test_keep_purchase_closes_the_modal(page, sign_in, owner, customer):
    purchase = factories.PurchaseFactory(customer=customer, merchant=customer.merchant, access_code=True)
    sign_in(owner)

    modal = _open(page, customer, purchase)
    modal.get_by_role("link", name="Keep purchase").click()

    expect(page.locator("#modal .modal")).to_have_count(0)
    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.ACTIVE


def test_at_the_end_of_the_period(page, sign_in, owner, customer):
    purchase = factories.PurchaseFactory(customer=customer, merchant=customer.merchant)
    sign_in(owner)

    modal = _open(page, customer, purchase)
    modal.locator("label.radio-card", has_text="At the end of the period").click()
    modal.locator("#id_confirmation").fill("CANCEL PURCHASE")
    modal.locator("#purchase-cancel-submit").click()

    expect(page.locator("#modal .modal")).to_have_count(0)
    expect(page.locator(f"#product-{purchase.pk} .product-status")).to_contain_text("Cancels on")
