"""Settings pages: owner only, write-only key field, clear messages, audited business settings."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from merchant_settings.models import ImportRun
from merchants.models import Merchant
from tests import factories
from tests.merchant_settings.conftest import KEY
from tests.stripe_server import history

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_of_new(client, new_owner):
    client.force_login(new_owner)
    return client


def test_a_not_connected_merchant_sees_a_call_to_connect_on_every_page(owner_of_new):
    response = owner_of_new.get(reverse("customers:list"))

    assert response.status_code == 200
    assert 'id="not-connected"' in response.text
    assert reverse("settings:stripe") in response.text


@pytest.mark.parametrize("role", ["MANAGER", "SUPPORT"])
def test_staff_who_are_not_owners_get_403_on_settings(client, new_merchant, role):
    client.force_login(factories.MembershipFactory(merchant=new_merchant, role=role).user)

    assert client.get(reverse("settings:stripe")).status_code == 403
    assert client.post(reverse("settings:stripe-connect"), {"key": KEY}).status_code == 403
    assert client.post(reverse("settings:business"), {"name": "x"}).status_code == 403
    new_merchant.refresh_from_db()
    assert new_merchant.provider == Merchant.Provider.NOT_CONNECTED


def test_connecting_shows_the_account_the_endpoint_and_the_finished_import(
    owner_of_new, stripe_server, new_merchant, django_capture_on_commit_callbacks
):
    stripe_server.load(history(3, prefix="V"))

    with django_capture_on_commit_callbacks(execute=True):  # the import task runs after the commit
        posted = owner_of_new.post(reverse("settings:stripe-connect"), {"key": KEY})
    response = owner_of_new.get(posted["Location"])

    assert response.status_code == 200
    assert "Acme GmbH" in response.text and "acct_1TellerTest00001" in response.text
    assert "Test" in response.text
    new_merchant.refresh_from_db()
    assert new_merchant.stripe_webhook_endpoint_id in response.text
    assert KEY not in response.text
    assert new_merchant.stripe_webhook_secret not in response.text
    assert 'data-state="SUCCEEDED"' in response.text


def test_a_wrong_key_shows_its_message_and_is_not_echoed_back(owner_of_new, stripe_server, new_merchant):
    wrong = "sk_test_NotAKeyStripeKnows1"

    response = owner_of_new.post(reverse("settings:stripe-connect"), {"key": wrong})

    assert response.status_code == 400
    assert "did not accept this key" in response.text
    assert wrong not in response.text
    new_merchant.refresh_from_db()
    assert new_merchant.stripe_secret_key == ""


def test_the_progress_partial_answers_htmx_with_the_fragment_only(owner_of_new, stripe_server, new_merchant):
    stripe_server.load(history(2, prefix="P"))
    owner_of_new.post(reverse("settings:stripe-connect"), {"key": KEY})

    response = owner_of_new.get(reverse("settings:import-progress"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="import-progress"')
    assert "Customers" in response.text and "<progress" in response.text


def test_resync_starts_a_new_run(
    owner_of_new, stripe_server, new_merchant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        owner_of_new.post(reverse("settings:stripe-connect"), {"key": KEY})

    with django_capture_on_commit_callbacks(execute=True):
        owner_of_new.post(reverse("settings:import-resync"))

    assert ImportRun.objects.filter(merchant=new_merchant).count() == 2
    assert AuditEvent.objects.filter(action="stripe.import.start").count() == 1
    assert set(ImportRun.objects.values_list("state", flat=True)) == {ImportRun.State.SUCCEEDED}


def test_resync_while_an_import_runs_is_refused_with_a_message(owner_of_new, stripe_server, new_merchant):
    owner_of_new.post(reverse("settings:stripe-connect"), {"key": KEY})  # its run stays queued

    response = owner_of_new.post(reverse("settings:import-resync"), follow=True)

    assert "already running" in response.text
    assert ImportRun.objects.filter(merchant=new_merchant).count() == 1


def test_business_settings_are_saved_and_audited_with_before_and_after(owner_of_new, new_merchant):
    data = {
        "name": "Acme Ltd",
        "default_currency": "usd",
        "time_zone": "Europe/Berlin",
        "support_credit_limit": "250",
    }

    response = owner_of_new.post(reverse("settings:business"), data)

    assert response.status_code == 302
    new_merchant.refresh_from_db()
    assert (new_merchant.name, new_merchant.default_currency, new_merchant.time_zone) == (
        "Acme Ltd",
        "usd",
        "Europe/Berlin",
    )
    assert new_merchant.support_credit_limit == 25_000
    event = AuditEvent.objects.get(action="merchant.settings.update")
    assert event.data["before"]["name"] == "Acme Channels"
    assert event.data["after"]["time_zone"] == "Europe/Berlin"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("time_zone", "Mars/Olympus"),
        ("support_credit_limit", "lots"),
        ("default_currency", "xx1"),
        ("name", "  "),
    ],
)
def test_bad_business_input_is_a_message_and_changes_nothing(owner_of_new, new_merchant, field, value):
    data = {"name": "Acme Ltd", "default_currency": "eur", "time_zone": "UTC", "support_credit_limit": "100"}

    response = owner_of_new.post(reverse("settings:business"), {**data, field: value})

    assert response.status_code == 400
    assert 'class="field-error"' in response.text
    new_merchant.refresh_from_db()
    assert new_merchant.name == "Acme Channels"
    assert not AuditEvent.objects.exists()


def test_dates_are_shown_in_the_merchants_time_zone(owner_of_new, new_merchant):
    new_merchant.provider = Merchant.Provider.STRIPE
    new_merchant.stripe_connected_at = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    new_merchant.time_zone = "Asia/Tokyo"
    new_merchant.save()

    response = owner_of_new.get(reverse("settings:stripe"))

    assert "1 Jan 2026, 09:00" in response.text


def test_an_owner_never_sees_another_merchants_import(
    client, stripe_server, new_merchant, new_owner, other_merchant
):
    client.force_login(new_owner)
    ImportRun.objects.create(
        merchant=other_merchant, created_at="2026-01-01T00:00:00Z", last_error="OTHER-RUN"
    )

    response = client.get(reverse("settings:stripe"))

    assert "OTHER-RUN" not in response.text
    assert "No import yet" in response.text
