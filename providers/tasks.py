"""Celery tasks of the sync pipeline: apply one event, sweep what was never enqueued, replay."""

import random
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .inbox import TRANSIENT_ERRORS, event_process, send_to_worker
from .models import ProviderEvent

MAX_ATTEMPTS = 5
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


@shared_task
def sweep_received_events() -> int:
    """Enqueue events still RECEIVED after SWEEP_AFTER (the broker was down, or a worker died)."""
    cutoff = timezone.now() - SWEEP_AFTER
    ids = list(
        ProviderEvent.objects.filter(status=ProviderEvent.Status.RECEIVED, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return sum(1 for pk in ids if send_to_worker(pk))


@shared_task
def replay_event(event_id: int) -> str:
    from .inbox import event_replay

    event = ProviderEvent.objects.get(pk=event_id)
    event_replay(event=event)
    return "queued"
