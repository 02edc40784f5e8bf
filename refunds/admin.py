from django.contrib import admin

from common.admin import MerchantOwnedAdmin

from .models import Credit, Repayment


@admin.register(Credit)
class CreditAdmin(MerchantOwnedAdmin):
    list_display = (
        "id",
        "created_at",
        "transaction",
        "amount",
        "currency",
        "status",
        "reason",
        "actor",
        "attempts",
    )
    list_filter = ("status", "reason", "block_all", "merchant")
    search_fields = ("=idempotency_key", "=provider_refund_id", "transaction__provider_id", "actor__email")
    list_select_related = ("merchant", "transaction", "actor")
    raw_id_fields = ("transaction", "refund_transaction", "actor")
    readonly_fields = ("idempotency_key", "updated_at")
    date_hierarchy = "created_at"


@admin.register(Repayment)
class RepaymentAdmin(MerchantOwnedAdmin):
    list_display = ("id", "created_at", "chargeback", "method", "amount", "currency", "status", "paid_at")
    list_filter = ("method", "status", "merchant")
    search_fields = ("=provider_link_id", "reference", "chargeback__provider_id")
    list_select_related = ("merchant", "chargeback")
    raw_id_fields = ("chargeback", "transaction", "actor")
    readonly_fields = ("updated_at",)
    date_hierarchy = "created_at"
