from django.contrib import admin

from common.admin import ReadOnlyAdmin

from .models import ProviderEvent


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
