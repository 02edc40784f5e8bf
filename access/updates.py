"""Telegram updates: stored first (unique per merchant + update_id), applied once by a Celery task.

Kinds Teller acts on:
- message "/start <token>": link the sender to the buyer of that deep link, then send the invites;
- chat_join_request: approve when the requester has a live purchase giving the chat, decline otherwise (a
  forwarded personal invite link is logged on its owner's customer page);
- chat_member: who is in the chat (joins, leaves, removals), newest change wins (updates arrive in any order).
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from telegram import Update

from audit.models import AuditAction
from audit.services import audit_record

from .linking import LinkError, link_token_redeem
from .models import AccessGrant, ChatMember, TelegramAccount, TelegramChat, TelegramUpdate
from .services import _entitled_purchase, access_invites_send, telegram_client_for
from .telegram import REQUIRED_RIGHTS, TelegramError

KINDS = ("message", "chat_join_request", "chat_member", "my_chat_member")
STATUS_MAP = {
    "creator": ChatMember.Status.CREATOR,
    "administrator": ChatMember.Status.ADMINISTRATOR,
    "member": ChatMember.Status.MEMBER,
    "restricted": ChatMember.Status.RESTRICTED,
    "left": ChatMember.Status.LEFT,
    "kicked": ChatMember.Status.KICKED,
}


class BadUpdate(ValueError):
    """The body is not a Telegram update."""


def update_parse(body: object) -> tuple[int, str]:
    """(update_id, kind) of a decoded JSON body, checked with python-telegram-bot's Update."""
    if not isinstance(body, dict):
        raise BadUpdate("not an object")
    update_id = body.get("update_id")
    if type(update_id) is not int or not 0 <= update_id < 2**53:
        raise BadUpdate("update_id missing or not an integer")
    try:
        Update.de_json(body, None)
    except Exception as exc:  # PTB raises KeyError/TypeError/ValueError/AttributeError on hostile shapes
        raise BadUpdate(f"not an update: {exc.__class__.__name__}") from exc
    kind = next((k for k in KINDS if k in body), "")
    return update_id, kind


def update_store(*, merchant, body: dict, now: datetime) -> TelegramUpdate | None:
    """Store the update; None when it was stored before (Telegram retries deliveries)."""
    update_id, kind = update_parse(body)
    try:
        with transaction.atomic():
            return TelegramUpdate.objects.create(
                merchant=merchant, update_id=update_id, kind=kind, payload=body, received_at=now
            )
    except IntegrityError:
        return None


def update_apply(*, update_id: int, now: datetime, final: bool = True) -> str:
    """Apply one stored update, once: the row is claimed (RECEIVED -> APPLIED/IGNORED) before acting.

    A failure (Bot API down) puts the update back to RECEIVED for the task's retry, or FAILED when `final`.
    Every handler is safe to run again: a redeemed deep link answers the same account, approvals and
    membership upserts are idempotent.
    """
    with transaction.atomic():
        update = TelegramUpdate.objects.select_for_update().select_related("merchant").get(pk=update_id)
        if update.status != TelegramUpdate.Status.RECEIVED:
            return update.status
        update.status, update.applied_at = TelegramUpdate.Status.APPLIED, now
        update.save(update_fields=["status", "applied_at"])
    handler = {
        "message": _apply_message,
        "chat_join_request": _apply_join_request,
        "chat_member": _apply_chat_member,
        "my_chat_member": _apply_my_chat_member,
    }.get(update.kind)
    try:
        acted = handler(update.merchant, update.payload[update.kind], now) if handler else False
    except Exception as exc:
        TelegramUpdate.objects.filter(pk=update.pk).update(
            status=TelegramUpdate.Status.FAILED if final else TelegramUpdate.Status.RECEIVED,
            error=f"{exc.__class__.__name__}: {exc}"[:2000],
        )
        raise
    if not acted:
        TelegramUpdate.objects.filter(pk=update.pk).update(status=TelegramUpdate.Status.IGNORED)
        return TelegramUpdate.Status.IGNORED
    return TelegramUpdate.Status.APPLIED


def _when(seconds) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=UTC) if isinstance(seconds, int) else datetime.now(UTC)


def _apply_message(merchant, message: dict, now: datetime) -> bool:
    text = message.get("text") or ""
    sender = message.get("from") or {}
    if not text.startswith("/start") or (message.get("chat") or {}).get("type") != "private" or not sender:
        return False
    token = text.removeprefix("/start").strip()
    with telegram_client_for(merchant) as client:
        if not token:
            client.send_message(
                chat_id=sender["id"], text="Hello! Open the link from your purchase to get your invite."
            )
            return True
        try:
            account = link_token_redeem(
                merchant=merchant,
                token=token[:64],
                user_id=sender["id"],
                username=sender.get("username") or "",
                now=now,
            )
        except LinkError as error:
            client.send_message(chat_id=sender["id"], text=error.message)
            return True
        client.send_message(chat_id=sender["id"], text="Thank you! Your Telegram account is linked.")
    access_invites_send(account=account, now=now)
    return True


