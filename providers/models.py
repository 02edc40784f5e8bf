from django.db import models

from common.querysets import MerchantManager


class ProviderEvent(models.Model):
    """The inbox and IPN log: every provider notification, stored raw before anything is applied."""

    class Status(models.TextChoices):
        RECEIVED = "RECEIVED", "Received"
        PROCESSED = "PROCESSED", "Processed"
        FAILED = "FAILED", "Failed"
        IGNORED = "IGNORED", "Ignored"
        # Refers to a parent (a charge, an invoice...) Teller has not applied yet: applied as soon as the
        # parent is, or after the parent is fetched from the provider (tasks.sweep_waiting_events).
        WAITING = "WAITING", "Waiting"

    # Indexes are few on purpose: an applied event's status change rewrites its row in every index
    # (PostgreSQL cannot update it in place while status is indexed), and the inbox holds millions of
    # rows. The merchant is the first column of the composite indexes (no index of its own); customer and
    # purchase are indexed only where set (never on arrival); object_id once, without a LIKE index.
    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    provider = models.CharField(max_length=16, default="STRIPE")
    provider_event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=128)
    object_id = models.CharField(max_length=255, blank=True, default="")
    payload = models.JSONField()
    livemode = models.BooleanField(default=False)
    provider_created_at = models.DateTimeField(help_text="The event's own `created` time: the ordering key.")
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    api_version = models.CharField(
        max_length=64, blank=True, default="", help_text="The Stripe API version the event was rendered in."
    )
    waiting_for_type = models.CharField(max_length=32, blank=True, default="")
    waiting_for_id = models.CharField(max_length=255, blank=True, default="")
    waiting_since = models.DateTimeField(null=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="provider_events",
        db_index=False,
    )
    transactions = models.ManyToManyField(
        "transactions.Transaction", blank=True, related_name="provider_events"
    )
    purchase = models.ForeignKey(
        "purchases.Purchase",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="provider_events",
        db_index=False,
    )

    objects = MerchantManager()

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "provider_event_id"], name="provider_event_unique"),
            models.CheckConstraint(
                condition=~models.Q(status="WAITING")
                | (~models.Q(waiting_for_id="") & models.Q(waiting_since__isnull=False)),
                name="provider_event_waiting_names_parent",
            ),
        ]
        indexes = [
            # The Webhooks page filtered by status, newest first. (The sweep's "still RECEIVED after a
            # while" reads the todo index below.)
            models.Index(fields=["merchant", "status", "-id"], name="provider_event_by_status_idx"),
            models.Index(fields=["merchant", "-received_at"], name="provider_event_recent_idx"),
            # The Webhooks page's type filter, a prefix (LIKE 'customer.%'): pattern ops make it a range of
            # this index whatever the collation, so a rare type is found without walking the whole inbox.
            models.Index(
                fields=["merchant", "type", "id"],
                opclasses=["int8_ops", "varchar_pattern_ops", "int8_ops"],
                name="provider_event_type_idx",
            ),
            models.Index(fields=["object_id"], name="provider_event_object_idx"),
            models.Index(
                fields=["customer"],
                condition=models.Q(customer__isnull=False),
                name="provider_event_customer_idx",
            ),
            models.Index(
                fields=["purchase"],
                condition=models.Q(purchase__isnull=False),
                name="provider_event_purchase_idx",
            ),
            # Only waiting events, so the lookup a drain makes per batch ("who waits for these objects?")
            # stays tiny however large the inbox grows.
            # Only the events still to apply, in the order a drain takes them: its batch query reads exactly
            # those rows, however many processed events the merchant (or the installation) has stored.
            models.Index(
                fields=["merchant", "provider_created_at", "id"],
                condition=models.Q(status="RECEIVED"),
                name="provider_event_todo_idx",
            ),
            models.Index(
                fields=["merchant", "waiting_for_id"],
                condition=models.Q(status="WAITING"),
                name="provider_event_waiting_idx",
            ),
            # Only failed and waiting events: the "Needs attention" queue reads them newest first.
            models.Index(
                fields=["merchant", "-received_at", "-id"],
                condition=models.Q(status__in=["FAILED", "WAITING"]),
                name="provider_event_attention_idx",
            ),
        ]

    def __str__(self):
        return f"{self.type} {self.provider_event_id}"


class ProviderInvoice(models.Model):
    """What an invoice told: its subscription. Kept so a charge can be tied to its subscription purchase
    whichever of charge.succeeded, invoice.paid and invoice_payment.paid arrives first."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    provider_invoice_id = models.CharField(max_length=255)
    provider_subscription_id = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=32, blank=True, default="")
    provider_updated_at = models.DateTimeField(null=True, blank=True)

    objects = MerchantManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "provider_invoice_id"], name="provider_invoice_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "provider_subscription_id"], name="provider_invoice_sub_idx"),
        ]

    def __str__(self):
        return self.provider_invoice_id


class InvoicePayment(models.Model):
    """An invoice_payment object: which payment intent (or charge) paid which invoice."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    provider_id = models.CharField(max_length=255)
    provider_invoice_id = models.CharField(max_length=255)
    payment_intent_id = models.CharField(max_length=255, blank=True, default="")
    charge_id = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=32, blank=True, default="")
    provider_updated_at = models.DateTimeField(null=True, blank=True)

    objects = MerchantManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "provider_id"], name="invoice_payment_unique"),
        ]
        indexes = [
            models.Index(fields=["merchant", "provider_invoice_id"], name="invoice_payment_invoice_idx"),
            models.Index(fields=["merchant", "payment_intent_id"], name="invoice_payment_pi_idx"),
            models.Index(fields=["merchant", "charge_id"], name="invoice_payment_charge_idx"),
        ]

    def __str__(self):
        return self.provider_id
