from django.conf import settings
from django.db import models

from common.querysets import MerchantManager


class AttentionKind(models.TextChoices):
    """What a row of the "Needs attention" queue is about (the queue is computed, never stored)."""

    REMOVAL = "REMOVAL", "Removal pending"
    CREDIT = "CREDIT", "Credit pending"
    EVENT = "EVENT", "Webhook event"
    DISPUTE = "DISPUTE", "Dispute due"
    REPAYMENT = "REPAYMENT", "Repayment link expiring"
    BLOCKED_PAYMENT = "BLOCKED_PAYMENT", "Paid with a blocked detail"
    LINKED_CUSTOMER = "LINKED_CUSTOMER", "Linked to a blocked customer"


class AttentionClaim(models.Model):
    """A staff member has taken a queue row, so two agents do not work the same case.

    The row itself is live state (a grant, a credit, an event, ...); the claim names it by kind + key
    (the object's primary key). One claim per row: the unique constraint decides when two agents take it
    at once."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=24, choices=AttentionKind.choices)
    key = models.CharField(max_length=64)
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    claimed_at = models.DateTimeField()

    objects = MerchantManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "kind", "key"], name="attention_claim_unique"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.key}"
