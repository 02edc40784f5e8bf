from django.contrib import admin

from common.admin import ReadOnlyAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "target_repr", "actor", "customer", "merchant")
    list_filter = ("action", "target_type", "merchant")
    search_fields = ("action", "=target_id", "target_repr", "actor__email", "=request_id")
    list_select_related = ("merchant", "actor", "customer")
    date_hierarchy = "created_at"
    show_full_result_count = False
