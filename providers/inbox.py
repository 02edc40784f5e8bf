"""The inbox: store every provider event raw, wake an applier, and apply each event exactly once.

- event_ingest runs in the webhook request: one INSERT (ON CONFLICT DO NOTHING, the body stored as it came),
  nothing else touches the domain tables. Other callers (sync_stripe, the sandbox) use event_store, which
  returns the row, and event_enqueue.
- The applier is woken after the commit. Wakes are deduplicated in the cache (one
  queued drain per merchant at a time), so a burst of webhooks costs one Celery message, not one each.
- event_process_batch (the drain task, in the worker) locks up to BATCH_SIZE never-tried events of a merchant
  with SKIP LOCKED, oldest first, and applies them in ONE transaction, each in its own savepoint: a failing
  event rolls back alone. Two drains never take the same event; a killed worker rolls its batch back.
- An event whose apply failed transiently leaves the batch and retries alone (event_process via the
  process_event task, with backoff); so do events the sweep finds still RECEIVED (broker down, lost wake).
- An event whose parent is not applied yet (NotYetKnown) becomes WAITING for it, and is applied right after
  an event applies that parent (providers/waiting.py); a parent that never comes is fetched
  (providers/parents.py). FAILED is kept for real errors.

This module stores, wakes and locks; applying (event_process, event_process_batch, event_replay) is in
providers/inbox_apply.py.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache as cache_once

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, transaction

from payments.base import ProviderUnavailable

from .models import ProviderEvent
from .waiting import data_object
from .webhooks import safe_json

logger = logging.getLogger(__name__)

# Event types Teller applies; any other type is stored and marked IGNORED.
APPLIED_TYPES = frozenset(
    {
        "customer.created", "customer.updated", "customer.deleted",
        "payment_method.attached", "payment_method.detached", "payment_method.updated",
        "payment_method.automatically_updated",
        "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
        "customer.subscription.paused", "customer.subscription.resumed",
        "customer.subscription.pending_update_applied",
        "customer.subscription.trial_will_end",
        "invoice.paid", "invoice.payment_failed", "invoice.payment_succeeded", "invoice_payment.paid",
        "charge.succeeded", "charge.failed", "charge.refunded", "charge.updated", "charge.captured",
        "charge.pending", "charge.expired",
        "refund.created", "refund.updated", "refund.failed", "charge.refund.updated",
        "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed",
        "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated",
        "checkout.session.completed", "checkout.session.async_payment_succeeded",
    }
)  # fmt: skip

# Attempts per event: the first usually in a batch, the others through the process_event task's retries.
MAX_ATTEMPTS = 5
# Events applied per transaction by a drain: large enough to amortise the commit and the task, small enough
# that the rows a batch locks are held for well under a second.
BATCH_SIZE = 50
WAKE_KEY = "teller:inbox-wake:{merchant_id}"
# A wake whose drain was lost (worker died before starting it) stops suppressing new wakes after this.
WAKE_TTL_SECONDS = 30

# Failures worth retrying: the database or provider was briefly unavailable. (A late parent is not an error:
# the event waits for it, see providers/waiting.py.)
TRANSIENT_ERRORS = (OperationalError, ProviderUnavailable)


def _created_at(value) -> datetime | None:
    """The event's `created` (unix seconds) as a datetime; None when it is not a plausible timestamp."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 32_503_680_000:  # year 3000
        return None
    return datetime.fromtimestamp(value, tz=UTC)


def _malformed(event: dict) -> list[str]:
    """What makes a genuine (signed) event impossible to apply safely; such an event is stored FAILED."""
    problems = []
    if not isinstance(event.get("type"), str):
        problems.append("type is not a string")
    if data_object(event) is None:
        problems.append("data.object is not an object")
    if _created_at(event.get("created")) is None:
        problems.append("created is not a unix timestamp")
    return problems


def event_store(
    *, merchant, event: dict, now: datetime, text: str | None = None
) -> tuple[ProviderEvent, bool]:
    """Insert the raw event; a delivery of an event already stored returns (existing, False).

    `text` is the event's JSON as it arrived (the webhook's verified body) when it needs no cleaning
    (providers.webhooks.storable_text): it is stored as is, not serialised again. Events read from the API
    (sync_stripe) come without it and are serialised here, cleaned of what the database refuses first.

    A malformed event (wrong types, no data.object) is stored too, FAILED with the reason: never lost,
    never half-applied, and visible on the Webhooks page.
    """
    event, pk, values = _store(merchant_id=merchant.pk, event=event, now=now, text=text)
    if pk is None:
        return ProviderEvent.objects.get(merchant_id=merchant.pk, provider_event_id=event["id"]), False
    row = ProviderEvent(pk=pk, payload=event, **values)
    row._state.adding, row._state.db = False, DEFAULT_DB_ALIAS
    return row, True


def event_ingest(*, merchant_id: int, event: dict, now: datetime, text: str | None) -> bool:
    """The webhook request's event_store + event_enqueue, without building a model instance (the hottest
    path Teller has): stores the event, wakes the applier after the commit if it is new and to apply, and
    returns whether it was new."""
    _, pk, values = _store(merchant_id=merchant_id, event=event, now=now, text=text)
    if (
        pk is not None
        and values.get("status", ProviderEvent.Status.RECEIVED) == ProviderEvent.Status.RECEIVED
    ):
        _wake_on_commit(merchant_id)
    return pk is not None


