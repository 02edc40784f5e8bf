from django.conf import settings
from django.db import models

from common.querysets import MerchantManager


class AuditEvent(models.Model):
    """Append-only record of a staff action, written in the same database transaction as the change."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True, help_text="noun.verb, e.g. subscription.cancel")
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=255, blank=True, default="")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    data = models.JSONField(default=dict, blank=True, help_text="before / after values and the choices made")
    request_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(db_index=True)

    objects = MerchantManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["merchant", "-created_at"], name="audit_merchant_recent_idx")]

    def __str__(self):
        return f"{self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("AuditEvent is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("AuditEvent is append-only")
