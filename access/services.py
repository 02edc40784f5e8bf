"""Telegram access: grants are created when a purchase goes live and revoked when its access ends.

Revocation is never dropped silently: a grant is REVOKE_PENDING until the Bot API confirmed the removal
(REVOKED) or another live purchase still gives the member the same chat (KEPT). Failures keep the attempts
and last error visible ("Removal pending") until a retry (task backoff, the periodic sweep, or the staff
Retry button) succeeds.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from audit.services import audit_record
from purchases.models import Purchase

from .models import AccessGrant, TelegramAccount, TelegramChat
from .telegram import TelegramClient, TelegramError


def telegram_client_for(merchant) -> TelegramClient:
    """The merchant's bot; base URL from settings.TELEGRAM_API_BASE (tests point it at a local stand-in)."""
    return TelegramClient(merchant.telegram_bot_token)


def access_grant_for_purchase(*, purchase: Purchase, now: datetime) -> list[AccessGrant]:
    """Ensure a grant per (chat of the product, Telegram account of the customer) for a live purchase.

    Members who joined a chat outside a purchase have no grant, so revocation never touches them.
    A grant that was revoked comes back to ACTIVE when its purchase is live again (e.g. unpaid -> active).
    """
    if not purchase.is_live:
        return []
    chats = list(TelegramChat.objects.filter(products=purchase.product_id, merchant_id=purchase.merchant_id))
    accounts = list(TelegramAccount.objects.filter(customer_id=purchase.customer_id))
    grants = []
    for chat in chats:
        for account in accounts:
            grant, created = AccessGrant.objects.get_or_create(
                purchase=purchase,
                chat=chat,
                account=account,
                defaults={"merchant_id": purchase.merchant_id, "granted_at": now},
            )
            if not created and grant.status != AccessGrant.Status.ACTIVE:
                grant.status, grant.granted_at, grant.attempts, grant.last_error = (
                    AccessGrant.Status.ACTIVE,
                    now,
                    0,
                    "",
                )
                grant.revoke_requested_at = grant.revoked_at = None
                grant.save()
            grants.append(grant)
    return grants


def access_revocation_request(*, purchase: Purchase, now: datetime) -> list[int]:
    """Mark the purchase's ACTIVE grants REVOKE_PENDING; enqueue their removal once it commits."""
    from .tasks import revoke_grant

    ids = list(purchase.access_grants.filter(status=AccessGrant.Status.ACTIVE).values_list("pk", flat=True))
    if not ids:
        return []
    AccessGrant.objects.filter(pk__in=ids).update(
        status=AccessGrant.Status.REVOKE_PENDING, revoke_requested_at=now
    )
    for grant_id in ids:
        transaction.on_commit(lambda grant_id=grant_id: revoke_grant.delay(grant_id))
    return ids


def _still_entitled(grant: AccessGrant) -> bool:
    """Another live purchase of a customer linked to this Telegram account gives the same chat."""
    return (
        Purchase.objects.live()
        .filter(product__chats=grant.chat_id, customer__telegram_accounts=grant.account_id)
        .exclude(pk=grant.purchase_id)
        .exists()
    )


def access_grant_revoke(*, grant_id: int, now: datetime) -> AccessGrant:
    """Remove the member of one pending grant from its chat (ban, then unban). Idempotent.

    Returns the grant: REVOKED on success, KEPT when another live purchase still gives the chat, or still
    REVOKE_PENDING with `attempts` and `last_error` on failure (the task decides whether to retry).
    Telegram errors never propagate: they are recorded on the grant.
    """
    grant = AccessGrant.objects.select_related("chat", "account", "merchant").get(pk=grant_id)
    if grant.status != AccessGrant.Status.REVOKE_PENDING:
        return grant  # REVOKED stays REVOKED; ACTIVE / KEPT need no removal
    if _still_entitled(grant):
        return _finish(grant_id=grant_id, now=now, status=AccessGrant.Status.KEPT)
    # The network call runs outside any transaction; ban + unban is itself idempotent at Telegram.
    try:
        with telegram_client_for(grant.merchant) as client:
            client.remove_member(chat_id=grant.chat.chat_id, user_id=grant.account.telegram_user_id)
    except TelegramError as error:
        return _finish(
            grant_id=grant_id, now=now, status=AccessGrant.Status.REVOKE_PENDING, error=error.message
        )
    return _finish(grant_id=grant_id, now=now, status=AccessGrant.Status.REVOKED)


def _finish(*, grant_id: int, now: datetime, status: str, error: str = "") -> AccessGrant:
    with transaction.atomic():
        grant = (
            AccessGrant.objects.select_for_update()
            .select_related("purchase", "chat", "account")
            .get(pk=grant_id)
        )
        if grant.status != AccessGrant.Status.REVOKE_PENDING:
            return grant  # a concurrent attempt finished first
        grant.status = status
        grant.last_error = error
        if status != AccessGrant.Status.KEPT:
            grant.attempts += 1
        if status == AccessGrant.Status.REVOKED:
            grant.revoked_at = now
        grant.save(update_fields=["status", "last_error", "attempts", "revoked_at"])
        if status != AccessGrant.Status.REVOKE_PENDING:
            audit_record(
                merchant=grant.purchase.merchant,
                actor=None,
                action=f"access.{status.lower()}",
                target=grant,
                now=now,
                customer=grant.purchase.customer,
                data={"chat": grant.chat.title, "telegram_user_id": grant.account.telegram_user_id},
            )
    return grant


def access_retry(*, actor, now: datetime, purchase: Purchase) -> int:
    """Staff "Retry" on a purchase's pending removals: enqueue each again. Returns how many were enqueued."""
    from .tasks import revoke_grant

    ids = list(
        purchase.access_grants.filter(status=AccessGrant.Status.REVOKE_PENDING).values_list("pk", flat=True)
    )
    with transaction.atomic():
        audit_record(
            merchant=purchase.merchant,
            actor=actor,
            action="access.retry",
            target=purchase,
            now=now,
            customer=purchase.customer,
            data={"grants": ids},
        )
        for grant_id in ids:
            transaction.on_commit(lambda grant_id=grant_id: revoke_grant.delay(grant_id))
    return len(ids)
