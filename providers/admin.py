from django.contrib import admin

from common.admin import ReadOnlyAdmin

from .models import InvoicePayment, ProviderEvent, ProviderInvoice


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    """The IPN log is evidence of what the provider said: viewable, never edited (replay lives in the UI)."""

    list_display = (
        "provider_event_id",
        "type",
        "status",
        "attempts",
        "merchant",
        "provider_created_at",
        "received_at",
    )
    list_filter = ("status", "provider", "type", "merchant")
    search_fields = ("=provider_event_id", "=object_id", "type")
    list_select_related = ("merchant",)
    date_hierarchy = "received_at"
    show_full_result_count = False


@admin.register(ProviderInvoice)
class ProviderInvoiceAdmin(ReadOnlyAdmin):
    """Mirror of what Stripe's invoices said (the subscription they bill): written only by the apply step."""

    list_display = ("provider_invoice_id", "provider_subscription_id", "status", "merchant")
    search_fields = ("=provider_invoice_id", "=provider_subscription_id")
    list_select_related = ("merchant",)


@admin.register(InvoicePayment)
class InvoicePaymentAdmin(ReadOnlyAdmin):
    list_display = (
        "provider_id",
        "provider_invoice_id",
        "payment_intent_id",
        "charge_id",
        "status",
        "merchant",
    )
    search_fields = ("=provider_id", "=provider_invoice_id", "=payment_intent_id", "=charge_id")
    list_select_related = ("merchant",)
