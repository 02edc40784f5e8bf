from django.contrib import admin

from common.admin import MerchantOwnedAdmin

from .models import AttentionClaim


@admin.register(AttentionClaim)
class AttentionClaimAdmin(MerchantOwnedAdmin):
    list_display = ("merchant", "kind", "key", "claimed_by", "claimed_at")
    list_filter = ("kind", "merchant")
    raw_id_fields = ("claimed_by",)
