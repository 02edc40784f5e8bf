"""Building blocks for the Django admin (superusers run the installation there)."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs (audit, block events, provider events) are append-only: viewable, never added or changed."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MerchantOwnedAdmin(admin.ModelAdmin):
    """Most rows belong to a merchant: show it, filter by it, load it in the same query."""

    list_select_related = ("merchant",)
    autocomplete_fields = ("merchant",)
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over the big tables
