"""Celery tasks of the sync pipeline: drain a merchant's new events, apply one event, sweeps, replay."""

import logging
import random
import time
from datetime import timedelta

from celery import shared_task
from django.db.models import Count
from django.utils import timezone

from .inbox import MAX_ATTEMPTS, TRANSIENT_ERRORS, applier_lock, clear_wake, send_to_worker, wake_applier
from .inbox_apply import event_process, event_process_batch, event_replay
from .models import ProviderEvent
from .parents import ApplierBusy, overdue_merchants, waiting_resolve

logger = logging.getLogger(__name__)
# A drain hands over to a fresh one after this long and queues it behind the other merchants' drains, so
# one merchant's burst delays another merchant's events by about this much at most, even with a single
# worker process (bench/fairness.py measures it). A hand-over costs one task round trip: nothing at 2 s.
DRAIN_BUDGET_SECONDS = 2
# A drain that finds its merchant's applier busy asks for another this much later.
BUSY_RETRY_SECONDS = 1
SWEEP_AFTER = timedelta(seconds=30)
SWEEP_BATCH = 500


def backoff_seconds(retries: int) -> float:
    """Exponential backoff with full jitter: up to 2, 4, 8, 16... seconds (capped at 5 minutes)."""
    return random.uniform(0.5, min(300, 2 ** (retries + 1)))


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_ATTEMPTS - 1)
def process_event(self, event_id: int) -> str:
    """Apply one stored event. Transient failures retry with backoff; the last attempt marks it FAILED."""
    final = self.request.retries >= self.max_retries
    try:
        event = event_process(event_id=event_id, now=timezone.now(), final_attempt=final)
    except TRANSIENT_ERRORS as exc:
        if final:
            return "failed"
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc
    except Exception:
        return "failed"  # deterministic: already recorded FAILED, replayable from the events page
    return "skipped" if event is None else event.status


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_ATTEMPTS - 1)
def drain_events(self, merchant_id: int) -> int:
    """Apply the merchant's new events in batches until none is left (or the time budget is spent).

    If another drain of this merchant is running, this one asks for a drain a second later and leaves: the
    running one may still see the new events, and if not, the later one will (no event waits for the sweep).
    """
    # The wake that queued this drain is spent: from here on a new event wakes another drain, and an event
    # stored before this point is seen by this drain (or, when the applier is busy, by the drain it asks for).
    clear_wake(merchant_id)
    with applier_lock(merchant_id) as held:
        if not held:
            if not self.request.is_eager:  # eagerly, "a second later" would be now, again and again
                wake_applier(merchant_id, countdown=BUSY_RETRY_SECONDS)
            return 0
        started = time.monotonic()
        applied = 0
        try:
            while True:
                taken = event_process_batch(merchant_id=merchant_id, now=timezone.now())
                applied += taken
                if taken == 0:
                    return applied
                if time.monotonic() - started > DRAIN_BUDGET_SECONDS:
                    break
        except TRANSIENT_ERRORS as exc:  # the database went away mid-batch: that batch rolled back, try again
            if self.request.retries >= self.max_retries:
                return applied  # what is left stays RECEIVED: the sweep takes it event by event
            raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc
    wake_applier(merchant_id)  # budget spent: a fresh drain continues, after the lock is released
    return applied


@shared_task
def sweep_received_events() -> int:
    """Requeue events still RECEIVED after SWEEP_AFTER (the broker was down, a wake or a worker was lost).

    Never-tried events go back to their merchant's drain (one wake per merchant, however many are waiting);
    events that were tried before (a retry whose message was lost) go one by one to process_event.
    Returns how many events were requeued.
    """
    stale = ProviderEvent.objects.filter(
        status=ProviderEvent.Status.RECEIVED, received_at__lt=timezone.now() - SWEEP_AFTER
    )
    waiting = (
        stale.filter(attempts=0).values("merchant_id").annotate(n=Count("pk")).values_list("merchant_id", "n")
    )
    requeued = sum(n for merchant_id, n in waiting if wake_applier(merchant_id))
    retries = list(
        stale.filter(attempts__gt=0).order_by("received_at").values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return requeued + sum(1 for pk in retries if send_to_worker(pk))


@shared_task
def sweep_waiting_events() -> int:
    """Merchants with events waiting for a parent longer than TELLER_INBOX_FETCH_PARENT_AFTER get their
    parents fetched (one task per merchant). Returns how many merchants were queued."""
    queued = 0
    for merchant_id in overdue_merchants(now=timezone.now()):
        try:
            resolve_waiting_events.apply_async((merchant_id,), retry=False)
            queued += 1
        except Exception:  # the broker is unreachable: the next sweep queues it
            logger.warning("merchant %s: waiting events not queued (broker unavailable)", merchant_id)
    return queued


@shared_task(bind=True, acks_late=True, max_retries=30)
def resolve_waiting_events(self, merchant_id: int) -> dict:
    """Fetch and apply the merchant's overdue parents, then the events that waited for them."""
    try:
        return waiting_resolve(merchant_id=merchant_id, now=timezone.now())
    except ApplierBusy as exc:  # a drain is applying this merchant's events: come back when it is done
        if self.request.is_eager or self.request.retries >= self.max_retries:
            return {"busy": 1}  # the next sweep tries again
        raise self.retry(exc=exc, countdown=BUSY_RETRY_SECONDS * 2) from exc


@shared_task
def replay_event(event_id: int) -> str:

    event = ProviderEvent.objects.get(pk=event_id)
    event_replay(event=event)
    return "queued"
