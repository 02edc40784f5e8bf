"""Browser: the subscription Cancel, Cancel now and Recover modals on the customer page."""

import pytest
from playwright.sync_api import expect

from audit.models import AuditEvent
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


def _subscription(customer, **traits):
    return factories.PurchaseFactory(
        customer=customer, merchant=customer.merchant, product__name="Premium signals", **traits
    )


def _open(page, customer, purchase, button):
    page.goto(f"/customers/{customer.public_id}/")
    page.locator(f"#product-{purchase.pk} .product-actions").get_by_role(
        "link", name=button, exact=True
    ).click()
    modal = page.locator("#modal .modal")
    expect(modal).to_be_visible(timeout=15_000)
    return modal


def test_cancel_with_keep_active_schedules_the_end_of_the_period(page, sign_in, owner, customer, screenshot):
    purchase = _subscription(customer)
    sign_in(owner)

    modal = _open(page, customer, purchase, "Cancel")
    expect(modal).to_contain_text("Keep subscription active until the next expected rebill date")
    expect(modal).to_contain_text(f"{purchase.current_period_end_at:%-d %b %Y}")
    expect(modal.locator("#id_keep_active")).to_be_checked()
    screenshot(page, "cancel-subscription-modal")
    modal.locator("#subscription-cancel-submit").click()

    expect(page.locator("#modal .modal")).to_have_count(0)
    expect(page.locator(f"#product-{purchase.pk} .product-status")).to_contain_text("Cancels on")
    purchase.refresh_from_db()
    assert purchase.cancel_at_period_end and purchase.status == Purchase.Status.ACTIVE


def test_cancel_unticked_ends_the_subscription_now(page, sign_in, owner, customer):
    purchase = _subscription(customer)
    sign_in(owner)

    modal = _open(page, customer, purchase, "Cancel")
    modal.locator("#id_keep_active").uncheck()
    modal.locator("#subscription-cancel-submit").click()

    expect(page.locator("#modal .modal")).to_have_count(0)
    expect(page.locator(f"#product-{purchase.pk} .product-status")).to_contain_text("Canceled")
    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.CANCELED


def test_cancel_now_on_a_scheduled_subscription(page, sign_in, owner, customer, screenshot):
    purchase = _subscription(customer, scheduled=True)
    sign_in(owner)

    modal = _open(page, customer, purchase, "Cancel now")
    expect(modal).to_contain_text("already scheduled to cancel on")
    screenshot(page, "cancel-now-modal")
    modal.locator("#subscription-cancel-now-submit").click()

    expect(page.locator("#modal .modal")).to_have_count(0)
    expect(page.locator(f"#product-{purchase.pk} .product-status")).to_contain_text("Canceled")
    assert AuditEvent.objects.filter(action="subscription.cancel_now", actor=owner).exists()


def test_recover_clears_the_schedule(page, sign_in, owner, customer, screenshot):
    purchase = _subscription(customer, scheduled=True)
    sign_in(owner)

    modal = _open(page, customer, purchase, "Recover")
    expect(modal).to_contain_text("renews as before")
    screenshot(page, "recover-modal")
    modal.locator("#subscription-recover-submit").click()

    expect(page.locator("#modal .modal")).to_have_count(0)
    expect(page.locator(f"#product-{purchase.pk} .product-status")).to_contain_text("Active")
    purchase.refresh_from_db()
    assert purchase.cancel_at_period_end is False


def test_keep_subscription_closes_the_modal_without_changes(page, sign_in, owner, customer):
    purchase = _subscription(customer)
    sign_in(owner)

    modal = _open(page, customer, purchase, "Cancel")
    modal.get_by_role("link", name="Keep subscription").click()

    expect(page.locator("#modal .modal")).to_have_count(0)
    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.ACTIVE and not purchase.cancel_at_period_end
