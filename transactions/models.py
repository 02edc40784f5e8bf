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


class DisputeStatus(models.TextChoices):
    """Stripe's dispute statuses, in Teller's spelling."""

    WARNING_NEEDS_RESPONSE = "WARNING_NEEDS_RESPONSE", "Inquiry: needs response"
    WARNING_UNDER_REVIEW = "WARNING_UNDER_REVIEW", "Inquiry: under review"
    WARNING_CLOSED = "WARNING_CLOSED", "Inquiry closed"
    NEEDS_RESPONSE = "NEEDS_RESPONSE", "Needs response"
    UNDER_REVIEW = "UNDER_REVIEW", "Under review"
    WON = "WON", "Won"
    LOST = "LOST", "Lost"
    PREVENTED = "PREVENTED", "Prevented"


class DisputeQuerySet(MerchantQuerySet):
    def open(self):
        return self.filter(status__in=Dispute.OPEN_STATUSES)


class Dispute(models.Model):
    """What the provider says about a dispute, beside its CHARGEBACK row: the stage, the evidence deadline and
    what has been answered. The chargeback row holds the money; this row holds what a response needs."""

    Status = DisputeStatus

    OPEN_STATUSES = (
        Status.WARNING_NEEDS_RESPONSE,
        Status.WARNING_UNDER_REVIEW,
        Status.NEEDS_RESPONSE,
        Status.UNDER_REVIEW,
    )
    # Stripe takes evidence (and a close) only while it waits for the merchant's answer.
    RESPONDABLE_STATUSES = (Status.WARNING_NEEDS_RESPONSE, Status.NEEDS_RESPONSE)

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    transaction = models.OneToOneField(Transaction, on_delete=models.CASCADE, related_name="dispute")
    provider_id = models.CharField(max_length=255)
    status = models.CharField(max_length=32, choices=Status.choices)
    reason = models.CharField(max_length=64, blank=True, default="")
    amount = models.BigIntegerField(help_text="Minor units of currency.")
    currency = models.CharField(max_length=3)
    due_by = models.DateTimeField(null=True, blank=True, help_text="Stripe's evidence_details.due_by.")
    has_evidence = models.BooleanField(default=False)
    past_due = models.BooleanField(default=False)
    submission_count = models.PositiveIntegerField(default=0)
    is_charge_refundable = models.BooleanField(default=False)
    evidence = models.JSONField(default=dict, blank=True, help_text="The evidence as the provider holds it.")
    provider_updated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MerchantManager.from_queryset(DisputeQuerySet)()

    class Meta:
        ordering = ["due_by", "id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "provider_id"], name="dispute_provider_id_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="dispute_amount_not_negative"),
            models.CheckConstraint(condition=Q(status__in=DisputeStatus.values), name="dispute_status_known"),
        ]
        indexes = [models.Index(fields=["merchant", "status", "due_by", "id"], name="dispute_due_idx")]

    def __str__(self):
        return f"Dispute {self.provider_id}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_inquiry(self) -> bool:
        return self.status.startswith("WARNING_")

    def refusal(self, now) -> str:
        """Why evidence or a close cannot be sent now ("" when it can)."""
        if self.status not in self.RESPONDABLE_STATUSES:
            if self.is_open:
                return "This dispute is under review: the evidence has been submitted and cannot change."
            return f"This dispute is closed ({self.get_status_display().lower()}): it cannot be answered."
        if self.past_due or (self.due_by is not None and self.due_by <= now):
            return "The evidence deadline has passed: Stripe no longer accepts a response."
        return ""
