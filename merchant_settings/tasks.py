"""Celery tasks of the history import."""

from celery import shared_task
from django.utils import timezone

from .importer import HEARTBEAT_STALE, Importer
from .models import ImportRun


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def import_run(run_id: int) -> None:
    """Work a run to its end. Safe to deliver twice: a run a live worker holds is left to it."""
    run = ImportRun.objects.select_related("merchant").filter(pk=run_id).first()
    if run is not None and run.is_active:
        Importer(run).execute()


def imports_resume_stalled(*, now) -> list[int]:
    """Runs whose worker stopped renewing the heartbeat (killed, restarted): queue them again."""
    stale = ImportRun.objects.filter(state__in=ImportRun.ACTIVE_STATES).exclude(
        heartbeat_at__gte=now - HEARTBEAT_STALE
    )
    ids = list(stale.filter(created_at__lt=now - HEARTBEAT_STALE).values_list("pk", flat=True))
    for run_id in ids:
        # Release the dead worker's claim, so the next worker takes the run at once; should the old one
        # still be alive after all, its next heartbeat finds the token changed and it stops.
        ImportRun.objects.filter(pk=run_id).exclude(heartbeat_at__gte=now - HEARTBEAT_STALE).update(
            worker_token=""
        )
        import_run.delay(run_id)
    return ids


@shared_task(ignore_result=True)
def resume_stalled_imports() -> None:
    imports_resume_stalled(now=timezone.now())
