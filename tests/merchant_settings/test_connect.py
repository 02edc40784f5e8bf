"""Connecting Stripe: the key is checked live, the webhook endpoint created; a failure saves nothing."""

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from customers.models import Customer
from merchant_settings import services, stripe_api
from merchant_settings.importer import Importer
from merchant_settings.models import ImportRun
from merchants.models import Merchant
from payments.base import ProviderNotConnected
from payments.registry import get_provider
from providers.inbox import APPLIED_TYPES
from tests.merchant_settings.conftest import KEY, RESTRICTED
from tests.stripe_server import ALL_PERMISSIONS

pytestmark = pytest.mark.django_db


def connect(merchant, owner, key=KEY):
    return services.stripe_connect(merchant=merchant, key=key, actor=owner, now=timezone.now())


def test_a_new_merchant_is_not_connected_and_has_no_provider(new_merchant):
    assert new_merchant.provider == Merchant.Provider.NOT_CONNECTED
    assert not new_merchant.is_connected
    with pytest.raises(ProviderNotConnected):
        get_provider(new_merchant)


def test_connect_saves_the_account_and_creates_the_webhook_endpoint(stripe_server, new_merchant, new_owner):
    connect(new_merchant, new_owner)

    new_merchant.refresh_from_db()
    (endpoint,) = stripe_server.state.webhook_endpoints.values()
    assert new_merchant.provider == Merchant.Provider.STRIPE
    assert new_merchant.stripe_secret_key == KEY
    assert new_merchant.stripe_account_id == "acct_1TellerTest00001"
    assert new_merchant.stripe_account_name == "Acme GmbH"
    assert new_merchant.stripe_livemode is False
    assert new_merchant.stripe_webhook_endpoint_id == endpoint["id"]
    assert new_merchant.stripe_webhook_secret.startswith("whsec_")
    assert endpoint["url"] == "https://teller.example.com/webhooks/stripe/acme-new/"
    assert set(endpoint["enabled_events"]) == set(APPLIED_TYPES)
    assert endpoint["api_version"] == stripe_api.api_version()


def test_connect_is_audited_with_secrets_as_changed_only(stripe_server, new_merchant, new_owner):
    connect(new_merchant, new_owner)

    event = AuditEvent.objects.get(action="stripe.connect")
    assert event.data["secret_key"] == "changed"
    assert event.data["before"]["provider"] == "NOT_CONNECTED"
    assert event.data["after"]["account_id"] == "acct_1TellerTest00001"
    new_merchant.refresh_from_db()
    assert KEY not in str(event.data)
    assert new_merchant.stripe_webhook_secret not in str(event.data)


