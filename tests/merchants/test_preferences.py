"""A staff member's own time zone: every date they read follows it; the merchant's zone for everyone else."""

import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from merchants.models import Merchant

pytestmark = pytest.mark.django_db

CONNECTED = dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def tokyo_merchant(merchant):
    merchant.time_zone = "Asia/Tokyo"
    merchant.provider = Merchant.Provider.STRIPE
    merchant.stripe_connected_at = CONNECTED
    merchant.save()
    return merchant


def test_the_preferences_page_offers_the_merchants_zone_by_default(support_client, tokyo_merchant):
    response = support_client.get(reverse("preferences"))

    assert response.status_code == 200
    assert "My merchant&#x27;s (Asia/Tokyo)" in response.text
    assert "(Asia/Tokyo)" in response.text  # the current moment is shown in the zone in force


def test_a_chosen_zone_is_saved_audited_and_used_on_every_page(owner_client, owner, tokyo_merchant):
    response = owner_client.post(reverse("preferences"), {"time_zone": "America/New_York"})

    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.time_zone == "America/New_York"
    event = AuditEvent.objects.get(action="preferences.update")
    assert (event.actor, event.data["after"]["time_zone"]) == (owner, "America/New_York")
    page = owner_client.get(reverse("settings:stripe")).text
    assert "31 Dec 2025, 19:00" in page  # New York, not Tokyo's "1 Jan 2026, 09:00"


def test_choosing_the_merchants_zone_again_follows_it(owner_client, owner, tokyo_merchant):
    owner.time_zone = "America/New_York"
    owner.save()

    owner_client.post(reverse("preferences"), {"time_zone": ""})

    owner.refresh_from_db()
    assert owner.time_zone == ""
    assert "1 Jan 2026, 09:00" in owner_client.get(reverse("settings:stripe")).text


def test_another_staff_members_choice_does_not_change_mine(owner_client, manager, tokyo_merchant):
    manager.time_zone = "America/New_York"
    manager.save()

    assert "1 Jan 2026, 09:00" in owner_client.get(reverse("settings:stripe")).text


@pytest.mark.parametrize(
    "value",
    ["Mars/Olympus", "x" * 10_000, "Europe/Berlin\x00", "../../etc/passwd", "Ευρώπη/Αθήνα"],
)
def test_an_unknown_zone_is_refused_with_a_message_and_changes_nothing(owner_client, owner, value):
    response = owner_client.post(reverse("preferences"), {"time_zone": value})

    assert response.status_code == 400
    assert 'class="field-error"' in response.text
    owner.refresh_from_db()
    assert owner.time_zone == ""
    assert not AuditEvent.objects.exists()


def test_saving_the_same_zone_twice_records_one_change(owner_client):
    owner_client.post(reverse("preferences"), {"time_zone": "Europe/Berlin"})
    owner_client.post(reverse("preferences"), {"time_zone": "Europe/Berlin"})

    assert AuditEvent.objects.filter(action="preferences.update").count() == 1
