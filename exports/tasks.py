from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(acks_late=True)
def run_export(job_id: int) -> None:
    services.export_job_run(job_id=job_id)


@shared_task
def expire_exports() -> int:
    """The exports sweep: files past their day deleted, jobs that lost their worker queued again."""
    now = timezone.now()
    services.exports_resume_stalled(now=now)
    return services.exports_expire(now=now)
