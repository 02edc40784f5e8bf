"""Celery tasks that remove members from chats: bounded retries with backoff, then a periodic sweep."""

from celery import shared_task
from django.utils import timezone

from .models import AccessGrant
from .services import access_grant_revoke

MAX_RETRIES = 5


def backoff_seconds(retries: int) -> int:
    return min(30 * 2**retries, 1800)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def revoke_grant(self, grant_id: int) -> str:
    grant = access_grant_revoke(grant_id=grant_id, now=timezone.now())
    if grant.status == AccessGrant.Status.REVOKE_PENDING and self.request.retries < MAX_RETRIES:
        # After the last retry the grant simply stays pending with its error: visible, retried by the sweep.
        raise self.retry(countdown=backoff_seconds(self.request.retries))
    return grant.status


@shared_task
def retry_pending_revocations() -> int:
    """Every few minutes: enqueue every removal still pending (failed, or lost with a broker outage)."""
    ids = list(
        AccessGrant.objects.filter(status=AccessGrant.Status.REVOKE_PENDING).values_list("pk", flat=True)
    )
    for grant_id in ids:
        revoke_grant.delay(grant_id)
    return len(ids)
