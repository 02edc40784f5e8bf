from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(acks_late=True)
def run_export(job_id: int) -> None:
    services.export_job_run(job_id=job_id)


@shared_task
def expire_exports() -> int:
    return services.exports_expire(now=timezone.now())
