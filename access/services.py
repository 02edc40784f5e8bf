"""Telegram access: grants are created when a purchase goes live and revoked when its access ends.

Revocation is never dropped silently: a grant is REVOKE_PENDING until the Bot API confirmed the removal
(REVOKED) or another live purchase still gives the member the same chat (KEPT). Failures keep the attempts
and last error visible ("Removal pending") until a retry (task backoff, the periodic sweep, or the staff
Retry button) succeeds.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from audit.models import AuditAction
from audit.services import audit_record
from purchases.models import Purchase

from .models import AccessGrant, ChatMember, LinkToken, TelegramAccount, TelegramBot, TelegramChat
from .plans import entitling_purchase
from .telegram import TelegramClient, TelegramError


def telegram_client_for(merchant) -> TelegramClient:
    """The merchant's bot; base URL from settings.TELEGRAM_API_BASE (tests point it at a local stand-in)."""
    return TelegramClient(merchant.telegram_bot_token)


def connected_bot(merchant_id: int) -> TelegramBot | None:
    """The bot registered through Settings (username known, webhook set), or None: then Teller sends nothing
    on its own (no invites) and only removes, as before the bot was connected."""
    bot = TelegramBot.objects.filter(merchant_id=merchant_id).first()
    return bot if bot is not None and bot.is_connected else None


def access_grant_for_purchase(*, purchase: Purchase, now: datetime) -> list[AccessGrant]:
    """Ensure a grant per (chat of the product, Telegram account of the customer) for a live purchase.

    Members who joined a chat outside a purchase have no grant, so revocation never touches them.
    A grant that was revoked comes back to ACTIVE when its purchase is live again (e.g. unpaid -> active).
    """
    if not purchase.is_live:
        return []
    chats = list(TelegramChat.objects.filter(products=purchase.product_id, merchant_id=purchase.merchant_id))
    if not chats:
        return []  # a product that opens no chat grants nothing
    LinkToken.objects.get_or_create(
        purchase=purchase, defaults={"merchant_id": purchase.merchant_id, "created_at": now}
    )
    accounts = list(TelegramAccount.objects.filter(customer_id=purchase.customer_id))
    grants, fresh = [], set()
    for chat in chats:
        for account in accounts:
            grant, created = AccessGrant.objects.get_or_create(
                purchase=purchase,
                chat=chat,
                account=account,
                defaults={"merchant_id": purchase.merchant_id, "granted_at": now},
            )
            if created:
                fresh.add(account.pk)
            if not created and grant.status != AccessGrant.Status.ACTIVE:
                fresh.add(account.pk)
                grant.status, grant.granted_at, grant.attempts, grant.last_error = (
                    AccessGrant.Status.ACTIVE,
                    now,
                    0,
                    "",
                )
                grant.revoke_requested_at = grant.revoked_at = None
                grant.save()
            grants.append(grant)
    if fresh and connected_bot(purchase.merchant_id):
        for account_id in fresh:
            transaction.on_commit(lambda account_id=account_id: _enqueue_invites(account_id))
    return grants


def _enqueue_invites(account_id: int) -> None:
    from .tasks import send_invites  # late: tasks.py imports this module (its task sends the invites)

    send_invites.delay(account_id)


def access_grants_for_customer(*, customer, now: datetime) -> list[AccessGrant]:
    """Grants for every live purchase of the customer (after an account was linked to them)."""
    grants = []
    for purchase in Purchase.objects.live_now(now).filter(customer=customer):
        grants += access_grant_for_purchase(purchase=purchase, now=now)
    return grants


def _entitled_purchase(*, chat: TelegramChat, account: TelegramAccount | None) -> Purchase | None:
    if account is None:
        return None
    return (
        Purchase.objects.live_now()
        .filter(product__chats=chat, customer__telegram_accounts=account, merchant_id=chat.merchant_id)
        .first()
    )


def invite_name(purchase: Purchase) -> str:
    """createChatInviteLink's name (at most 32 characters): which purchase the link belongs to."""
    return f"{purchase.product.name[:22]} #{purchase.pk}"[:32]


