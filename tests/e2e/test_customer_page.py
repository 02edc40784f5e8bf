"""Browser test of the customer page: every tab, a product's transactions, a transaction's details, a note."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audit.models import AuditEvent
from tests import factories
from tests.e2e.htmx import settled

pytestmark = pytest.mark.django_db(transaction=True)


def _demo_customer(merchant, owner):
    now = timezone.now()
    customer = factories.CustomerFactory(
        merchant=merchant,
        name="Maria Schneider",
        email="maria.schneider@example.org",
        country="DE",
        provider_customer_id="cus_QxW8mT2kLp",
        providers_used=["STRIPE", "ACCESS_CODE"],
        first_purchase_at=now - timedelta(days=330),
    )
    card = factories.IdentifierFactory(merchant=merchant, value="fp_maria_visa", country="DE")
    sepa = factories.IdentifierFactory(merchant=merchant, sepa=True, value="fp_maria_iban")
    email = factories.IdentifierFactory(merchant=merchant, email=True, value="maria.schneider@example.org")
    cus = factories.IdentifierFactory(merchant=merchant, customer_id=True, value="cus_QxW8mT2kLp")
    old_card = factories.IdentifierFactory(
        merchant=merchant,
        value="fp_maria_mc",
        brand="mastercard",
        last4="5454",
        exp_month=11,
        exp_year=2025,
        blocked=True,
        radar_status="SYNCED",
    )
    for identifier in (card, sepa, email, cus, old_card):
        factories.CustomerIdentifierFactory(customer=customer, identifier=identifier, last_seen_at=now)
    factories.CustomerIdentifierFactory(customer__merchant=merchant, identifier=old_card)
    factories.BlockEventFactory(
        identifier=old_card,
        actor=owner,
        reason="CHARGEBACK_ABUSE",
        customer=customer,
        created_at=now - timedelta(days=20),
    )
    factories.PaymentMethodFactory(
        customer=customer,
        identifier=card,
        is_default=True,
        last4="4242",
        exp_month=4,
        exp_year=2028,
        country="DE",
    )
    factories.PaymentMethodFactory(
        customer=customer,
        identifier=sepa,
        type="sepa_debit",
        brand="",
        last4="3000",
        exp_month=None,
        exp_year=None,
        bank_name="Deutsche Bank",
    )
    factories.PaymentMethodFactory(
        customer=customer, identifier=old_card, brand="mastercard", last4="5454", exp_month=11, exp_year=2025
    )

    premium = factories.PurchaseFactory(
        customer=customer, product__name="Premium Signals (monthly)", started_at=now - timedelta(days=330)
    )
    factories.PurchaseFactory(
        customer=customer,
        product__name="Crypto Insider (yearly)",
        scheduled=True,
        amount=9900,
        interval="year",
        started_at=now - timedelta(days=200),
    )
    course = factories.PurchaseFactory(
        customer=customer,
        one_time=True,
        product__name="Trading Masterclass",
        amount=14900,
        started_at=now - timedelta(days=150),
    )
    factories.PurchaseFactory(
        customer=customer, access_code=True, product__name="VIP Lounge", started_at=now - timedelta(days=60)
    )
    grant_purchase = factories.PurchaseFactory(
        customer=customer, canceled=True, product__name="Weekend Club", started_at=now - timedelta(days=90)
    )
    factories.AccessGrantFactory(
        purchase=grant_purchase,
        status="REVOKE_PENDING",
        last_error="Bot lacks the ban_members right in the chat",
    )
    charges = []
    for month in range(11):
        charges.append(
            factories.TransactionFactory(
                customer=customer,
                purchase=premium,
                amount=1999,
                identifier=card,
                statement_descriptor="ACME*PREMIUM",
                occurred_at=now - timedelta(days=30 * month + 2),
                description="Please invoice to Schneider GmbH" if month == 0 else "",
            )
        )
    charges[3].status, charges[3].refunded_amount = "REFUNDED", 1999
    charges[3].save()
    factories.TransactionFactory(
        customer=customer,
        purchase=premium,
        refund=True,
        amount=1999,
        parent=charges[3],
        occurred_at=charges[3].occurred_at + timedelta(days=1),
    )
    factories.TransactionFactory(
        customer=customer,
        purchase=premium,
        chargeback=True,
        amount=1999,
        parent=charges[6],
        occurred_at=charges[6].occurred_at + timedelta(days=9),
        reason="fraudulent",
    )
    factories.TransactionFactory(
        customer=customer,
        purchase=course,
        amount=14900,
        sepa=True,
        identifier=sepa,
        occurred_at=now - timedelta(days=150),
    )
    for event_type, status, error in (
        ("charge.succeeded", "PROCESSED", ""),
        ("payment_intent.succeeded", "PROCESSED", ""),
        ("charge.updated", "FAILED", "Transaction not found yet; will retry"),
    ):
        event = factories.ProviderEventFactory(
            merchant=merchant,
            customer=customer,
            type=event_type,
            status=status,
            error=error,
            attempts=1,
            object_id=charges[0].provider_id,
            processed_at=now - timedelta(days=2),
            received_at=now - timedelta(days=2),
            payload={
                "id": "evt_1",
                "type": event_type,
                "data": {
                    "object": {
                        "id": charges[0].provider_id,
                        "object": "charge",
                        "amount": 1999,
                        "currency": "eur",
                    }
                },
            },
        )
        event.transactions.add(charges[0])
    factories.ProviderEventFactory(
        merchant=merchant,
        customer=customer,
        purchase=premium,
        type="customer.subscription.updated",
        status="PROCESSED",
        received_at=now - timedelta(days=5),
    )
    AuditEvent.objects.create(
        merchant=merchant,
        actor=owner,
        action="customer.block_all",  # identifier.block is shown once, as the block log's row
        customer=customer,
        target_type="customers.Customer",
        target_id=str(customer.pk),
        target_repr=str(customer),
        created_at=now - timedelta(days=20),
    )
    return customer, charges[0]


def test_staff_walk_through_the_customer_page(page, sign_in, owner, merchant, screenshot):
    customer, last_charge = _demo_customer(merchant, owner)
    sign_in(owner)

    page.goto(f"/customers/{customer.public_id}/")
    assert page.locator("h1.customer-name").inner_text().startswith("Maria Schneider")
    assert page.locator("[data-tab=details]").is_visible()
    screenshot(page, "customer-details")
    page.click("#manage-details")  # the header's entry to the block / unblock modal (issue 5)
    page.wait_for_selector("#modal .modal")
    page.keyboard.press("Escape")
    page.wait_for_selector("#modal .modal", state="detached")

    page.click("#tab-stats")
    page.wait_for_selector("[data-tab=stats]")
    assert "tab=stats" in page.url
    assert page.locator(".chart-svg rect.chart-sales").count() == 12
    screenshot(page, "customer-stats")

    page.click("#tab-info")
    page.wait_for_selector("[data-tab=info]")
    assert page.locator(".info-table tbody tr").count() == 5
    page.locator(".info-table tr", has_text="5454").locator(".log-link").click()
    page.wait_for_selector("#modal .identifier-log")
    page.click("#modal [data-modal-close].btn")
    screenshot(page, "customer-info")

    page.click("#tab-activity")
    page.wait_for_selector("[data-tab=activity]")
    settled(page)
    page.select_option("#activity-kind", "staff")
    page.wait_for_url("**kind=staff**")
    expect(page.locator(".timeline-item")).to_have_count(1)
    settled(page)
    page.select_option("#activity-kind", "")
    expect(page).to_have_url(re.compile(r"kind=$"))
    expect(page.locator(".timeline-item").nth(5)).to_be_visible()
    screenshot(page, "customer-activity")

    product = page.locator(".product", has_text="Premium Signals")
    product.get_by_role("link", name="Cancel", exact=True).click()  # the cancel modal opens inside #modal
    page.wait_for_selector("#modal .modal")
    page.keyboard.press("Escape")
    page.wait_for_selector("#modal .modal", state="detached")
    product.locator("details.product-txns > summary").click()
    product.locator(".product-txns-body table").wait_for()
    product.locator("details.product-details > summary").click()
    assert product.locator(".txn-table tbody tr").count() == 13
    page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar would otherwise be painted mid-page
    screenshot(page, "customer-products")

    product.locator(f"a[href='/transactions/{last_charge.pk}/']").first.click()
    page.wait_for_selector("#txn-ipn")
    assert page.locator(".ipn").count() == 3
    page.locator(".ipn details summary").first.click()
    page.fill("textarea[name=body]", "Customer asked for an invoice; sent by email.")
    page.click("#add-note")
    page.wait_for_selector("#txn-notes .note-body")
    assert "sent by email" in page.locator("#txn-notes").inner_text()
    screenshot(page, "transaction-detail")
