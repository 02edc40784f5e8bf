"""Staff follow the webhook inbox: filter failed or waiting events, open one, replay it, see it applied."""

import pytest
from django.utils import timezone

from providers.inbox import event_store
from providers.inbox_apply import event_process
from providers.models import ProviderEvent
from tests import factories
from tests.providers import stripe_payloads as sp

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_replays_a_failed_event_from_the_webhooks_page(
    page, sign_in, screenshot, merchant, manager
):
    factories.ProviderEventFactory(merchant=merchant, type="charge.succeeded", status="PROCESSED", attempts=1)
    failed = factories.ProviderEventFactory(
        merchant=merchant,
        type="customer.created",
        status="FAILED",
        attempts=5,
        error="OperationalError: the database was restarting",
        payload=sp.event("customer.created", sp.customer(id="cus_E2E", name="Replayed Rita")),
    )
    sign_in(manager)

    page.goto("/events/?status=FAILED")
    assert page.locator(".events-table tbody tr").count() == 1
    screenshot(page, "webhook-events-failed")
    page.click("text=customer.created")
    page.wait_for_load_state("networkidle")
    screenshot(page, "webhook-event-detail")
    page.click("button:has-text('Replay')")
    page.wait_for_load_state("networkidle")

    failed.refresh_from_db()
    assert failed.status == ProviderEvent.Status.PROCESSED
    assert failed.customer.name == "Replayed Rita"
    assert page.locator("text=Processed").first.is_visible()
    screenshot(page, "webhook-event-replayed")


def test_support_sees_a_refund_waiting_for_its_charge_until_the_charge_arrives(
    page, sign_in, screenshot, merchant, support
):
    def deliver(event):
        stored, _ = event_store(merchant=merchant, event=event, now=timezone.now())
        return event_process(event_id=stored.pk, now=timezone.now())

    waiting = deliver(sp.event("refund.created", sp.refund("ch_E2E_LATE", 500, id="re_E2E_LATE")))
    assert waiting.status == ProviderEvent.Status.WAITING
    sign_in(support)

    page.goto("/events/")
    page.select_option("#event-status", "WAITING")
    page.click("button:has-text('Filter')")
    page.wait_for_load_state("networkidle")

    rows = page.locator(".events-table tbody tr")
    assert rows.count() == 1
    assert "Waiting for charge ch_E2E_LATE since" in rows.first.inner_text()
    screenshot(page, "webhook-events-waiting")

    deliver(sp.event("charge.succeeded", sp.charge(id="ch_E2E_LATE", amount=500)))
    page.reload()
    assert "No events match." in page.locator(".events-table").inner_text()
    page.goto(f"/events/{waiting.pk}/")
    assert "after waiting" in page.locator(".dl").first.inner_text()
    screenshot(page, "webhook-event-applied-after-waiting")
