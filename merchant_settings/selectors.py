"""Reads of the Settings pages: webhook endpoint health and the import's progress."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q

from providers.models import ProviderEvent

from .models import ImportRun, ImportStep, ObjectType


def endpoint_health(merchant, *, now: datetime) -> dict:
    """Last event received; events waiting (not applied yet) or failed among those of the last 24 h."""
    since = now - timedelta(hours=24)
    events = ProviderEvent.objects.filter(merchant=merchant)
    last = events.aggregate(last=Max("received_at"))["last"]
    recent = events.filter(received_at__gte=since).aggregate(
        waiting=Count("id", filter=Q(status=ProviderEvent.Status.RECEIVED)),
        failed=Count("id", filter=Q(status=ProviderEvent.Status.FAILED)),
        total=Count("id"),
    )
    return {"last_received_at": last, **recent}


@dataclass
class StepProgress:
    step: ImportStep
    percent: int | None  # None: no estimate yet
    rate: float | None  # objects per second
    eta_seconds: int | None


def step_progress(step: ImportStep, run: ImportRun, *, now: datetime) -> StepProgress:
    """Stripe lists carry no total. Lists run newest first, so how far back the cursor's `created` has come
    between the newest object and the start of the history estimates the fraction done."""
    if step.state == ImportStep.State.DONE:
        return StepProgress(step, 100, _rate(step, step.finished_at or now), 0)
    fraction = None
    if step.object_type == ObjectType.PAYMENT_METHOD and step.expected:
        fraction = step.done / step.expected
    elif step.newest_created_at and step.cursor_created_at and run.history_start_at:
        span = (step.newest_created_at - run.history_start_at).total_seconds()
        if span > 0:
            fraction = (step.newest_created_at - step.cursor_created_at).total_seconds() / span
    rate = _rate(step, now)
    if fraction is None:
        return StepProgress(step, None, rate, None)
    fraction = min(max(fraction, 0.0), 0.99)
    eta = None
    if fraction > 0 and step.started_at:
        elapsed = (now - step.started_at).total_seconds()
        eta = int(elapsed * (1 - fraction) / fraction)
    return StepProgress(step, int(fraction * 100), rate, eta)


def _rate(step: ImportStep, until: datetime) -> float | None:
    if not step.started_at or not step.done:
        return None
    seconds = max((until - step.started_at).total_seconds(), 0.001)
    return step.done / seconds


def latest_import(merchant) -> ImportRun | None:
    return ImportRun.objects.filter(merchant=merchant).order_by("-created_at", "-id").first()


def import_view(run: ImportRun | None, *, now: datetime) -> dict:
    if run is None:
        return {"run": None}
    steps = list(run.steps.all())
    failures = [f for s in steps for f in s.failures.all()[:20]][:50]
    return {
        "run": run,
        "progress": [step_progress(s, run, now=now) for s in steps],
        "failures": failures,
        "totals": {
            "done": sum(s.done for s in steps),
            "applied": sum(s.applied for s in steps),
            "skipped": sum(s.skipped for s in steps),
            "failed": sum(s.failed for s in steps),
        },
    }
