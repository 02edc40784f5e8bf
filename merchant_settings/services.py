"""Settings writes: connect / rotate / disconnect Stripe, business settings, starting an import.

Network calls to Stripe happen before any transaction opens; the merchant row, the audit event and the
import run are then written in one transaction. Secrets go into the audit log as "changed", never as values.
"""

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import stripe
from django.db import IntegrityError, transaction

from audit.models import AuditAction
from audit.services import audit_record
from common.locks import ActionBusy, action_lock
from merchants.models import Merchant

from . import stripe_api
from .models import IMPORT_ORDER, ImportRun, ImportStep
from .tasks import import_run


class SettingsError(Exception):
    """A refusal with a message for the owner; nothing was saved."""


def _stripe_message(exc: stripe.StripeError, what: str) -> str:
    if isinstance(exc, stripe.AuthenticationError):
        return (
            "Stripe did not accept this key (401): check that you copied the whole secret or restricted key."
        )
    if isinstance(exc, stripe.PermissionError):
        return (
            f"This key may not {what} (403). Give the restricted key read access to {what.split(' ', 1)[-1]}"
            f" and write access to Webhook endpoints. Stripe said: {exc.user_message or exc}"
        )
    if isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)) or isinstance(
        exc, stripe.APIError
    ):
        return "Stripe could not be reached; nothing was saved. Try again in a minute."
    return f"Stripe refused: {exc.user_message or exc}"


def _call(what: str, fn, *args):
    try:
        result = fn(*args)
    except stripe.StripeError as exc:
        raise SettingsError(_stripe_message(exc, what)) from exc
    return result.to_dict() if hasattr(result, "to_dict") else result


STRIPE_LOCK = "merchant_settings.stripe"  # one Stripe connection change per merchant at a time


def stripe_key_check(*, key: str) -> dict:
    """The account behind `key`, after checking every read Teller needs. Raises SettingsError."""
    client = stripe_api.client_for(key)
    account = _call("read the account", client.v1.accounts.retrieve_current)
    for collection, label in stripe_api.REQUIRED_READS:
        service = getattr(client.v1, collection)
        _call(f"read {label}", service.list, {"limit": 1})
    return account


def _endpoint_create(client, merchant) -> dict:
    return _call(
        "create Webhook endpoints",
        client.v1.webhook_endpoints.create,
        {
            "url": stripe_api.webhook_url(merchant),
            "enabled_events": list(stripe_api.WEBHOOK_EVENT_TYPES),
            "api_version": stripe_api.api_version(),
            "description": f"Teller ({merchant.slug})",
            "metadata": {"teller_merchant": merchant.slug},
        },
    )


def _endpoint_delete(client, endpoint_id: str) -> None:
    """Delete Teller's endpoint at Stripe; one already gone is fine."""
    if not endpoint_id:
        return
    try:
        client.v1.webhook_endpoints.delete(endpoint_id)
    except stripe.InvalidRequestError as exc:
        if exc.http_status != 404:
            raise SettingsError(_stripe_message(exc, "delete Webhook endpoints")) from exc
    except stripe.StripeError as exc:
        raise SettingsError(_stripe_message(exc, "delete Webhook endpoints")) from exc


def _connection(merchant: Merchant) -> dict:
    return {
        "provider": merchant.provider,
        "account_id": merchant.stripe_account_id,
        "account_name": merchant.stripe_account_name,
        "mode": "live" if merchant.stripe_livemode else "test",
        "webhook_endpoint_id": merchant.stripe_webhook_endpoint_id,
    }


