"""The inbox: store every provider event raw, wake an applier, and apply each event exactly once.

- event_store runs in the webhook request: one INSERT, nothing else touches the domain tables.
- event_enqueue wakes the merchant's applier after the commit. Wakes are deduplicated in the cache (one
  queued drain per merchant at a time), so a burst of webhooks costs one Celery message, not one each.
- event_process_batch (the drain task, in the worker) locks up to BATCH_SIZE never-tried events of a merchant
  with SKIP LOCKED, oldest first, and applies them in ONE transaction, each in its own savepoint: a failing
  event rolls back alone. Two drains never take the same event; a killed worker rolls its batch back.
- An event whose apply failed transiently leaves the batch and retries alone (event_process via the
  process_event task, with backoff); so do events the sweep finds still RECEIVED (broker down, lost wake).
- An event whose parent is not applied yet (NotYetKnown) becomes WAITING for it, and is applied right after
  an event applies that parent (providers/waiting.py); a parent that never comes is fetched
  (providers/parents.py). FAILED is kept for real errors.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from django.core.cache import cache
from django.db import DataError, IntegrityError, OperationalError, connection, transaction

from audit.models import AuditAction
from audit.services import audit_record
from payments.base import ProviderUnavailable

from .apply import NotYetKnown, apply_object
from .apply.common import BatchMemory, inbox_scope
from .apply.prefetch import absent_keys
from .models import ProviderEvent
from .outcomes import save_outcomes
from .waiting import applied_keys, data_object, stop_waiting, waited_note, waiting_for, waiting_key
from .webhooks import made_safe

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
    *, merchant, event: dict, now: datetime, _cleaned: bool = False
) -> tuple[ProviderEvent, bool]:
    """Insert the raw event; a delivery of an event already stored returns (existing, False).

    A malformed event (wrong types, no data.object) is stored too, FAILED with the reason: never lost,
    never half-applied, and visible on the Webhooks page.
    """
    obj = data_object(event) or {}
    problems = _malformed(event)
    api_version = event.get("api_version")
    row = ProviderEvent(
        merchant=merchant,
        provider="STRIPE",
        provider_event_id=event["id"],
        type=event["type"][:128] if isinstance(event.get("type"), str) else "",
        object_id=str(obj.get("id") or "")[:255],
        payload=event,
        livemode=event.get("livemode") is True,
        api_version=api_version[:64] if isinstance(api_version, str) else "",
        provider_created_at=_created_at(event.get("created")) or now,
        received_at=now,
    )
    if problems:
        row.status, row.processed_at = ProviderEvent.Status.FAILED, now
        row.error = "Malformed event: " + "; ".join(problems)
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():  # a savepoint, so a duplicate does not break the caller's transaction
                row.save(force_insert=True)
        else:
            row.save(force_insert=True)  # the webhook request: one INSERT in autocommit, no BEGIN/COMMIT
        return row, True
    except IntegrityError:
        return ProviderEvent.objects.get(merchant=merchant, provider_event_id=event["id"]), False
    except DataError:
        # PostgreSQL refuses NUL in jsonb and text. The webhook view cleans its events before they get here;
        # events read from the API (sync_stripe) are cleaned only when they need it, which is rare.
        if _cleaned:
            raise
        return event_store(merchant=merchant, event=made_safe(event), now=now, _cleaned=True)


def event_enqueue(provider_event: ProviderEvent) -> None:
    """Wake the merchant's applier once the surrounding transaction commits.

    If the broker is down the event stays RECEIVED; the periodic sweep enqueues it later.
    """
    if provider_event.status != ProviderEvent.Status.RECEIVED:
        return  # stored FAILED (malformed): nothing to apply
    merchant_id = provider_event.merchant_id
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


def _apply_one(
    event: ProviderEvent,
    *,
    now: datetime,
    final_attempt: bool,
    savepoint: bool = True,
    batch: BatchMemory | None = None,
):
    """Apply a locked event and set its outcome on the instance (not saved); return the error, if any.

    With `savepoint` a failure rolls back this event alone: a missing parent makes it WAITING for that
    parent; a transient failure leaves it RECEIVED (to be retried) unless this is the final attempt; any other
    marks it FAILED. Without it (an optimistic batch) the error propagates and the caller rolls the whole
    batch back.
    """
    event.attempts += 1
    event.processed_at = now
    obj = data_object(event.payload)
    if event.type not in APPLIED_TYPES or obj is None:
        event.status = ProviderEvent.Status.IGNORED if obj is not None else ProviderEvent.Status.FAILED
        event.error = "" if obj is not None else "Malformed event: data.object is not an object"
        stop_waiting(event)
        return None
    linked = (event.customer_id, event.purchase_id)
    event.apply_note = ""
    event.inbox_saves_links = True
    event.pending_transaction_ids = set()
    try:
        with transaction.atomic(savepoint=savepoint), inbox_scope(optimistic=not savepoint, batch=batch):
            apply_object(merchant=event.merchant, obj=obj, now=now, event=event)
        notes = [waited_note(event, now), event.apply_note]
        event.status, event.error = ProviderEvent.Status.PROCESSED, "; ".join(n for n in notes if n)
        stop_waiting(event)
        return None
    except Exception as exc:  # recorded on the row; returned for the caller's retry policy
        if not savepoint:
            raise
        event.customer_id, event.purchase_id = linked  # what the rolled-back apply linked is gone
        event.pending_transaction_ids = set()
        event.error = f"{type(exc).__name__}: {exc}"[:5000]
        if isinstance(exc, NotYetKnown) and exc.object_id:
            event.status = ProviderEvent.Status.WAITING
            event.waiting_for_type, event.waiting_for_id = exc.object_type[:32], str(exc.object_id)[:255]
            event.waiting_since = event.waiting_since or now  # a second parent does not restart the clock
            return None
        transient = isinstance(exc, TRANSIENT_ERRORS)
        event.status = (
            ProviderEvent.Status.RECEIVED if transient and not final_attempt else ProviderEvent.Status.FAILED
        )
        if event.status == ProviderEvent.Status.FAILED:
            stop_waiting(event)
            logger.error("provider event %s failed", event.provider_event_id, exc_info=exc)
        return exc


def apply_events(
    events: list[ProviderEvent],
    *,
    merchant_id: int,
    now: datetime,
    optimistic: bool = False,
    batch: BatchMemory | None = None,
    final_attempt: bool = False,
    waiting: dict | None = None,
) -> tuple[list[ProviderEvent], dict]:
    """Apply locked events in order, each followed at once by the events that were waiting for what it
    applied (and by theirs). Returns every event touched (to be saved) and the failures by event pk.

    One query finds (and locks) the waiting events of the objects these events name, unless `waiting` (the
    same shape: key -> events) is given.
    """
    if waiting is None:
        named = set().union(
            *(applied_keys(data_object(e.payload)) for e in events if e.type in APPLIED_TYPES)
        )
        waiting = waiting_for(merchant_id, named, exclude=[e.pk for e in events])
    touched: dict[int, ProviderEvent] = {}
    failures: dict[int, Exception] = {}

    def run(event: ProviderEvent, final: bool) -> None:
        failure = _apply_one(event, now=now, final_attempt=final, savepoint=not optimistic, batch=batch)
        touched[event.pk] = event
        if failure is not None:
            failures[event.pk] = failure
        if event.status == ProviderEvent.Status.WAITING:
            waiting.setdefault(waiting_key(event), []).append(event)  # its parent may come later in the batch
        elif event.status == ProviderEvent.Status.PROCESSED:
            children = [c for key in applied_keys(data_object(event.payload)) for c in waiting.pop(key, ())]
            for child in sorted(children, key=lambda c: (c.provider_created_at, c.pk)):
                run(child, False)

    for event in events:
        run(event, final_attempt)
    return list(touched.values()), failures


def _retry_received(events: list[ProviderEvent], *, skip: int | None = None) -> None:
    """After the commit, events left RECEIVED (a transient failure) continue as process_event retries."""
    for event in events:
        if event.status == ProviderEvent.Status.RECEIVED and event.pk != skip:
            transaction.on_commit(lambda event_id=event.pk: _retry_later(event_id))


def event_process(*, event_id: int, now: datetime, final_attempt: bool = True) -> ProviderEvent | None:
    """Apply one stored event once (and the events that waited for what it applied). Returns None when
    another worker holds it right now.

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
        touched, failures = apply_events(
            [event], merchant_id=event.merchant_id, now=now, final_attempt=final_attempt
        )
        save_outcomes(touched)
        _retry_received(touched, skip=event.pk)
    if event.pk in failures:
        raise failures[event.pk]
    return event


