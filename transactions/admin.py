from django.contrib import admin

from common.admin import MerchantOwnedAdmin, ReadOnlyAdmin

from .models import Dispute, Note, Transaction


@admin.register(Transaction)
class TransactionAdmin(MerchantOwnedAdmin):
    list_display = (
        "provider_id",
        "occurred_at",
        "kind",
        "status",
        "amount",
        "currency",
        "refunded_amount",
        "customer",
        "method_type",
        "blocked_detail_used",
    )
    list_filter = ("kind", "status", "method_type", "blocked_detail_used", "merchant")
    search_fields = ("=provider_id", "customer__email", "=customer__public_id")
    list_select_related = ("merchant", "customer")
    raw_id_fields = ("customer", "purchase", "parent", "identifier")
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "occurred_at"


@admin.register(Note)
class NoteAdmin(MerchantOwnedAdmin):
    list_display = ("created_at", "author", "transaction", "customer", "merchant")
    list_filter = ("merchant",)
    search_fields = ("body", "author__email")
    list_select_related = ("merchant", "author", "transaction", "customer")
    raw_id_fields = ("transaction", "customer", "author")


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    """Mirror of Stripe's dispute beside its chargeback: written by the apply step and the dispute services
    (which call Stripe first), never edited here."""

    list_display = ("provider_id", "status", "reason", "amount", "currency", "due_by", "merchant")
    list_filter = ("status", "reason", "merchant")
    search_fields = ("=provider_id", "=transaction__provider_id")
    list_select_related = ("merchant",)
