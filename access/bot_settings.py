"""Settings > Telegram (owner only): the bot token, its webhook, the chats it manages, products -> chats.

Every change is audited with before/after; the token and the webhook secret are recorded as "changed",
never by value. Bot API calls run before the transaction that saves their outcome.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from audit.models import AuditAction
from audit.services import audit_record
from purchases.models import Purchase

from .models import TelegramBot, TelegramChat, new_webhook_secret
from .services import access_grant_for_purchase
from .telegram import TelegramClient, TelegramError

ALLOWED_UPDATES = ["message", "chat_member", "chat_join_request", "my_chat_member"]
CHAT_REF = re.compile(r"^(?:@|https://t\.me/)?([A-Za-z][A-Za-z0-9_]{3,31})$|^(-?\d{1,20})$")


class SettingsError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def bot_for(merchant) -> TelegramBot:
    bot, _ = TelegramBot.objects.get_or_create(merchant=merchant)
    return bot


def webhook_url(merchant) -> str:
    path = reverse("telegram-webhook", kwargs={"merchant_slug": merchant.slug})
    return settings.TELLER_PUBLIC_URL.rstrip("/") + path


def telegram_bot_connect(*, actor, now: datetime, merchant, token: str) -> TelegramBot:
    """Check the token with getMe, register the webhook (new random secret), then save both."""
    token = token.strip()
    if not re.fullmatch(r"\d{1,20}:[A-Za-z0-9_-]{20,100}", token):
        raise SettingsError(
            "That does not look like a bot token (digits, a colon, then letters; from @BotFather)."
        )
    secret, url = new_webhook_secret(), webhook_url(merchant)
    try:
        with TelegramClient(token) as client:
            me = client.get_me()
            client.set_webhook(url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
    except TelegramError as error:
        if error.status == 401:
            raise SettingsError(
                "Telegram does not know this token (Unauthorized). Nothing was saved."
            ) from None
        raise SettingsError(f"Telegram refused: {error.message}. Nothing was saved.") from None
    with transaction.atomic():
        bot = TelegramBot.objects.select_for_update().get(pk=bot_for(merchant).pk)
        before = {"username": bot.username, "webhook_url": bot.webhook_url}
        merchant.telegram_bot_token = token
        merchant.save(update_fields=["telegram_bot_token"])
        bot.bot_user_id, bot.username, bot.webhook_secret = me.id, me.username, secret
        bot.webhook_url, bot.webhook_set_at, bot.webhook_error = url, now, ""
        bot.save()
        audit_record(
            merchant=merchant,
            actor=actor,
            action=AuditAction.SETTINGS_TELEGRAM_BOT,
            target=bot,
            now=now,
            data={
                "before": before,
                "after": {"username": bot.username, "webhook_url": url},
                "token": "changed",
                "webhook_secret": "changed",
            },
        )
    return bot


def telegram_removal_message_set(*, actor, now: datetime, merchant, text: str) -> TelegramBot:
    with transaction.atomic():
        bot = TelegramBot.objects.select_for_update().get(pk=bot_for(merchant).pk)
        before, bot.removal_message = bot.removal_message, text.strip()[:1000]
        bot.save(update_fields=["removal_message", "updated_at"])
        audit_record(
            merchant=merchant,
            actor=actor,
            action=AuditAction.SETTINGS_TELEGRAM_REMOVAL_MESSAGE,
            target=bot,
            now=now,
            data={"before": before, "after": bot.removal_message},
        )
    return bot


def parse_chat_ref(text: str) -> str | int:
    match = CHAT_REF.fullmatch(text.strip())
    if not match:
        raise SettingsError(
            "Enter the chat's @username (or t.me link) or its numeric id, e.g. -1001234567890."
        )
    return f"@{match.group(1)}" if match.group(1) else int(match.group(2))


def telegram_chat_check(*, actor, now: datetime, merchant, ref: str) -> TelegramChat:
    """Add (or re-check) a chat: getChat, then getChatMember on the bot itself. The chat is saved even when
    the bot lacks rights, so the page can say plainly what is missing."""
    bot = TelegramBot.objects.filter(merchant=merchant).first()
    if bot is None or not bot.bot_user_id or not merchant.telegram_bot_token:
        raise SettingsError("Connect the bot first: its token is needed to look the chat up.")
    chat_ref = parse_chat_ref(ref)
    try:
        with TelegramClient(merchant.telegram_bot_token) as client:
            check = client.check_chat(chat_ref=chat_ref, bot_id=bot.bot_user_id)
    except TelegramError as error:
        raise SettingsError(
            f"Telegram could not find that chat for @{bot.username}: {error.message}. "
            "Add the bot to the chat first."
        ) from None
    if check.kind == "private":
        raise SettingsError("That is a person, not a channel or group.")
    with transaction.atomic():
        chat, created = TelegramChat.objects.select_for_update().get_or_create(
            merchant=merchant, chat_id=check.chat_id, defaults={"title": check.title[:255]}
        )
        before = None if created else {"title": chat.title, "missing": chat.bot_missing_rights}
        chat.title, chat.username = check.title[:255], check.username[:64]
        chat.kind = TelegramChat.Kind.CHANNEL if check.kind == "channel" else TelegramChat.Kind.GROUP
        chat.bot_is_admin, chat.bot_missing_rights, chat.checked_at = check.is_admin, list(check.missing), now
        chat.save()
        audit_record(
            merchant=merchant,
            actor=actor,
            action=AuditAction.SETTINGS_TELEGRAM_CHAT_ADD
            if created
            else AuditAction.SETTINGS_TELEGRAM_CHAT_CHECK,
            target=chat,
            now=now,
            data={"before": before, "after": {"title": chat.title, "missing": chat.bot_missing_rights}},
        )
    return chat


def telegram_chat_products_set(*, actor, now: datetime, chat: TelegramChat, products) -> TelegramChat:
    with transaction.atomic():
        before = sorted(chat.products.values_list("name", flat=True))
        added = {p.pk for p in products} - set(chat.products.values_list("pk", flat=True))
        chat.products.set(products)
        # Buyers whose live purchases give the chat from now on get their grants (and invites) at once.
        for purchase in Purchase.objects.live_now(now).filter(
            product__in=added, merchant_id=chat.merchant_id
        ):
            access_grant_for_purchase(purchase=purchase, now=now)
        audit_record(
            merchant=chat.merchant,
            actor=actor,
            action=AuditAction.SETTINGS_TELEGRAM_CHAT_PRODUCTS,
            target=chat,
            now=now,
            data={"before": before, "after": sorted(p.name for p in products)},
        )
    return chat