def _absent_keys(events: list[ProviderEvent]) -> set:
    if not events:
        return set()
    objects = [data_object(e.payload) for e in events if e.type in APPLIED_TYPES]
    return absent_keys(events[0].merchant, [o for o in objects if o is not None])


class _RedoCarefully(Exception):
    """An event of an optimistic batch failed: roll the batch back and apply it one savepoint per event."""


def event_process_batch(*, merchant_id: int, now: datetime, limit: int = BATCH_SIZE) -> int:
    """Apply up to `limit` never-tried events of one merchant in one transaction; returns how many it took.

    Events are applied oldest first (by Stripe's `created`), so a charge usually lands before its refund;
    an event that waited for an object is applied right after the event that applies it.
    First optimistically, with no savepoints at all; if any event fails (a missing parent too), that
    transaction is rolled back and the batch is applied again with a savepoint per event, so the failing
    event is recorded (WAITING, FAILED, or handed to its own retrying task) and the others are applied.
    """
    try:
        return _batch(merchant_id=merchant_id, now=now, limit=limit, optimistic=True)
    except _RedoCarefully:
        return _batch(merchant_id=merchant_id, now=now, limit=limit, optimistic=False)


def _batch(*, merchant_id: int, now: datetime, limit: int, optimistic: bool) -> int:
    with transaction.atomic():
        events = list(
            ProviderEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("merchant")
            .filter(merchant_id=merchant_id, status=ProviderEvent.Status.RECEIVED, attempts=0)
            .order_by("provider_created_at", "pk")[:limit]
        )
        if not events:
            return 0
        if optimistic:
            try:
                memory = BatchMemory(_absent_keys(events))
                touched, _ = apply_events(
                    events, merchant_id=merchant_id, now=now, optimistic=True, batch=memory
                )
            except Exception as exc:
                raise _RedoCarefully from exc  # leaving the atomic block rolls the batch back
        else:
            touched, _ = apply_events(events, merchant_id=merchant_id, now=now)
        save_outcomes(touched)
        _retry_received(touched)
    return len(events)


