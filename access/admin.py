from django.contrib import admin

from common.admin import MerchantOwnedAdmin

from .models import AccessGrant, TelegramAccount, TelegramChat


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