def _store(
    *, merchant_id: int, event: dict, now: datetime, text: str | None
) -> tuple[dict, int | None, dict]:
    """(the event as stored, the new row's id or None for a duplicate, the columns it set)."""
    if text is None:
        event, text = safe_json(event)
    values = _arrival_values(merchant_id=merchant_id, event=event, now=now)
    return event, _insert_new(values, text), values


def _arrival_values(*, merchant_id: int, event: dict, now: datetime) -> dict:
    """The columns (by attname) an arriving event sets; the others keep the model's defaults."""
    obj = data_object(event) or {}
    api_version = event.get("api_version")
    values = {
        "merchant_id": merchant_id,
        "provider_event_id": event["id"],
        "type": event["type"][:128] if isinstance(event.get("type"), str) else "",
        "object_id": str(obj.get("id") or "")[:255],
        "livemode": event.get("livemode") is True,
        "api_version": api_version[:64] if isinstance(api_version, str) else "",
        "provider_created_at": _created_at(event.get("created")) or now,
        "received_at": now,
    }
    problems = _malformed(event)
    if problems:
        values.update(
            status=ProviderEvent.Status.FAILED,
            processed_at=now,
            error="Malformed event: " + "; ".join(problems),
        )
    return values


@cache_once
def _insert_sql(vendor: str) -> tuple[str, tuple, dict]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id over every column of the model (so a new field
    cannot be forgotten), the payload taken as JSON text; and each column's default, ready to send."""
    fields = tuple(f for f in ProviderEvent._meta.concrete_fields if not f.primary_key)
    quote = connection.ops.quote_name
    placeholders = ", ".join(
        ("%s::jsonb" if vendor == "postgresql" else "%s") if f.name == "payload" else "%s" for f in fields
    )
    sql = (
        f"INSERT INTO {quote(ProviderEvent._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({placeholders}) ON CONFLICT ({quote('merchant_id')}, {quote('provider_event_id')}) "
        f"DO NOTHING RETURNING {quote('id')}"
    )
    defaults = {
        f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields if not callable(f.default)
    }
    return sql, fields, defaults


def _insert_new(values: dict, text: str) -> int | None:
    """One statement, in autocommit in the webhook request: the new row's id, or None for a duplicate.

    A duplicate is not an error (no IntegrityError, no savepoint), so a caller's transaction goes on.
    """
    sql, fields, defaults = _insert_sql(connection.vendor)
    params = []
    for f in fields:
        if f.name == "payload":
            params.append(text)
        elif f.attname in values:
            params.append(f.get_db_prep_save(values[f.attname], connection))
        elif f.attname in defaults:
            params.append(defaults[f.attname])
        else:  # a callable default: a new value each time
            params.append(f.get_db_prep_save(f.get_default(), connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    return found[0] if found else None


def event_enqueue(provider_event: ProviderEvent) -> None:
    """Wake the merchant's applier once the surrounding transaction commits.

    If the broker is down the event stays RECEIVED; the periodic sweep enqueues it later.
    """
    if provider_event.status != ProviderEvent.Status.RECEIVED:
        return  # stored FAILED (malformed): nothing to apply
    _wake_on_commit(provider_event.merchant_id)


def _wake_on_commit(merchant_id: int) -> None:
    transaction.on_commit(lambda: wake_applier(merchant_id))


def wake_applier(merchant_id: int, *, countdown: float = 0) -> bool:
    """Queue a drain of the merchant's new events unless one is already queued and not yet started."""
    from .tasks import drain_events  # late: tasks.py imports this module (its tasks drain the inbox)

    key = WAKE_KEY.format(merchant_id=merchant_id)
    try:
        if not cache.add(key, 1, timeout=WAKE_TTL_SECONDS):
            return True  # a queued drain will see this event: it clears the key before it looks
    except Exception:  # the cache (Redis) is unreachable: wake anyway, a duplicate drain is harmless
        key = None
    try:
        drain_events.apply_async((merchant_id,), countdown=countdown or None, retry=False)
        return True
    except Exception:  # the broker is unreachable: the sweep picks the events up later
        logger.warning("merchant %s applier not woken (broker unavailable); left for the sweep", merchant_id)
        if key is not None:
            try:
                cache.delete(key)
            except Exception:
                pass
        return False


# pg_try_advisory_lock(APPLIER_LOCK, merchant id): one drain per merchant at a time.
APPLIER_LOCK = 7_411_001


@contextmanager
def applier_lock(merchant_id: int) -> Iterator[bool]:
    """Hold the merchant's applier lock (PostgreSQL advisory lock, session level) if it is free.

    One drain per merchant at a time applies its events in order, and two drains never contend for the same
    customers' rows. Other merchants' drains run in parallel. SQLite (one process) has no such lock.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [APPLIER_LOCK, merchant_id])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [APPLIER_LOCK, merchant_id])


def clear_wake(merchant_id: int) -> None:
    """Called by a drain before it looks for events: any event stored after this wakes another drain."""
    try:
        cache.delete(WAKE_KEY.format(merchant_id=merchant_id))
    except Exception:
        logger.warning("inbox wake key of merchant %s not cleared (cache unavailable)", merchant_id)


def send_to_worker(event_id: int) -> bool:
    """Queue one event on its own (the sweep, replays, retries)."""
    from .tasks import process_event  # late: tasks.py imports this module (its task applies the event)

    try:
        process_event.apply_async((event_id,), retry=False)
        return True
    except Exception:  # the broker is unreachable: the sweep picks the event up later
        logger.warning("provider event %s not enqueued (broker unavailable); left for the sweep", event_id)
        return False
