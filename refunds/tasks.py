"""Periodic work of the refunds app (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task
from django.utils import timezone

from .services import credits_reconcile_pending, repayments_expire


@shared_task(ignore_result=True)
def reconcile_pending_credits() -> dict:
    """Finish credits left PENDING by a provider timeout: retry with the same idempotency key, or fail."""

    return credits_reconcile_pending(now=timezone.now())


@shared_task(ignore_result=True)
def expire_repayment_links() -> int:
    """Mark repayment links past their expiry EXPIRED (pages already treat them as expired on read)."""

    return repayments_expire(now=timezone.now())
