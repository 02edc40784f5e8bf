"""The Webhooks pages: the inbox list, an event's detail, and replay (managers only)."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from common.dates import format_moment
from providers.models import ProviderEvent
from providers.stripe import STRIPE_API_VERSION
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

    with django_assert_max_num_queries(
        9
    ):  # the page, the session and the navigation (switcher, disputes due)
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

    call_command("replay_events", "--merchant", merchant.slug, "--sync", stdout=io.StringIO())

    event.refresh_from_db()
    assert event.status == "PROCESSED"


def test_the_waiting_filter_shows_what_each_event_waits_for_and_since_when(support_client, merchant):
    since = timezone.now() - timedelta(minutes=2)
    _event(
        merchant,
        type="charge.dispute.created",
        status="WAITING",
        waiting_for_type="charge",
        waiting_for_id="ch_PARENT1",
        waiting_since=since,
    )
    _event(merchant, type="charge.succeeded", status="PROCESSED")

    response = support_client.get(reverse("providers:events"), {"status": "WAITING"})

    html = response.content.decode()
    assert [e.type for e in response.context["events"]] == ["charge.dispute.created"]
    assert f"Waiting for charge <code>ch_PARENT1</code> since {format_moment(since, seconds=True)}" in html
    assert '<option value="WAITING" selected>Waiting</option>' in html


def test_the_detail_of_a_waiting_event_says_what_it_waits_for(support_client, merchant):
    event = _event(
        merchant,
        status="WAITING",
        waiting_for_type="invoice",
        waiting_for_id="in_PARENT",
        waiting_since=timezone.now(),
    )

    html = support_client.get(reverse("providers:event-detail", args=[event.pk])).content.decode()

    assert "Waiting for invoice <code>in_PARENT</code> since" in html


def test_events_of_an_unexpected_api_version_carry_a_clear_warning(support_client, merchant):
    old = _event(merchant, type="invoice.paid", api_version="2024-06-20")
    _event(merchant, type="charge.succeeded", api_version=STRIPE_API_VERSION)

    listing = support_client.get(reverse("providers:events")).content.decode()
    detail = support_client.get(reverse("providers:event-detail", args=[old.pk])).content.decode()

    assert f"sent in Stripe API version 2024-06-20, not {STRIPE_API_VERSION}" in listing
    assert listing.count("API version 2024-06-20</span>") == 1  # only that row is flagged
    assert f"Sent in Stripe API version 2024-06-20, not {STRIPE_API_VERSION}" in detail


def test_events_of_the_pinned_version_have_no_warning(support_client, merchant):
    event = _event(merchant, api_version=STRIPE_API_VERSION)

    listing = support_client.get(reverse("providers:events")).content.decode()
    detail = support_client.get(reverse("providers:event-detail", args=[event.pk])).content.decode()

    assert "alert-warning" not in listing and "alert-warning" not in detail


def test_a_replay_by_staff_is_audited(manager_client, manager, merchant):
    event = _event(merchant, status="FAILED", type="plan.created", payload={"data": {"object": {}}})

    manager_client.post(reverse("providers:event-replay", args=[event.pk]))

    audit = AuditEvent.objects.get(action="event.replay")
    assert (audit.actor, audit.merchant, audit.data["status_before"]) == (manager, merchant, "FAILED")
