from django.contrib import admin

from common.admin import MerchantOwnedAdmin, ReadOnlyAdmin

from .models import (
    AccessGrant,
    ChatMember,
    LinkToken,
    TelegramAccount,
    TelegramBot,
    TelegramChat,
    TelegramUpdate,
)


@admin.register(TelegramChat)
class TelegramChatAdmin(MerchantOwnedAdmin):
    list_display = ("title", "chat_id", "kind", "merchant")
    list_filter = ("kind", "merchant")
    search_fields = ("title", "=chat_id")
    filter_horizontal = ("products",)


@admin.register(TelegramAccount)
class TelegramAccountAdmin(MerchantOwnedAdmin):
    list_display = ("telegram_user_id", "username", "customer", "merchant")
    list_filter = ("merchant",)
    search_fields = ("=telegram_user_id", "username", "customer__email")
    list_select_related = ("merchant", "customer")
    raw_id_fields = ("customer",)


@admin.register(AccessGrant)
class AccessGrantAdmin(MerchantOwnedAdmin):
    list_display = ("id", "purchase", "chat", "account", "status", "attempts", "granted_at", "revoked_at")
    list_filter = ("status", "merchant")
    search_fields = ("account__username", "=account__telegram_user_id", "chat__title")
    list_select_related = ("merchant", "purchase__product", "chat", "account")
    raw_id_fields = ("purchase", "chat", "account")


@admin.register(TelegramBot)
class TelegramBotAdmin(MerchantOwnedAdmin):
    list_display = ("merchant", "username", "webhook_set_at")
    exclude = ("webhook_secret",)  # a secret: never rendered back
    readonly_fields = ("bot_user_id", "username", "webhook_url", "webhook_set_at", "webhook_error")


@admin.register(LinkToken)
class LinkTokenAdmin(MerchantOwnedAdmin):
    list_display = ("purchase", "created_at", "used_at", "used_by")
    raw_id_fields = ("purchase", "used_by")


@admin.register(ChatMember)
class ChatMemberAdmin(MerchantOwnedAdmin):
    list_display = ("telegram_user_id", "username", "chat", "status", "changed_at")
    list_filter = ("status", "merchant")
    raw_id_fields = ("chat",)


@admin.register(TelegramUpdate)
class TelegramUpdateAdmin(ReadOnlyAdmin):
    list_display = ("update_id", "merchant", "kind", "status", "received_at")
    list_filter = ("status", "kind", "merchant")