def stripe_connect(*, merchant: Merchant, key: str, actor, now: datetime) -> ImportRun | None:
    """Check the key, create Teller's webhook endpoint, save both (encrypted) and start the history import.

    Reconnecting (another key, maybe another account) replaces the endpoint. Raises SettingsError (nothing
    saved: an endpoint created before a later failure is deleted again).
    """
    key = key.strip()
    if not stripe_api.KEY_PATTERN.match(key):
        raise SettingsError("Paste a secret key (sk_test_… / sk_live_…) or a restricted key (rk_…).")
    account = stripe_key_check(key=key)
    client = stripe_api.client_for(key)
    endpoint = _endpoint_create(client, merchant)
    old_key, old_endpoint = merchant.stripe_secret_key, merchant.stripe_webhook_endpoint_id
    before = _connection(merchant)
    try:
        with transaction.atomic():
            locked = Merchant.objects.select_for_update().get(pk=merchant.pk)
            locked.provider = Merchant.Provider.STRIPE
            locked.stripe_secret_key = key
            locked.stripe_webhook_secret = endpoint["secret"]
            locked.stripe_webhook_endpoint_id = endpoint["id"]
            locked.stripe_account_id = account["id"]
            locked.stripe_account_name = stripe_api.account_name(account)[:255]
            locked.stripe_livemode = stripe_api.key_mode(key) == "live"
            locked.stripe_connected_at = now
            locked.save()
            audit_record(
                merchant=locked,
                actor=actor,
                action=AuditAction.STRIPE_CONNECT,
                target=locked,
                now=now,
                data={
                    "before": before,
                    "after": _connection(locked),
                    "secret_key": "changed",
                    "webhook_secret": "changed",
                },
            )
            run = import_start(merchant=locked, actor=actor, now=now, trigger=ImportRun.Trigger.CONNECT)
    except Exception:
        _endpoint_delete(client, endpoint["id"])
        raise
    if old_endpoint and old_endpoint != endpoint["id"] and old_key:
        try:  # the old endpoint would keep sending events signed with a secret Teller no longer has
            _endpoint_delete(stripe_api.client_for(old_key), old_endpoint)
        except SettingsError:
            pass  # the old key may be revoked already; its endpoint then stays for the owner to remove
    merchant.refresh_from_db()
    return run


@contextmanager
def _stripe_locked(merchant: Merchant) -> Iterator[None]:
    """Every other change of the Stripe connection waits; the merchant is re-read once the lock is held."""
    try:
        with action_lock(STRIPE_LOCK, merchant.pk):
            merchant.refresh_from_db()
            yield
    except ActionBusy as exc:
        raise SettingsError(
            "Another change of the Stripe connection is still running; try again in a moment."
        ) from exc


def stripe_secret_rotate(*, merchant: Merchant, actor, now: datetime) -> None:
    """A new signing secret: Stripe's API has no roll for endpoints, so create a new one, then delete the old.

    The new endpoint exists before the old one goes, so no event is missed; one sent to both is stored once.
    Two rotations at once run one after the other (each replaces the endpoint the other left), so no endpoint
    is left behind signing with a secret Teller forgot.
    """
    with _stripe_locked(merchant):
        _stripe_secret_rotate(merchant=merchant, actor=actor, now=now)


def _stripe_secret_rotate(*, merchant: Merchant, actor, now: datetime) -> None:
    if merchant.provider != Merchant.Provider.STRIPE or not merchant.stripe_secret_key:
        raise SettingsError("Connect Stripe first.")
    client = stripe_api.client_for(merchant.stripe_secret_key)
    endpoint = _endpoint_create(client, merchant)
    old_endpoint = merchant.stripe_webhook_endpoint_id
    with transaction.atomic():
        locked = Merchant.objects.select_for_update().get(pk=merchant.pk)
        locked.stripe_webhook_secret = endpoint["secret"]
        locked.stripe_webhook_endpoint_id = endpoint["id"]
        locked.save(update_fields=["stripe_webhook_secret", "stripe_webhook_endpoint_id"])
        audit_record(
            merchant=locked,
            actor=actor,
            action=AuditAction.STRIPE_WEBHOOK_SECRET_ROTATE,
            target=locked,
            now=now,
            data={
                "before": {"webhook_endpoint_id": old_endpoint},
                "after": {"webhook_endpoint_id": endpoint["id"]},
                "webhook_secret": "changed",
            },
        )
    _endpoint_delete(client, old_endpoint)
    merchant.refresh_from_db()


