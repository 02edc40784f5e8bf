"""Browser: every staff page and every modal, at 1440, 1024 and 768 px, fits its viewport (nothing pokes out
to the right, the modal stays on screen) and is saved as a screenshot to look at.

The customer page's tabs and the modal openers are found on the page itself (every `[role=tab]`, every link
that opens `#modal`), so a new tab or a new modal is walked, measured and photographed without a change here.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories
from tests.e2e.test_defects16 import _fits
from transactions.models import Dispute, Transaction

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (1440, 1024, 768)


@pytest.fixture
def book(merchant, owner):
    """A customer with every kind of product, a disputed chargeback, a scheduled cancellation, a note and a
    customer linked by a shared card."""
    now = timezone.now()
    customer = factories.CustomerFactory(
        merchant=merchant,
        name="Maria Schneider",
        email="maria.schneider@example.org",
        first_purchase_at=now - timedelta(days=400),
    )
    subscription = factories.PurchaseFactory(customer=customer, merchant=merchant)
    scheduled = factories.PurchaseFactory(
        customer=customer,
        merchant=merchant,
        cancel_at_period_end=True,
        current_period_end_at=now + timedelta(days=6),
    )
    one_time = factories.PurchaseFactory(customer=customer, merchant=merchant, one_time=True, amount=5000)
    factories.PurchaseFactory(
        customer=customer, merchant=merchant, access_code=True, access_expires_at=now + timedelta(days=30)
    )
    for i, purchase in enumerate((subscription, subscription, scheduled)):
        factories.TransactionFactory(
            customer=customer, purchase=purchase, occurred_at=now - timedelta(days=30 * i)
        )
    charge = factories.TransactionFactory(
        customer=customer, purchase=one_time, amount=5000, status=Transaction.Status.CHARGED_BACK
    )
    chargeback = factories.TransactionFactory(
        customer=customer, purchase=one_time, parent=charge, chargeback=True, amount=5000, reason="fraudulent"
    )
    factories.DisputeFactory(
        merchant=merchant,
        transaction=chargeback,
        status=Dispute.Status.NEEDS_RESPONSE,
        due_by=now + timedelta(days=2),
    )
    factories.NoteFactory(transaction=charge, merchant=merchant, author=owner, body="Asked for a receipt.")
    # A customer sharing Maria's card: the Info tab's Linked customers panel and Block all linked.
    card = factories.IdentifierFactory(merchant=merchant)
    twin = factories.CustomerFactory(merchant=merchant, name="Mario Schneider")
    for who in (customer, twin):
        factories.CustomerIdentifierFactory(customer=who, identifier=card)
    return {"customer": customer, "charge": charge, "chargeback": chargeback}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "modal"


def _assert_fits(page, what):
    fit = _fits(page)
    assert fit["scroll"] <= fit["width"] and fit["out"] == [], (what, fit)


def _assert_modal_on_screen(page, what, width):
    box = page.locator("#modal .modal").first.bounding_box()
    assert box is not None, what
    assert box["x"] >= -1 and box["x"] + box["width"] <= width + 1, (what, box)


def _walk_modals(page, scope, width, shot, prefix, seen):
    """Opens every modal link inside `scope`, checks it fits and photographs it, and closes it with Escape."""
    openers = page.locator(f'{scope} a[hx-target="#modal"]:visible')
    for index in range(openers.count()):
        opener = page.locator(f'{scope} a[hx-target="#modal"]:visible').nth(index)
        label = (opener.inner_text() or opener.get_attribute("aria-label") or "modal").strip()
        opener.click()
        modal = page.locator("#modal .modal")
        expect(modal).to_be_visible()
        title = page.locator("#modal #modal-title")
        name = _slug(title.inner_text() if title.count() else label)
        _assert_modal_on_screen(page, name, width)
        if name not in seen:
            seen.add(name)
            shot(page, f"screens-{prefix}-{name}-{width}", full_page=False)
        page.keyboard.press("Escape")
        expect(modal).to_have_count(0)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_and_modal_fits_at_each_width(page, sign_in, owner, book, screenshot, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(owner)
    customer = book["customer"]

    for name, url in (
        ("customers-list", "/customers/"),
        ("transactions-list", "/transactions/"),
        ("disputes-list", "/transactions/disputes/"),
        ("access-codes", "/access-codes/"),
        ("audit", "/audit/"),
        ("staff", "/staff/"),
        ("webhooks", "/events/"),
        ("telegram-chats", "/telegram/chats/"),
        ("settings-business", "/settings/business/"),
        ("preferences", "/accounts/preferences/"),
        ("transaction", f"/transactions/{book['charge'].pk}/"),
        ("chargeback", f"/transactions/{book['chargeback'].pk}/"),
    ):
        response = page.goto(url)
        assert response.status == 200, (url, response.status)
        _assert_fits(page, name)
        screenshot(page, f"screens-{name}-{width}")

    seen: set[str] = set()
    for url, prefix in (
        (f"/transactions/{book['charge'].pk}/", "transaction"),
        (f"/transactions/{book['chargeback'].pk}/", "chargeback"),
        ("/staff/", "staff"),
    ):
        page.goto(url)
        _walk_modals(page, "main", width, screenshot, prefix, seen)

    page.goto(f"/customers/{customer.public_id}/")
    tabs = page.locator("[role=tab]")
    names = [tabs.nth(i).get_attribute("id") for i in range(tabs.count())]
    assert len(names) >= 4, names
    for tab_id in names:
        page.locator(f"#{tab_id}").click()
        expect(page.locator(f"#{tab_id}")).to_have_attribute("aria-selected", "true")
        page.wait_for_load_state("networkidle")
        _assert_fits(page, tab_id)
        screenshot(page, f"screens-customer-{tab_id}-{width}")

    page.goto(f"/customers/{customer.public_id}/")
    for details in page.locator("details.product-txns summary").all():
        details.click()
    expect(page.locator(f"#txn-{book['chargeback'].pk}")).to_be_visible(timeout=15_000)
    _assert_fits(page, "customer page, every product open")
    _walk_modals(page, "main", width, screenshot, "customer", seen)
    page.goto(f"/customers/{customer.public_id}/?tab=info")  # the Info tab's modals (block log, block linked)
    _walk_modals(page, "#customer-tabs", width, screenshot, "customer", seen)
    assert "block-all-linked-customers" in seen
    assert len(seen) >= 8, sorted(seen)  # every modal of the staff page, the transactions and the customer
