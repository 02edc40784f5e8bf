"""Celery tasks: removing members (bounded retries with backoff, then a periodic sweep), applying Telegram
updates as they arrive, sending invite links."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .models import AccessGrant, TelegramAccount, TelegramUpdate
from .services import access_grant_revoke, access_invites_send
from .updates import update_apply

MAX_RETRIES = 5
UPDATE_RETRIES = 3


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


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=UPDATE_RETRIES)
def apply_update(self, update_pk: int) -> str:
    """Runs as soon as the webhook stored the update, so a join request is answered within seconds."""
    final = self.request.retries >= UPDATE_RETRIES
    try:
        return update_apply(update_id=update_pk, now=timezone.now(), final=final)
    except Exception as exc:
        if final:
            return TelegramUpdate.Status.FAILED
        raise self.retry(countdown=min(5 * 2**self.request.retries, 60), exc=exc) from exc


@shared_task
def sweep_received_updates() -> int:
    """Every minute: updates stored but never applied (broker down when they arrived) are enqueued again."""
    ids = list(
        TelegramUpdate.objects.filter(
            status=TelegramUpdate.Status.RECEIVED, received_at__lt=timezone.now() - timedelta(seconds=30)
        ).values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        apply_update.delay(pk)
    return len(ids)


@shared_task
def send_invites(account_id: int, resend: bool = False) -> int:
    account = TelegramAccount.objects.filter(pk=account_id).first()
    if account is None:
        return 0
    return access_invites_send(account=account, now=timezone.now(), resend=resend)
