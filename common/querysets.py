"""Tenant scoping lives here: every merchant-owned model's manager is built on MerchantQuerySet."""

from django.db import models


class MerchantQuerySet(models.QuerySet):
    merchant_field = "merchant"

    def for_merchant(self, merchant):
        """Rows of this merchant only. The one entry point views use to load merchant data."""
        return self.filter(**{self.merchant_field: merchant})


MerchantManager = models.Manager.from_queryset(MerchantQuerySet)
