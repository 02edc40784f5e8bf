"""Mirror blocked details into the provider's block lists (Stripe Radar value lists), so the provider
itself declines the next payment from a blocked card, email or customer.

The task reconciles: it reads the detail's current state and makes Radar match it, so a retried or
duplicated task is harmless, and a block followed quickly by an unblock ends with no Radar item.
"""

import structlog
from celery import shared_task
from django.core.cache import cache
from django.db import transaction

from payments.base import ProviderError, ProviderUnavailable, RadarList
from payments.registry import get_provider

from .models import Identifier

log = structlog.get_logger(__name__)

RADAR_LIST_OF_KIND = {
    Identifier.Kind.CARD: RadarList.CARD_FINGERPRINT,
    Identifier.Kind.EMAIL: RadarList.EMAIL,
    Identifier.Kind.CUSTOMER_ID: RadarList.CUSTOMER_ID,
}
MAX_RETRIES = 6
# Longer than one provider round trip (20 s timeout, one SDK retry); a crashed worker's lock expires.
LOCK_SECONDS = 90


def provider_mirrors_radar(merchant) -> bool:
    """Whether the merchant's provider keeps block lists (Stripe does; the sandbox imitates it)."""
    try:
        provider = get_provider(merchant)
    except ProviderError:  # not connected, or no such provider here: nothing to mirror into
        return False
    return callable(getattr(provider, "radar_item_add", None))


@shared_task(
    bind=True,
    autoretry_for=(ProviderUnavailable,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
    acks_late=True,
)
def radar_sync_identifier(self, identifier_id: int) -> str:
    """Make the provider's block list match Identifier.is_blocked; record SYNCED or FAILED.

    One sync per detail at a time (a cache lock): two overlapping syncs of a block could each add an item,
    and the orphan would keep the card blocked at Stripe after an unblock."""
    lock, token = f"customers:radar-sync:{identifier_id}", self.request.id or "eager"
    if not cache.add(lock, token, LOCK_SECONDS):
        raise self.retry(countdown=3)
    try:
        return _sync(self, identifier_id)
    finally:
        if cache.get(lock) == token:
            cache.delete(lock)


def _sync(task, identifier_id: int) -> str:
    identifier = Identifier.objects.select_related("merchant").get(pk=identifier_id)
    list_kind = RADAR_LIST_OF_KIND.get(identifier.kind)
    if list_kind is None:
        return _record(identifier_id, status=Identifier.SyncStatus.NONE, synced_blocked=identifier.is_blocked)
    try:
        item_id = _reconcile(get_provider(identifier.merchant), identifier, list_kind)
    except ProviderUnavailable as exc:
        if task.request.retries >= task.max_retries:
            return _record(
                identifier_id,
                status=Identifier.SyncStatus.FAILED,
                error=exc.message,
                synced_blocked=identifier.is_blocked,
            )
        _record(
            identifier_id,
            status=Identifier.SyncStatus.PENDING,
            error=f"Retrying: {exc.message}",
            synced_blocked=identifier.is_blocked,
        )
        raise  # autoretry_for schedules the next attempt with backoff
    except ProviderError as exc:
        log.warning("radar.sync_failed", identifier=identifier_id, error=exc.message)
        return _record(
            identifier_id,
            status=Identifier.SyncStatus.FAILED,
            error=exc.message,
            synced_blocked=identifier.is_blocked,
        )
    return _record(
        identifier_id,
        status=Identifier.SyncStatus.SYNCED,
        item_id=item_id,
        synced_blocked=identifier.is_blocked,
    )


def _reconcile(provider, identifier: Identifier, list_kind: str) -> str:
    """Add or remove the Radar item; returns the item id now in the list ("" when none)."""
    if identifier.is_blocked:
        if identifier.radar_item_id:
            return identifier.radar_item_id
        return provider.radar_item_add(list_kind=list_kind, value=identifier.value)["id"]
    if identifier.radar_item_id:
        try:
            provider.radar_item_remove(item_id=identifier.radar_item_id)
        except ProviderError as exc:
            if exc.code != "resource_missing":  # already gone from the list: that is what we want
                raise
    return ""


def _record(
    identifier_id: int, *, status: str, synced_blocked: bool, item_id: str | None = None, error: str = ""
) -> str:
    """Store the outcome. If the detail changed while we talked to the provider, sync it again."""
    with transaction.atomic():
        identifier = Identifier.objects.select_for_update().get(pk=identifier_id)
        identifier.radar_status = status
        identifier.radar_error = error
        fields = ["radar_status", "radar_error", "updated_at"]
        if item_id is not None:
            identifier.radar_item_id = item_id
            fields.append("radar_item_id")
        stale = identifier.is_blocked != synced_blocked and status == Identifier.SyncStatus.SYNCED
        if stale:
            identifier.radar_status = Identifier.SyncStatus.PENDING
            transaction.on_commit(lambda: radar_sync_identifier.delay(identifier_id))
        identifier.save(update_fields=fields)
    return identifier.radar_status