def _retry_later(event_id: int) -> None:
    """The batch was attempt 1: the event continues as the process_event task's first retry."""
    from .tasks import backoff_seconds, process_event  # late: tasks.py imports this module

    try:
        process_event.apply_async((event_id,), countdown=backoff_seconds(0), retries=1, retry=False)
    except Exception:
        logger.warning("provider event %s: retry not queued (broker down); left for the sweep", event_id)


def event_replay(*, event: ProviderEvent, actor=None, now: datetime | None = None) -> bool:
    """Put a FAILED or IGNORED event back in the queue (staff replay, manage.py replay_events).

    A staff replay (`actor`) is audited in the same transaction. Returns whether the event was requeued.
    """
    with transaction.atomic():
        updated = ProviderEvent.objects.filter(
            pk=event.pk, status__in=[ProviderEvent.Status.FAILED, ProviderEvent.Status.IGNORED]
        ).update(
            status=ProviderEvent.Status.RECEIVED,
            error="",
            waiting_for_type="",
            waiting_for_id="",
            waiting_since=None,
        )
        if updated and actor is not None:
            audit_record(
                merchant=event.merchant,
                actor=actor,
                action=AuditAction.EVENT_REPLAY,
                target=event,
                now=now or datetime.now(tz=UTC),
                data={"status_before": event.status, "type": event.type, "event": event.provider_event_id},
            )
        if updated:
            transaction.on_commit(lambda: send_to_worker(event.pk))
    return bool(updated)