def access_invites_send(*, account: TelegramAccount, now: datetime, resend: bool = False, chat=None) -> int:
    """Send the member one approval-needing invite link per chat their live purchases give.

    Skips chats they are already in and (unless `resend`) chats already invited to. The Bot API calls run
    outside any transaction; the outcome (link, time, error) is written on the chat's ACTIVE grants.
    Returns how many invites were sent.
    """
    grants = (
        AccessGrant.objects.filter(account=account, status=AccessGrant.Status.ACTIVE)
        .select_related("chat", "purchase__product", "merchant")
        .order_by("chat_id", "pk")
    )
    if chat is not None:
        grants = grants.filter(chat=chat)
    by_chat: dict[int, list[AccessGrant]] = {}
    for grant in grants:
        by_chat.setdefault(grant.chat_id, []).append(grant)
    inside = set(
        ChatMember.objects.filter(
            chat_id__in=by_chat, telegram_user_id=account.telegram_user_id, status__in=ChatMember.IN_CHAT
        ).values_list("chat_id", flat=True)
    )
    todo = [
        group
        for chat_id, group in by_chat.items()
        if chat_id not in inside and (resend or not any(g.invite_link for g in group))
    ]
    if not todo:
        return 0
    sent = 0
    with telegram_client_for(todo[0][0].merchant) as client:
        for group in todo:
            first = group[0]
            link, error = "", ""
            try:
                link = client.create_invite_link(chat_id=first.chat.chat_id, name=invite_name(first.purchase))
                client.send_message(
                    chat_id=account.telegram_user_id,
                    text=(
                        f"Your access to {first.chat.title}: {link}\n"
                        "Open the link and ask to join; you are approved at once."
                    ),
                )
                sent += 1
            except TelegramError as exc:
                error = exc.message
            AccessGrant.objects.filter(pk__in=[g.pk for g in group]).update(
                invite_link=link or first.invite_link,
                invited_at=now if link else first.invited_at,
                invite_error=error,
            )
    return sent


def access_revocation_request(*, purchase: Purchase, now: datetime) -> list[int]:
    """Mark the purchase's ACTIVE grants REVOKE_PENDING; enqueue their removal once it commits."""
    from .tasks import revoke_grant  # late: tasks.py imports this module (its task runs the service)

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
    other = entitling_purchase(
        chat_id=grant.chat_id, account_id=grant.account_id, excluding_purchase_id=grant.purchase_id
    )
    return other is not None


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
    user_id = grant.account.telegram_user_id
    try:
        with telegram_client_for(grant.merchant) as client:
            client.remove_member(chat_id=grant.chat.chat_id, user_id=user_id)
            _tell_why(client, merchant_id=grant.merchant_id, user_id=user_id, chat=grant.chat)
    except TelegramError as error:
        return _finish(
            grant_id=grant_id, now=now, status=AccessGrant.Status.REVOKE_PENDING, error=error.message
        )
    ChatMember.objects.filter(chat=grant.chat, telegram_user_id=user_id).update(
        status=ChatMember.Status.LEFT, changed_at=now
    )
    return _finish(grant_id=grant_id, now=now, status=AccessGrant.Status.REVOKED)


def _tell_why(client: TelegramClient, *, merchant_id: int, user_id: int, chat: TelegramChat) -> None:
    """The merchant's optional removal message. Best effort: a member who never started the bot cannot be
    written to, and that must not keep the removal pending."""
    bot = TelegramBot.objects.filter(merchant_id=merchant_id).first()
    if bot is None or not bot.removal_message:
        return
    try:
        client.send_message(chat_id=user_id, text=bot.removal_message.replace("{chat}", chat.title))
    except TelegramError:
        pass


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
                action=AuditAction(f"access.{status.lower()}"),
                target=grant,
                now=now,
                customer=grant.purchase.customer,
                data={"chat": grant.chat.title, "telegram_user_id": grant.account.telegram_user_id},
            )
    return grant


def access_retry(*, actor, now: datetime, purchase: Purchase) -> int:
    """Staff "Retry" on a purchase's pending removals: enqueue each again. Returns how many were enqueued."""
    from .tasks import revoke_grant  # late: tasks.py imports this module (its task runs the service)

    ids = list(
        purchase.access_grants.filter(status=AccessGrant.Status.REVOKE_PENDING).values_list("pk", flat=True)
    )
    with transaction.atomic():
        audit_record(
            merchant=purchase.merchant,
            actor=actor,
            action=AuditAction.ACCESS_RETRY,
            target=purchase,
            now=now,
            customer=purchase.customer,
            data={"grants": ids},
        )
        for grant_id in ids:
            transaction.on_commit(lambda grant_id=grant_id: revoke_grant.delay(grant_id))
    return len(ids)
