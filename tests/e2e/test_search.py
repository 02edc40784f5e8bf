"""Browser test of the global search: "/" focuses the navigation's box (not while typing in a field), every
query form finds its object or opens it, a bad operator gets a message; screenshots at 1440, 1024, 768."""

from datetime import UTC, datetime

import pytest

from tests.factories import (
    CustomerFactory,
    CustomerIdentifierFactory,
    DisputeFactory,
    IdentifierFactory,
    InvoicePaymentFactory,
    PurchaseFactory,
    TransactionFactory,
)
from transactions.models import Transaction

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def data(merchant, other_merchant):
    ada = CustomerFactory(
        merchant=merchant, name="Ada Lovelace", email="ada@lovelace.example", public_id="ADA123LOVE45"
    )
    bob = CustomerFactory(merchant=merchant, name="Bob Stone", email="bob@stone.example")
    CustomerFactory(merchant=other_merchant, name="Ada Lovelace", email="ada@elsewhere.example")
    CustomerIdentifierFactory(customer=ada, identifier=IdentifierFactory(merchant=merchant, last4="1881"))
    purchase = PurchaseFactory(customer=ada, provider_subscription_id="sub_E2E1")
    charge = TransactionFactory(
        customer=ada,
        purchase=purchase,
        amount=4900,
        method_last4="1881",
        occurred_at=datetime(2026, 11, 5, 12, tzinfo=UTC),
        provider_id="ch_E2E1",
        provider_payment_intent_id="pi_E2E1",
    )
    refund = TransactionFactory(
        customer=bob, amount=12000, status=Transaction.Status.REFUNDED, provider_id="re_E2E1"
    )
    dispute = DisputeFactory(transaction__customer=bob, transaction__provider_id="dp_E2E1")
    InvoicePaymentFactory(merchant=merchant, provider_invoice_id="in_E2E1", payment_intent_id="pi_E2E1")
    return {"ada": ada, "bob": bob, "charge": charge, "refund": refund, "dispute": dispute}


def search(page, q):
    page.keyboard.press("/")
    box = page.locator("#nav-search-q")
    assert box.evaluate("el => el === document.activeElement")
    box.fill(q)
    box.press("Enter")
    page.wait_for_load_state("networkidle")


def test_search_every_query_form(page, sign_in, owner, data, screenshot):
    sign_in(owner)
    page.goto("/customers/")
    # "/" typed into a field stays in that field.
    list_box = page.locator("input[name=q]").first
    list_box.click()
    page.keyboard.type("a/b")
    assert list_box.input_value() == "a/b"
    page.locator("h1").click()

    ada, charge = data["ada"], data["charge"]
    redirects = {
        ada.provider_customer_id: f"/customers/{ada.public_id}/",
        ada.public_id: f"/customers/{ada.public_id}/",
        "sub_E2E1": f"/customers/{ada.public_id}/",
        "ch_E2E1": f"/transactions/{charge.pk}/",
        "pi_E2E1": f"/transactions/{charge.pk}/",
        "in_E2E1": f"/transactions/{charge.pk}/",
        "re_E2E1": f"/transactions/{data['refund'].pk}/",
        "dp_E2E1": f"/transactions/{data['dispute'].transaction.pk}/",
    }
    for q, path in redirects.items():
        search(page, q)
        assert page.url.endswith(path), (q, page.url)

    finds = {
        "Ada": "Ada Lovelace",
        "ada@lovelace.example": "Ada Lovelace",
        "email:bob@stone.example": "Bob Stone",
        "last4:1881": "ch_E2E1",
        "1881": "ch_E2E1",
        "49.00": "ch_E2E1",
        "49": "ch_E2E1",
        "amount:>100": "re_E2E1",
        "amount:<50": "ch_E2E1",
        "amount:>=120": "re_E2E1",
        "amount:<=49": "ch_E2E1",
        "amount:=120": "re_E2E1",
        "status:refunded": "re_E2E1",
        "date:2026-11": "ch_E2E1",
        "date:2026-11-05": "ch_E2E1",
        "Bob status:refunded": "re_E2E1",
    }
    for q, text in finds.items():
        search(page, q)
        assert "/search/" in page.url, q
        assert text in page.locator("#search-results").inner_text(), q
        assert "ada@elsewhere.example" not in page.content()

    search(page, "colour:red")
    assert "Unknown operator" in page.locator("#search-error").inner_text()

    search(page, "Ada")
    for width in (1440, 1024, 768):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"search-results-{width}")
        screenshot(page, f"search-nav-{width}", full_page=False)
        box = page.locator("#nav-search-q").bounding_box()
        assert box["x"] + box["width"] <= width, width
