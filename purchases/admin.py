from django.contrib import admin

from common.admin import MerchantOwnedAdmin

from .models import AccessCode, Product, Purchase


@admin.register(Product)
class ProductAdmin(MerchantOwnedAdmin):
    list_display = ("name", "kind", "merchant", "amount", "currency", "interval", "allows_access_codes")
    list_filter = ("kind", "allows_access_codes", "merchant")
    search_fields = ("name", "=provider_product_id")


@admin.register(Purchase)
class PurchaseAdmin(MerchantOwnedAdmin):
    list_display = (
        "id",
        "customer",
        "product",
        "kind",
        "status",
        "cancel_at_period_end",
        "started_at",
        "ended_at",
    )
    list_filter = ("kind", "status", "cancel_at_period_end", "merchant")
    search_fields = ("=provider_subscription_id", "customer__email", "=customer__public_id", "product__name")
    list_select_related = ("merchant", "customer", "product")
    raw_id_fields = ("customer", "product", "access_code")
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "started_at"


@admin.register(AccessCode)
class AccessCodeAdmin(MerchantOwnedAdmin):
    list_display = ("code", "merchant", "duration", "duration_count", "batch", "redeemed_by", "redeemed_at")
    list_filter = ("duration", "merchant")
    search_fields = ("=code", "batch", "redeemed_by__email")
    list_select_related = ("merchant", "redeemed_by")
    raw_id_fields = ("redeemed_by", "created_by")
    filter_horizontal = ("products",)
