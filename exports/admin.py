from django.contrib import admin

from common.admin import ReadOnlyAdmin

from .models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    """Jobs are written by the export service and the worker only; the expiry sweep deletes their files."""

    list_display = ("id", "merchant", "kind", "status", "rows_done", "created_at", "expires_at")
    list_filter = ("status", "kind", "merchant")
    list_select_related = ("merchant",)
