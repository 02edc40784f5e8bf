"""Staff follow the webhook inbox: filter failed events, open one, replay it, and see it applied."""

import pytest

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
