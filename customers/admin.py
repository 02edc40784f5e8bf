from django.contrib import admin

from common.admin import MerchantOwnedAdmin, ReadOnlyAdmin

from .models import BlockEvent, Customer, CustomerIdentifier, Identifier, PaymentMethod


class CustomerIdentifierInline(admin.TabularInline):
    model = CustomerIdentifier
    extra = 0
    raw_id_fields = ("customer", "identifier")


@admin.register(Customer)
class CustomerAdmin(MerchantOwnedAdmin):
    list_display = (
        "public_id",
        "name",
        "email",
        "merchant",
        "is_blocked",
        "used_access_code",
        "first_purchase_at",
    )
    list_filter = ("is_blocked", "used_access_code", "merchant")
    search_fields = ("=public_id", "=provider_customer_id", "email", "name")
    readonly_fields = ("public_id", "created_at", "updated_at")
    date_hierarchy = "first_purchase_at"
    inlines = (CustomerIdentifierInline,)


@admin.register(Identifier)
class IdentifierAdmin(MerchantOwnedAdmin):
    list_display = ("display", "kind", "merchant", "is_blocked", "radar_status", "blocked_at")
    list_filter = ("kind", "is_blocked", "radar_status", "merchant")
    search_fields = ("=value", "display", "last4")
    readonly_fields = ("created_at", "updated_at")
    inlines = (CustomerIdentifierInline,)


@admin.register(CustomerIdentifier)
class CustomerIdentifierAdmin(admin.ModelAdmin):
    list_display = ("customer", "identifier", "first_seen_at", "last_seen_at")
    list_select_related = ("customer", "identifier")
    search_fields = ("customer__email", "customer__public_id", "identifier__value")
    raw_id_fields = ("customer", "identifier")
    show_full_result_count = False


@admin.register(BlockEvent)
class BlockEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "identifier", "reason", "source", "actor", "merchant")
    list_filter = ("action", "reason", "source", "merchant")
    search_fields = ("identifier__value", "identifier__display", "reason_text", "actor__email")
    list_select_related = ("identifier", "actor", "merchant")
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(PaymentMethod)
class PaymentMethodAdmin(MerchantOwnedAdmin):
    list_display = ("provider_id", "type", "brand", "last4", "customer", "is_default", "detached_at")
    list_filter = ("type", "is_default", "merchant")
    search_fields = ("=provider_id", "last4", "customer__email")
    list_select_related = ("merchant", "customer")
    raw_id_fields = ("customer", "identifier")