def stripe_disconnect(*, merchant: Merchant, actor, now: datetime) -> None:
    """Delete Teller's endpoint at Stripe and forget the key and secret. Customers and payments stay.

    Locked and re-read first (the endpoint is deleted outside any transaction): of two clicks at once, the
    second finds Stripe disconnected."""
    with _stripe_locked(merchant):
        _stripe_disconnect(merchant=merchant, actor=actor, now=now)


def _stripe_disconnect(*, merchant: Merchant, actor, now: datetime) -> None:
    if merchant.provider != Merchant.Provider.STRIPE:
        raise SettingsError("Stripe is not connected.")
    if merchant.stripe_secret_key:
        _endpoint_delete(
            stripe_api.client_for(merchant.stripe_secret_key), merchant.stripe_webhook_endpoint_id
        )
    with transaction.atomic():
        locked = Merchant.objects.select_for_update().get(pk=merchant.pk)
        before = _connection(locked)
        locked.provider = Merchant.Provider.NOT_CONNECTED
        locked.stripe_secret_key = locked.stripe_webhook_secret = ""
        locked.stripe_webhook_endpoint_id = locked.stripe_account_id = locked.stripe_account_name = ""
        locked.stripe_livemode = False
        locked.stripe_connected_at = None
        locked.save()
        ImportRun.objects.filter(merchant=locked, state__in=ImportRun.ACTIVE_STATES).update(
            state=ImportRun.State.FAILED, finished_at=now, last_error="Stripe was disconnected."
        )
        audit_record(
            merchant=locked,
            actor=actor,
            action=AuditAction.STRIPE_DISCONNECT,
            target=locked,
            now=now,
            data={"before": before, "after": _connection(locked), "secret_key": "removed"},
        )
    merchant.refresh_from_db()


def import_start(
    *, merchant: Merchant, actor, now: datetime, trigger: str = ImportRun.Trigger.RESYNC
) -> ImportRun:
    """Queue a history import (one step per object type); the task starts after the commit.

    Raises SettingsError when one is already running (the database allows one active run per merchant).
    """
    if merchant.provider != Merchant.Provider.STRIPE:
        raise SettingsError("Connect Stripe first.")
    try:
        with transaction.atomic():
            run = ImportRun.objects.create(
                merchant=merchant,
                trigger=trigger,
                requested_by=actor if getattr(actor, "is_authenticated", False) else None,
                created_at=now,
            )
            ImportStep.objects.bulk_create(
                ImportStep(run=run, object_type=t, position=i) for i, t in enumerate(IMPORT_ORDER)
            )
            if trigger == ImportRun.Trigger.RESYNC:
                audit_record(
                    merchant=merchant,
                    actor=actor,
                    action=AuditAction.STRIPE_IMPORT_START,
                    target=run,
                    now=now,
                    data={"trigger": trigger},
                )
    except IntegrityError as exc:
        raise SettingsError("An import is already running; it continues where it is.") from exc
    transaction.on_commit(lambda: import_run.delay(run.pk))
    return run


BUSINESS_FIELDS = ("name", "default_currency", "time_zone", "support_credit_limit")


def business_settings_update(*, merchant: Merchant, actor, now: datetime, **values) -> bool:
    """Save name, default currency, time zone and support credit limit; audit what changed (before/after).

    Returns False (and writes nothing) when nothing changed.
    """
    if values.get("time_zone") and values["time_zone"] not in zoneinfo.available_timezones():
        raise SettingsError(f"Unknown time zone {values['time_zone']!r}.")
    with transaction.atomic():
        locked = Merchant.objects.select_for_update().get(pk=merchant.pk)
        changes = {
            f: (getattr(locked, f), values[f])
            for f in BUSINESS_FIELDS
            if f in values and getattr(locked, f) != values[f]
        }
        if not changes:
            return False
        for field_name, (_, new) in changes.items():
            setattr(locked, field_name, new)
        locked.save(update_fields=list(changes))
        audit_record(
            merchant=locked,
            actor=actor,
            action=AuditAction.MERCHANT_SETTINGS_UPDATE,
            target=locked,
            now=now,
            data={
                "before": {f: old for f, (old, _) in changes.items()},
                "after": {f: new for f, (_, new) in changes.items()},
            },
        )
    merchant.refresh_from_db()
    return True