def test_connect_starts_the_history_import(
    stripe_server, new_merchant, new_owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = connect(new_merchant, new_owner)

    run.refresh_from_db()
    assert run.trigger == ImportRun.Trigger.CONNECT
    assert run.state == ImportRun.State.SUCCEEDED


def test_a_wrong_key_is_refused_with_stripes_401_and_nothing_is_saved(stripe_server, new_merchant, new_owner):
    with pytest.raises(services.SettingsError, match="did not accept this key"):
        connect(new_merchant, new_owner, key="sk_test_WrongKeyWrongKey99")

    new_merchant.refresh_from_db()
    assert new_merchant.provider == Merchant.Provider.NOT_CONNECTED
    assert new_merchant.stripe_secret_key == ""
    assert stripe_server.state.webhook_endpoints == {}
    assert not AuditEvent.objects.exists()


def test_a_restricted_key_without_charges_says_which_permission_is_missing(
    stripe_server, new_merchant, new_owner
):
    stripe_server.add_key(RESTRICTED, ALL_PERMISSIONS - {"rak_charge_read"})

    with pytest.raises(services.SettingsError) as refused:
        connect(new_merchant, new_owner, key=RESTRICTED)

    assert "read Charges" in str(refused.value)
    assert "rak_charge_read" in str(refused.value)
    new_merchant.refresh_from_db()
    assert new_merchant.provider == Merchant.Provider.NOT_CONNECTED
    assert stripe_server.state.webhook_endpoints == {}


def test_a_restricted_key_that_cannot_write_webhook_endpoints_saves_nothing(
    stripe_server, new_merchant, new_owner
):
    stripe_server.add_key(RESTRICTED, ALL_PERMISSIONS - {"rak_webhook_write"})

    with pytest.raises(services.SettingsError, match="Webhook endpoints"):
        connect(new_merchant, new_owner, key=RESTRICTED)

    new_merchant.refresh_from_db()
    assert new_merchant.stripe_secret_key == ""


def test_stripe_unreachable_is_a_clear_message_and_saves_nothing(settings, new_merchant, new_owner):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard port: connection refused

    with pytest.raises(services.SettingsError, match="could not be reached"):
        connect(new_merchant, new_owner)

    new_merchant.refresh_from_db()
    assert new_merchant.provider == Merchant.Provider.NOT_CONNECTED


def test_a_publishable_key_is_refused_before_any_call(stripe_server, new_merchant, new_owner):
    with pytest.raises(services.SettingsError):
        connect(new_merchant, new_owner, key="pk_test_abcdefghijkl")

    assert stripe_server.state.requests == []


def test_reconnect_replaces_the_endpoint_and_deletes_the_old_one(stripe_server, new_merchant, new_owner):
    connect(new_merchant, new_owner)
    first = new_merchant.stripe_webhook_endpoint_id
    other = stripe_server.add_key("sk_test_SecondKey00000002")
    ImportRun.objects.update(state=ImportRun.State.SUCCEEDED)

    connect(new_merchant, new_owner, key=other)

    assert new_merchant.stripe_secret_key == other
    assert list(stripe_server.state.webhook_endpoints) == [new_merchant.stripe_webhook_endpoint_id]
    assert first not in stripe_server.state.webhook_endpoints


def test_rotate_creates_a_new_endpoint_first_then_deletes_the_old(stripe_server, new_merchant, new_owner):
    connect(new_merchant, new_owner)
    old_id, old_secret = new_merchant.stripe_webhook_endpoint_id, new_merchant.stripe_webhook_secret

    services.stripe_secret_rotate(merchant=new_merchant, actor=new_owner, now=timezone.now())

    assert new_merchant.stripe_webhook_secret != old_secret
    assert list(stripe_server.state.webhook_endpoints) == [new_merchant.stripe_webhook_endpoint_id]
    assert new_merchant.stripe_webhook_endpoint_id != old_id
    methods = [m for m, path in stripe_server.state.requests if path.startswith("/v1/webhook_endpoints")]
    assert methods[-2:] == ["POST", "DELETE"]
    audit = AuditEvent.objects.get(action="stripe.webhook_secret.rotate")
    assert audit.data["webhook_secret"] == "changed"
    assert old_secret not in str(audit.data)


def test_disconnect_deletes_the_endpoint_and_forgets_the_key_but_keeps_the_data(
    stripe_server, new_merchant, new_owner, small_history
):
    stripe_server.load(small_history)
    connect(new_merchant, new_owner)
    Importer(ImportRun.objects.get()).execute()

    services.stripe_disconnect(merchant=new_merchant, actor=new_owner, now=timezone.now())

    new_merchant.refresh_from_db()
    assert new_merchant.provider == Merchant.Provider.NOT_CONNECTED
    assert new_merchant.stripe_secret_key == "" and new_merchant.stripe_webhook_secret == ""
    assert stripe_server.state.webhook_endpoints == {}
    assert Customer.objects.filter(merchant=new_merchant).count() == 12
    assert AuditEvent.objects.filter(action="stripe.disconnect").exists()


def test_disconnect_while_stripe_is_unreachable_changes_nothing(
    stripe_server, new_merchant, new_owner, settings
):
    connect(new_merchant, new_owner)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    with pytest.raises(services.SettingsError, match="could not be reached"):
        services.stripe_disconnect(merchant=new_merchant, actor=new_owner, now=timezone.now())

    new_merchant.refresh_from_db()
    assert new_merchant.provider == Merchant.Provider.STRIPE


def test_a_disconnect_waiting_too_long_for_another_change_is_refused_with_a_message(
    stripe_server, new_merchant, new_owner, monkeypatch
):
    from contextlib import contextmanager

    from common.locks import ActionBusy

    connect(new_merchant, new_owner)

    @contextmanager
    def busy(namespace, pk, **kwargs):
        raise ActionBusy(namespace, pk)
        yield  # pragma: no cover

    monkeypatch.setattr(services, "action_lock", busy)

    with pytest.raises(services.SettingsError, match="still running"):
        services.stripe_disconnect(merchant=new_merchant, actor=new_owner, now=timezone.now())

    new_merchant.refresh_from_db()
    assert new_merchant.provider == Merchant.Provider.STRIPE and new_merchant.stripe_secret_key
    assert not AuditEvent.objects.filter(action="stripe.disconnect").exists()
