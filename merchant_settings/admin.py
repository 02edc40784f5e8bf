from django.contrib import admin

from common.admin import ReadOnlyAdmin

from .models import ImportFailure, ImportRun, ImportStep


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = ("merchant", "state", "trigger", "created_at", "finished_at")
    list_filter = ("state",)


@admin.register(ImportStep)
class ImportStepAdmin(ReadOnlyAdmin):
    list_display = ("run", "object_type", "state", "done", "applied", "skipped", "failed")


@admin.register(ImportFailure)
class ImportFailureAdmin(ReadOnlyAdmin):
    list_display = ("step", "object_id", "message", "created_at")
