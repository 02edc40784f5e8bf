"""The Webhooks pages: the inbox list, an event's detail, and replay (managers only)."""

import pytest
from django.urls import reverse

from providers.models import ProviderEvent
from tests import factories

pytestmark = pytest.mark.django_db


def _event(merchant, **kw):
    return factories.ProviderEventFactory(merchant=merchant, **kw)


def test_the_list_shows_this_merchants_events_filtered_by_status(support_client, merchant, other_merchant):
    _event(merchant, type="charge.succeeded", status="PROCESSED")
    _event(merchant, type="charge.dispute.created", status="FAILED", error="NotYetKnown: charge ch_1")
    _event(other_merchant, type="customer.created", status="FAILED")

    response = support_client.get(reverse("providers:events"), {"status": "FAILED"})

    assert response.status_code == 200
    assert [e.type for e in response.context["events"]] == ["charge.dispute.created"]


def test_the_list_pages_with_a_keyset_cursor(support_client, merchant, django_assert_max_num_queries):
    for _ in range(55):
        _event(merchant)

    with django_assert_max_num_queries(8):
        first = support_client.get(reverse("providers:events"))
    second = support_client.get(reverse("providers:events") + first.context["next_url"])

    assert len(first.context["events"]) == 50 and len(second.context["events"]) == 5
    assert not set(e.pk for e in first.context["events"]) & set(e.pk for e in second.context["events"])


def test_the_detail_shows_the_payload(support_client, merchant):
    event = _event(merchant, payload={"id": "evt_1", "object": "event", "type": "x"})

    response = support_client.get(reverse("providers:event-detail", args=[event.pk]))

    assert response.status_code == 200
    assert "&quot;evt_1&quot;" in response.content.decode()


def test_another_merchants_event_is_404(other_client, merchant):
    event = _event(merchant)

    assert other_client.get(reverse("providers:event-detail", args=[event.pk])).status_code == 404
    assert other_client.post(reverse("providers:event-replay", args=[event.pk])).status_code == 404


def test_support_cannot_replay(support_client, merchant):
    event = _event(merchant, status="FAILED")

    response = support_client.post(reverse("providers:event-replay", args=[event.pk]))

    assert response.status_code == 403
    event.refresh_from_db()
    assert event.status == "FAILED"


def test_a_manager_replays_a_failed_event_and_it_is_applied(
    manager_client, merchant, django_capture_on_commit_callbacks
):
    from . import stripe_payloads as sp

    payload = sp.event("customer.created", sp.customer(id="cus_RP"))
    event = _event(merchant, status="FAILED", type="customer.created", payload=payload, error="boom")

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(reverse("providers:event-replay", args=[event.pk]))

    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.status, event.error, event.customer.provider_customer_id) == ("PROCESSED", "", "cus_RP")


def test_a_processed_event_cannot_be_replayed(manager_client, merchant):
    event = _event(merchant, status="PROCESSED")

    manager_client.post(reverse("providers:event-replay", args=[event.pk]))

    event.refresh_from_db()
    assert event.status == ProviderEvent.Status.PROCESSED and event.attempts == 0


def test_replay_events_command_requeues_failed_events(merchant):
    from django.core.management import call_command

    from . import stripe_payloads as sp

    event = _event(
        merchant,
        status="FAILED",
        type="customer.created",
        payload=sp.event("customer.created", sp.customer(id="cus_CMD")),
    )

    call_command("replay_events", "--merchant", merchant.slug, "--sync", stdout=open("/dev/null", "w"))

    event.refresh_from_db()
    assert event.status == "PROCESSED"
