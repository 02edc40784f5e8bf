"""Browser tests of issue 16 on the customer page: the Transactions tab (filter, page) and customer notes
(add, see in Activity); screenshots of the customers list and every tab at 1440, 1024 and 768 px."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories
from tests.e2e.htmx import settled
from transactions.models import Transaction

pytestmark = pytest.mark.django_db(transaction=True)
WIDTHS = (1440, 1024, 768)
TABS = ("details", "transactions", "stats", "info", "activity")


def _customer(merchant):
    now = timezone.now()
    customer = factories.CustomerFactory(
        merchant=merchant,
        name="Olivia Owens",
        email="olivia.owens@example.org",
        providers_used=["STRIPE"],
        first_purchase_at=now - timedelta(days=200),
    )
    purchase = factories.PurchaseFactory(customer=customer)
    for i in range(35):
        factories.TransactionFactory(
            customer=customer, purchase=purchase, amount=4900, occurred_at=now - timedelta(days=i + 1)
        )
    factories.TransactionFactory(
        customer=customer, purchase=purchase, kind=Transaction.Kind.REFUND, amount=1500, occurred_at=now
    )
    factories.TransactionFactory(customer=customer, amount=3000, currency="usd", occurred_at=now)
    factories.PaymentMethodFactory(customer=customer, is_default=True)
    return customer


def _no_horizontal_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_transactions_tab_filters_and_pages(page, sign_in, owner, merchant):
    customer = _customer(merchant)
    sign_in(owner)
    page.goto(f"/customers/{customer.public_id}/")

    page.click("#tab-transactions")
    page.wait_for_selector('[data-tab="transactions"]')
    settled(page)
    assert page.locator(".customer-txn-row").count() == 30
    page.locator("#customer-txn-results a", has_text="Older").click()
    expect(page.locator(".customer-txn-row")).to_have_count(7)
    assert "after=" in page.url
    settled(page)

    page.select_option("#id_type", "REFUND")
    expect(page.locator(".customer-txn-row")).to_have_count(1)
    assert "type=REFUND" in page.url
    assert "Refund" in page.locator(".customer-txn-row").inner_text()


def test_a_customer_note_is_added_and_shown_in_activity(page, sign_in, owner, merchant):
    customer = _customer(merchant)
    sign_in(owner)
    page.goto(f"/customers/{customer.public_id}/?tab=activity")

    page.fill("#customer-note-form textarea", "Called about the double charge; refund promised.")
    page.click("#customer-note-submit")
    page.wait_for_selector(".timeline-item:has-text('refund promised')")
    assert page.locator("text=refund promised").count() == 1

    page.fill("#customer-note-form textarea", "   ")
    page.click("#customer-note-submit")
    page.wait_for_selector("#customer-note-form .errorlist")


def test_screenshots_of_the_list_and_every_tab(page, sign_in, owner, merchant, screenshot):
    customer = _customer(merchant)
    for i in range(5):
        factories.TransactionFactory(customer=factories.CustomerFactory(merchant=merchant, name=f"Buyer {i}"))
    sign_in(owner)
    overflowing = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/customers/")
        screenshot(page, f"story-customers-list-{width}")
        if not _no_horizontal_overflow(page):
            overflowing.append(f"list@{width}")
        for tab in TABS:
            url = f"/customers/{customer.public_id}/"
            url += "transactions/" if tab == "transactions" else f"?tab={tab}"
            page.goto(url)
            page.wait_for_selector(f'[data-tab="{tab}"]')
            screenshot(page, f"story-customer-{tab}-{width}")
            if not _no_horizontal_overflow(page):
                overflowing.append(f"{tab}@{width}")
    assert overflowing == []
