import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.money import format_money
from common.querysets import MerchantManager


class Credit(models.Model):
    """A staff credit (refund) of a charge. Created PENDING before the provider is called
    (refunds/services/credits.py)."""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        SUCCEEDED = "SUCCEEDED", "Succeeded"
        FAILED = "FAILED", "Failed"

    class Reason(models.TextChoices):
        DUPLICATE = "DUPLICATE", "Duplicate"
        FRAUDULENT = "FRAUDULENT", "Fraudulent"
        REQUESTED_BY_CUSTOMER = "REQUESTED_BY_CUSTOMER", "Requested by customer"
        OTHER = "OTHER", "Other"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    transaction = models.ForeignKey(
        "transactions.Transaction", on_delete=models.PROTECT, related_name="credits"
    )
    refund_transaction = models.OneToOneField(
        "transactions.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="credit"
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=32, choices=Reason.choices)
    reason_text = models.CharField(max_length=500, blank=True, default="")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    idempotency_key = models.CharField(max_length=64, unique=True, default=uuid.uuid4)
    provider_refund_id = models.CharField(max_length=255, null=True, blank=True)
    risk_acknowledged = models.BooleanField(default=False)
    chargeback_acknowledged = models.BooleanField(default=False)
    block_all = models.BooleanField(default=False)
    failure_message = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    objects = MerchantManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_amount_positive"),
            models.UniqueConstraint(
                fields=["merchant", "provider_refund_id"],
                condition=Q(provider_refund_id__isnull=False),
                name="credit_provider_refund_unique",
            ),
        ]

    def __str__(self):
        return f"Credit {self.pk}: {format_money(self.amount, self.currency)} ({self.get_status_display()})"


class Repayment(models.Model):
    """Money a customer pays back after a chargeback: by a payment link, or recorded by hand."""

    class Method(models.TextChoices):
        LINK = "LINK", "Repayment link"
        MANUAL = "MANUAL", "Manual"

    class Status(models.TextChoices):
        PENDING = "PENDING", "Link open"
        PAID = "PAID", "Paid"
        CANCELED = "CANCELED", "Canceled"
        EXPIRED = "EXPIRED", "Expired"

    class ManualMethod(models.TextChoices):
        BANK_TRANSFER = "BANK_TRANSFER", "Bank transfer"
        CASH = "CASH", "Cash"
        OTHER = "OTHER", "Other"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    chargeback = models.ForeignKey(
        "transactions.Transaction", on_delete=models.PROTECT, related_name="repayments"
    )
    transaction = models.OneToOneField(
        "transactions.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="repayment"
    )
    method = models.CharField(max_length=16, choices=Method.choices)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    link_url = models.URLField(max_length=2000, blank=True, default="")
    provider_link_id = models.CharField(max_length=255, null=True, blank=True)
    manual_method = models.CharField(max_length=16, choices=ManualMethod.choices, blank=True, default="")
    reference = models.CharField(max_length=255, blank=True, default="")
    note = models.TextField(blank=True, default="")
    paid_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    objects = MerchantManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="repayment_amount_positive"),
            models.UniqueConstraint(
                fields=["merchant", "provider_link_id"],
                condition=Q(provider_link_id__isnull=False),
                name="repayment_link_unique",
            ),
        ]

    def __str__(self):
        money = format_money(self.amount, self.currency)
        return f"Repayment {self.pk}: {money} ({self.get_method_display()}, {self.get_status_display()})"
