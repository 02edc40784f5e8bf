"""The inbox's applying side (see providers/inbox.py for the whole pipeline): apply each stored event exactly
once, alone (event_process) or in a merchant's batch (event_process_batch), and replay an event."""

import logging
from datetime import UTC, datetime

from django.db import transaction

from audit.models import AuditAction
from audit.services import audit_record

from .apply import NotYetKnown, apply_object
from .apply.common import BatchMemory, inbox_scope
from .apply.prefetch import absent_keys
from .inbox import APPLIED_TYPES, BATCH_SIZE, TRANSIENT_ERRORS, send_to_worker
from .models import ProviderEvent
from .outcomes import save_outcomes
from .waiting import applied_keys, data_object, stop_waiting, waited_note, waiting_for, waiting_key

# The log records keep the name they had when this code lived in providers/inbox.py.
logger = logging.getLogger("providers.inbox")


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
