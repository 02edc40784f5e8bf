"""The access app's views: Settings > Telegram, Chats and the customer panel (`telegram`), the join link
(`join`), the bot's webhook (`webhook`)."""

from .join import telegram_join
from .telegram import (
    access_retry_view,
    account_add,
    account_invite_resend,
    account_remove_now,
    chat_detail,
    chat_list,
    chat_member_link,
    chat_member_remove,
    customer_panel,
    telegram_settings,
)
from .webhook import telegram_webhook

__all__ = [
    "access_retry_view",
    "account_add",
    "account_invite_resend",
    "account_remove_now",
    "chat_detail",
    "chat_list",
    "chat_member_link",
    "chat_member_remove",
    "customer_panel",
    "telegram_join",
    "telegram_settings",
    "telegram_webhook",
]