def _apply_join_request(merchant, request: dict, now: datetime) -> bool:
    chat = TelegramChat.objects.filter(
        merchant=merchant, chat_id=(request.get("chat") or {}).get("id")
    ).first()
    requester = request.get("from") or {}
    if chat is None or not requester:
        return False
    user_id = requester["id"]
    account = TelegramAccount.objects.filter(merchant=merchant, telegram_user_id=user_id).first()
    purchase = _entitled_purchase(chat=chat, account=account)
    link = (request.get("invite_link") or {}).get("invite_link") or ""
    link_owner = (
        AccessGrant.objects.filter(chat=chat, invite_link=link).select_related("account__customer").first()
        if link
        else None
    )
    with telegram_client_for(merchant) as client:
        try:
            if purchase is not None:
                client.approve_join_request(chat_id=chat.chat_id, user_id=user_id)
            else:
                client.decline_join_request(chat_id=chat.chat_id, user_id=user_id)
        except TelegramError as error:
            if "hide_requester_missing" not in error.message.lower():  # already handled elsewhere
                raise
    with transaction.atomic():
        if purchase is not None:
            AccessGrant.objects.filter(chat=chat, account=account, status=AccessGrant.Status.ACTIVE).update(
                join_requested_at=now
            )
            _member_seen(chat, requester, ChatMember.Status.MEMBER, _when(request.get("date")))
        customer = purchase.customer if purchase else (link_owner.account.customer if link_owner else None)
        if customer is not None:
            audit_record(
                merchant=merchant,
                actor=None,
                action=AuditAction.ACCESS_JOIN_APPROVED if purchase else AuditAction.ACCESS_JOIN_DECLINED,
                target=chat,
                now=now,
                customer=customer,
                data={
                    "chat": chat.title,
                    "telegram_user_id": user_id,
                    "username": requester.get("username") or "",
                    "invite_link_of": link_owner.account.telegram_user_id if link_owner else None,
                },
            )
    return True


def _apply_chat_member(merchant, change: dict, now: datetime) -> bool:
    chat = TelegramChat.objects.filter(
        merchant=merchant, chat_id=(change.get("chat") or {}).get("id")
    ).first()
    new = change.get("new_chat_member") or {}
    status = STATUS_MAP.get(new.get("status"))
    if chat is None or status is None or not new.get("user"):
        return False
    with transaction.atomic():
        _member_seen(chat, new["user"], status, _when(change.get("date")))
    return True


def _apply_my_chat_member(merchant, change: dict, now: datetime) -> bool:
    """The bot itself was promoted, demoted or removed: the settings page shows what it lacks at once."""
    chat = TelegramChat.objects.filter(
        merchant=merchant, chat_id=(change.get("chat") or {}).get("id")
    ).first()
    new = change.get("new_chat_member") or {}
    if chat is None or not isinstance(new, dict):
        return False
    if new.get("status") == "creator":
        missing = []
    elif new.get("status") == "administrator":
        missing = [label for right, label in REQUIRED_RIGHTS.items() if not new.get(right)]
    else:
        missing = ["administrator status", *REQUIRED_RIGHTS.values()]
    chat.bot_is_admin = new.get("status") in ("creator", "administrator")
    chat.bot_missing_rights, chat.checked_at = missing, now
    chat.save(update_fields=["bot_is_admin", "bot_missing_rights", "checked_at"])
    return True


def _member_seen(chat: TelegramChat, person: dict, status: str, at: datetime) -> None:
    member = ChatMember.objects.select_for_update().filter(chat=chat, telegram_user_id=person["id"]).first()
    if member is None:
        ChatMember.objects.create(
            merchant_id=chat.merchant_id,
            chat=chat,
            telegram_user_id=person["id"],
            username=(person.get("username") or "")[:64],
            first_name=(person.get("first_name") or "")[:255],
            status=status,
            changed_at=at,
        )
        return
    if at < member.changed_at:
        return  # an older change delivered late
    member.status, member.changed_at = status, at
    member.username = (person.get("username") or member.username)[:64]
    member.first_name = (person.get("first_name") or member.first_name)[:255]
    member.save(update_fields=["status", "changed_at", "username", "first_name"])
