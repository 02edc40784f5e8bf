"""The inbox: store every provider event raw, wake an applier, and apply each event exactly once.

- event_store runs in the webhook request: one INSERT, nothing else touches the domain tables.
- event_enqueue wakes the merchant's applier after the commit. Wakes are deduplicated in the cache (one
  queued drain per merchant at a time), so a burst of webhooks costs one Celery message, not one each.
- event_process_batch (the drain task, in the worker) locks up to BATCH_SIZE never-tried events of a merchant
  with SKIP LOCKED, oldest first, and applies them in ONE transaction, each in its own savepoint: a failing
  event rolls back alone. Two drains never take the same event; a killed worker rolls its batch back.
- An event whose apply failed transiently leaves the batch and retries alone (event_process via the
  process_event task, with backoff); so do events the sweep finds still RECEIVED (broker down, lost wake).
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from django.core.cache import cache
from django.db import IntegrityError, OperationalError, connection, transaction

from .apply import NotYetKnown, apply_object
from .apply.common import BatchMemory, inbox_scope
from .apply.prefetch import absent_keys
from .base import ProviderUnavailable
from .models import ProviderEvent

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

# Failures worth retrying: the database or provider was briefly unavailable, or a related object is late.
TRANSIENT_ERRORS = (OperationalError, ProviderUnavailable, NotYetKnown)


def event_store(*, merchant, event: dict, now: datetime) -> tuple[ProviderEvent, bool]:
    """Insert the raw event; a delivery of an event already stored returns (existing, False)."""
    data_object = (event.get("data") or {}).get("object") or {}
    row = ProviderEvent(
        merchant=merchant,
        provider="STRIPE",
        provider_event_id=event["id"],
        type=event.get("type") or "",
        object_id=str(data_object.get("id") or "")[:255],
        payload=event,
        livemode=bool(event.get("livemode")),
        provider_created_at=datetime.fromtimestamp(int(event.get("created") or now.timestamp()), tz=UTC),
        received_at=now,
    )
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():  # a savepoint, so a duplicate does not break the caller's transaction
                row.save(force_insert=True)
        else:
            row.save(force_insert=True)  # the webhook request: one INSERT in autocommit, no BEGIN/COMMIT
        return row, True
    except IntegrityError:
        return ProviderEvent.objects.get(merchant=merchant, provider_event_id=event["id"]), False


def event_enqueue(provider_event: ProviderEvent) -> None:
    """Wake the merchant's applier once the surrounding transaction commits.

    If the broker is down the event stays RECEIVED; the periodic sweep enqueues it later.
    """
    merchant_id = provider_event.merchant_id
    transaction.on_commit(lambda: wake_applier(merchant_id))


def wake_applier(merchant_id: int, *, countdown: float = 0) -> bool:
    """Queue a drain of the merchant's new events unless one is already queued and not yet started."""
    from .tasks import drain_events

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
    from .tasks import process_event

    try:
        process_event.apply_async((event_id,), retry=False)
        return True
    except Exception:  # the broker is unreachable: the sweep picks the event up later
        logger.warning("provider event %s not enqueued (broker unavailable); left for the sweep", event_id)
        return False


STATUS_FIELDS = ["status", "error", "attempts", "processed_at", "customer", "purchase"]


def _apply_one(
    event: ProviderEvent,
    *,
    now: datetime,
    final_attempt: bool,
    savepoint: bool = True,
    batch: BatchMemory | None = None,
):
    """Apply a locked event and set its outcome on the instance (not saved); return the error, if any.

    With `savepoint` a failure rolls back this event alone: a transient one leaves it RECEIVED (to be
    retried) unless this is the final attempt; any other marks it FAILED. Without it (an optimistic batch)
    the error propagates and the caller rolls the whole batch back.
    """
    event.attempts += 1
    event.processed_at = now
    if event.type not in APPLIED_TYPES:
        event.status, event.error = ProviderEvent.Status.IGNORED, ""
        return None
    linked = (event.customer_id, event.purchase_id)
    event.apply_note = ""
    event.inbox_saves_links = True
    event.pending_transaction_ids = set()
    obj = (event.payload.get("data") or {}).get("object") or {}
    try:
        with transaction.atomic(savepoint=savepoint), inbox_scope(optimistic=not savepoint, batch=batch):
            apply_object(merchant=event.merchant, obj=obj, now=now, event=event)
        event.status, event.error = ProviderEvent.Status.PROCESSED, event.apply_note
        return None
    except Exception as exc:  # recorded on the row; returned for the caller's retry policy
        if not savepoint:
            raise
        event.customer_id, event.purchase_id = linked  # what the rolled-back apply linked is gone
        event.pending_transaction_ids = set()
        transient = isinstance(exc, TRANSIENT_ERRORS)
        event.status = (
            ProviderEvent.Status.RECEIVED if transient and not final_attempt else ProviderEvent.Status.FAILED
        )
        event.error = f"{type(exc).__name__}: {exc}"[:5000]
        if event.status == ProviderEvent.Status.FAILED:
            logger.error("provider event %s failed", event.provider_event_id, exc_info=exc)
        return exc


