from django.conf import settings
from django.db import models
from django.db.models import F, Q

from common.labels import card_brand
from common.querysets import MerchantManager, MerchantQuerySet


class TransactionQuerySet(MerchantQuerySet):
    def charges(self):
        return self.filter(kind=Transaction.Kind.CHARGE)

    def successful(self):
        return self.filter(status__in=Transaction.SUCCESSFUL_STATUSES)


class Transaction(models.Model):
    class Kind(models.TextChoices):
        CHARGE = "CHARGE", "Charge"
        REFUND = "REFUND", "Refund"
        CHARGEBACK = "CHARGEBACK", "Chargeback"
        CHARGEBACK_REVERSAL = "CHARGEBACK_REVERSAL", "Chargeback reversal"
        REPAYMENT = "REPAYMENT", "Repayment"
        ADJUSTMENT = "ADJUSTMENT", "Adjustment"
        FEE = "FEE", "Fee"

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        SUCCEEDED = "SUCCEEDED", "Succeeded"
        FAILED = "FAILED", "Failed"
        CANCELED = "CANCELED", "Canceled"
        REFUNDED = "REFUNDED", "Refunded"
        PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED", "Partially refunded"
        DISPUTED = "DISPUTED", "Disputed"
        CHARGED_BACK = "CHARGED_BACK", "Charged back"
        # Chargeback stages (a CHARGEBACK transaction's own status)
        WARNING = "WARNING", "Inquiry"
        NEEDS_RESPONSE = "NEEDS_RESPONSE", "Needs response"
        UNDER_REVIEW = "UNDER_REVIEW", "Under review"
        WON = "WON", "Won"
        LOST = "LOST", "Lost"
        REPAID = "REPAID", "Repaid"
        PARTIALLY_REPAID = "PARTIALLY_REPAID", "Partially repaid"

    SUCCESSFUL_STATUSES = (
        Status.SUCCEEDED,
        Status.REFUNDED,
        Status.PARTIALLY_REFUNDED,
        Status.DISPUTED,
        Status.CHARGED_BACK,
    )
    OPEN_DISPUTE_STATUSES = (Status.WARNING, Status.NEEDS_RESPONSE, Status.UNDER_REVIEW)

    class MethodType(models.TextChoices):
        CARD = "card", "Card"
        SEPA_DEBIT = "sepa_debit", "SEPA Direct Debit"
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        CASH = "cash", "Cash"
        ACCESS_CODE = "access_code", "Access code"
        OTHER = "other", "Other"

    # Payment methods that settle like a wire: no partial credit, a full one only at the merchant's own risk.
    WIRE_METHOD_TYPES = (
        "sepa_debit",
        "bank_transfer",
        "ach_debit",
        "bacs_debit",
        "au_becs_debit",
        "acss_debit",
    )

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    purchase = models.ForeignKey(
        "purchases.Purchase", null=True, blank=True, on_delete=models.SET_NULL, related_name="transactions"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    status = models.CharField(max_length=24, choices=Status.choices)
    amount = models.BigIntegerField(help_text="Minor units of currency; always positive.")
    currency = models.CharField(max_length=3)
    refunded_amount = models.BigIntegerField(default=0)
    disputed_amount = models.BigIntegerField(default=0)
    repaid_amount = models.BigIntegerField(
        default=0, help_text="On a chargeback: what the customer paid back."
    )
    # Payment-method snapshot as it was at payment time.
    method_type = models.CharField(max_length=32, blank=True, default="")
    method_brand = models.CharField(max_length=32, blank=True, default="")
    method_last4 = models.CharField(max_length=4, blank=True, default="")
    method_exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    method_exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    method_country = models.CharField(max_length=2, blank=True, default="")
    method_bank_name = models.CharField(max_length=128, blank=True, default="")
    identifier = models.ForeignKey(
        "customers.Identifier", null=True, blank=True, on_delete=models.SET_NULL, related_name="transactions"
    )
    blocked_detail_used = models.BooleanField(default=False)
    statement_descriptor = models.CharField(max_length=64, blank=True, default="")
    description = models.TextField(blank=True, default="")
    reason = models.CharField(max_length=64, blank=True, default="", help_text="Refund or dispute reason.")
    failure_code = models.CharField(max_length=64, blank=True, default="")
    failure_message = models.TextField(blank=True, default="")
    provider_id = models.CharField(max_length=255, null=True, blank=True)
    # A charge's payment intent: how an invoice_payment (invoice <-> payment intent) finds the charge.
    provider_payment_intent_id = models.CharField(max_length=255, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    provider_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MerchantManager.from_queryset(TransactionQuerySet)()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "provider_id"],
                condition=Q(provider_id__isnull=False),
                name="transaction_provider_id_unique_per_merchant",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="transaction_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("amount")),
                name="transaction_refunded_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(repaid_amount__gte=0) & Q(repaid_amount__lte=F("amount")),
                name="transaction_repaid_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(disputed_amount__gte=0) & Q(disputed_amount__lte=F("amount")),
                name="transaction_disputed_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "-occurred_at", "-id"], name="txn_merchant_recent_idx"),
            models.Index(fields=["customer", "-occurred_at", "-id"], name="txn_customer_recent_idx"),
            models.Index(fields=["purchase", "-occurred_at"], name="txn_purchase_recent_idx"),
            models.Index(fields=["merchant", "provider_payment_intent_id"], name="txn_payment_intent_idx"),
            # Covering index for the customer page's Stats tab: per-currency totals and the monthly chart are
            # index-only scans of one customer's rows, however many transactions the merchant has.
            models.Index(
                fields=["customer", "currency", "kind", "status", "occurred_at", "amount"],
                name="txn_customer_stats_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.provider_id or self.pk}"

    @property
    def remaining_amount(self) -> int:
        return self.amount - self.refunded_amount

    @property
    def is_wire(self) -> bool:
        return self.method_type in self.WIRE_METHOD_TYPES

    @property
    def method_display(self) -> str:
        if self.method_brand and self.method_last4:
            return f"{card_brand(self.method_brand)} •••• {self.method_last4}"
        label = dict(self.MethodType.choices).get(
            self.method_type, self.method_type.replace("_", " ").title()
        )
        return f"{label} •••• {self.method_last4}" if self.method_last4 else (label or "—")


class Note(models.Model):
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    transaction = models.ForeignKey(
        Transaction, null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField()

    objects = MerchantManager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(transaction__isnull=False) | Q(customer__isnull=False), name="note_has_target"
            ),
            models.CheckConstraint(condition=~Q(body=""), name="note_body_not_empty"),
        ]

    def __str__(self):
        if self.transaction_id:
            return f"Note {self.pk} on transaction {self.transaction_id}"
        return f"Note {self.pk} on customer {self.customer_id}"
