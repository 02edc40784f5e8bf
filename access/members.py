"""Staff actions on chat members (Chats page, customer panel). Each one is a POST, audited."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from audit.models import AuditAction
from audit.services import audit_record

from .models import AccessGrant, ChatMember, TelegramAccount, TelegramChat
from .services import access_invites_send, telegram_client_for


def member_remove(*, actor, now: datetime, chat: TelegramChat, telegram_user_id: int) -> int:
    """Remove someone from a chat now (ban + unban), whether or not a purchase gives them access: staff chose
    to. Raises TelegramError (nothing changed) when the Bot API refuses. Returns the grants it closed."""
    with telegram_client_for(chat.merchant) as client:
        client.remove_member(chat_id=chat.chat_id, user_id=telegram_user_id)
    account = TelegramAccount.objects.filter(
        merchant=chat.merchant, telegram_user_id=telegram_user_id
    ).first()
    with transaction.atomic():
        ChatMember.objects.filter(chat=chat, telegram_user_id=telegram_user_id).update(
            status=ChatMember.Status.KICKED, changed_at=now
        )
        closed = 0
        if account is not None:
            closed = AccessGrant.objects.filter(
                chat=chat,
                account=account,
                status__in=[
                    AccessGrant.Status.ACTIVE,
                    AccessGrant.Status.REVOKE_PENDING,
                    AccessGrant.Status.KEPT,
                ],
            ).update(status=AccessGrant.Status.REVOKED, revoked_at=now, last_error="")
        audit_record(
            merchant=chat.merchant,
            actor=actor,
            action=AuditAction.ACCESS_STAFF_REMOVE,
            target=chat,
            now=now,
            customer=account.customer if account else None,
            data={"chat": chat.title, "telegram_user_id": telegram_user_id, "grants_closed": closed},
        )
    return closed


def invite_resend(*, actor, now: datetime, account: TelegramAccount, chat: TelegramChat | None = None) -> int:
    """A fresh invite link for the chats the member's live purchases give (one chat, or all)."""
    sent = access_invites_send(account=account, now=now, resend=True, chat=chat)
    with transaction.atomic():
        audit_record(
            merchant=account.merchant,
            actor=actor,
            action=AuditAction.ACCESS_INVITE_RESEND,
            target=account,
            now=now,
            customer=account.customer,
            data={"chat": chat.title if chat else None, "sent": sent},
        )
    return sent