def _save_outcomes(events: list[ProviderEvent]) -> None:
    """Write the events' statuses and the transactions they touched (two statements for a whole batch)."""
    if len(events) == 1:
        events[0].save(update_fields=STATUS_FIELDS)
    elif events and connection.vendor == "postgresql":
        _update_from_values(events)
    elif events:
        ProviderEvent.objects.bulk_update(events, STATUS_FIELDS)
    through = ProviderEvent.transactions.through
    links = [
        through(providerevent_id=event.pk, transaction_id=txn_id)
        for event in events
        for txn_id in sorted(getattr(event, "pending_transaction_ids", ()))
    ]
    if links:
        through.objects.bulk_create(links, ignore_conflicts=True)


def _update_from_values(events: list[ProviderEvent]) -> None:
    """UPDATE ... FROM (VALUES ...): one statement, and far less Python than bulk_update's CASE per field."""
    table = ProviderEvent._meta.db_table
    rows = ", ".join(["(%s, %s, %s, %s, %s::timestamptz, %s::bigint, %s::bigint)"] * len(events))
    params = [
        value
        for e in events
        for value in (e.pk, e.status, e.error, e.attempts, e.processed_at, e.customer_id, e.purchase_id)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS e SET status = v.status, error = v.error, attempts = v.attempts, "  # noqa: S608
            "processed_at = v.processed_at, customer_id = v.customer_id, purchase_id = v.purchase_id "
            f"FROM (VALUES {rows}) AS v(id, status, error, attempts, processed_at, customer_id, purchase_id) "
            "WHERE e.id = v.id",
            params,
        )


def event_process(*, event_id: int, now: datetime, final_attempt: bool = True) -> ProviderEvent | None:
    """Apply one stored event once. Returns None when another worker holds it right now.

    The error of a failed apply is kept on the row and re-raised so the task can decide to retry.
    """
    with transaction.atomic():
        event = (
            ProviderEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("merchant")
            .filter(pk=event_id)
            .first()
        )
        if event is None or event.status in (ProviderEvent.Status.PROCESSED, ProviderEvent.Status.IGNORED):
            return event
        failure = _apply_one(event, now=now, final_attempt=final_attempt)
        _save_outcomes([event])
    if failure is not None:
        raise failure
    return event


def _absent_keys(events: list[ProviderEvent]) -> set:
    if not events:
        return set()
    objects = [(e.payload.get("data") or {}).get("object") or {} for e in events if e.type in APPLIED_TYPES]
    return absent_keys(events[0].merchant, objects)


class _RedoCarefully(Exception):
    """An event of an optimistic batch failed: roll the batch back and apply it one savepoint per event."""


def event_process_batch(*, merchant_id: int, now: datetime, limit: int = BATCH_SIZE) -> int:
    """Apply up to `limit` never-tried events of one merchant in one transaction; returns how many it took.

    Events are applied oldest first (by Stripe's `created`), so a charge usually lands before its refund.
    First optimistically, with no savepoints at all; if any event fails, that transaction is rolled back and
    the batch is applied again with a savepoint per event, so the failing event is recorded (or handed to
    its own retrying task) and the others are applied.
    """
    try:
        return _batch(merchant_id=merchant_id, now=now, limit=limit, optimistic=True)
    except _RedoCarefully:
        return _batch(merchant_id=merchant_id, now=now, limit=limit, optimistic=False)


def _batch(*, merchant_id: int, now: datetime, limit: int, optimistic: bool) -> int:
    retry_ids = []
    with transaction.atomic():
        events = list(
            ProviderEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("merchant")
            .filter(merchant_id=merchant_id, status=ProviderEvent.Status.RECEIVED, attempts=0)
            .order_by("provider_created_at", "pk")[:limit]
        )
        if optimistic:
            try:
                memory = BatchMemory(_absent_keys(events))
                for event in events:
                    _apply_one(event, now=now, final_attempt=False, savepoint=False, batch=memory)
            except Exception as exc:
                raise _RedoCarefully from exc  # leaving the atomic block rolls the batch back
        else:
            for event in events:
                _apply_one(event, now=now, final_attempt=False)
                if event.status == ProviderEvent.Status.RECEIVED:
                    retry_ids.append(event.pk)
        _save_outcomes(events)
        for event_id in retry_ids:
            transaction.on_commit(lambda event_id=event_id: _retry_later(event_id))
    return len(events)


def _retry_later(event_id: int) -> None:
    """The batch was attempt 1: the event continues as the process_event task's first retry."""
    from .tasks import backoff_seconds, process_event

    try:
        process_event.apply_async((event_id,), countdown=backoff_seconds(0), retries=1, retry=False)
    except Exception:
        logger.warning("provider event %s: retry not queued (broker down); left for the sweep", event_id)


def event_replay(*, event: ProviderEvent) -> None:
    """Put a FAILED or IGNORED event back in the queue (staff replay, manage.py replay_events)."""
    with transaction.atomic():
        updated = ProviderEvent.objects.filter(
            pk=event.pk, status__in=[ProviderEvent.Status.FAILED, ProviderEvent.Status.IGNORED]
        ).update(status=ProviderEvent.Status.RECEIVED, error="")
        if updated:
            transaction.on_commit(lambda: send_to_worker(event.pk))
