"""A history import: one run per Connect / Resync, one step per Stripe object type with its own cursor."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class ObjectType(models.TextChoices):
    """What the import reads, in dependency order (parents before children)."""

    CUSTOMER = "CUSTOMER", "Customers"
    PAYMENT_METHOD = "PAYMENT_METHOD", "Payment methods"
    PRODUCT = "PRODUCT", "Products"
    PRICE = "PRICE", "Prices"
    SUBSCRIPTION = "SUBSCRIPTION", "Subscriptions"
    INVOICE = "INVOICE", "Invoices"
    INVOICE_PAYMENT = "INVOICE_PAYMENT", "Invoice payments"
    CHARGE = "CHARGE", "Charges"
    REFUND = "REFUND", "Refunds"
    DISPUTE = "DISPUTE", "Disputes"


IMPORT_ORDER = list(ObjectType)


class ImportRun(models.Model):
    class State(models.TextChoices):
        QUEUED = "QUEUED", "Queued"
        RUNNING = "RUNNING", "Running"
        SUCCEEDED = "SUCCEEDED", "Finished"
        FAILED = "FAILED", "Stopped"

    class Trigger(models.TextChoices):
        CONNECT = "CONNECT", "Connect"
        RESYNC = "RESYNC", "Resync"

    ACTIVE_STATES = (State.QUEUED, State.RUNNING)

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="import_runs")
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.CONNECT)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # The oldest time the account's history can start (the account's `created`, else the oldest customer):
    # Stripe lists carry no total, so progress is estimated from how far back the cursor has reached.
    history_start_at = models.DateTimeField(null=True, blank=True)
    # A worker renews this while it works; a run whose heartbeat is old lost its worker and is resumed.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker_token = models.CharField(max_length=64, blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant"],
                condition=Q(state__in=["QUEUED", "RUNNING"]),
                name="import_run_one_active_per_merchant",
            )
        ]

    def __str__(self):
        return f"Import {self.pk} of {self.merchant} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES


class ImportStep(models.Model):
    class State(models.TextChoices):
        PENDING = "PENDING", "Waiting"
        RUNNING = "RUNNING", "Importing"
        DONE = "DONE", "Done"

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="steps")
    object_type = models.CharField(max_length=32, choices=ObjectType.choices)
    position = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    # Stripe's `starting_after`: the id of the last object applied (for payment methods: the last customer
    # whose cards were read). Committed in the same transaction as that page's objects.
    cursor = models.CharField(max_length=255, blank=True, default="")
    newest_created_at = models.DateTimeField(null=True, blank=True)
    cursor_created_at = models.DateTimeField(null=True, blank=True)
    # Known only where Teller can count the parents (payment methods: one list per customer).
    expected = models.PositiveIntegerField(null=True, blank=True)
    done = models.PositiveIntegerField(default=0)
    applied = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    rate_limited = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "object_type"], name="import_step_unique_type_per_run"),
            models.CheckConstraint(condition=Q(done__gte=0), name="import_step_done_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_object_type_display()} of run {self.run_id}"


class ImportFailure(models.Model):
    """An object the import could not apply, with Stripe's id and the reason (shown on the Settings page)."""

    step = models.ForeignKey(ImportStep, on_delete=models.CASCADE, related_name="failures")
    object_id = models.CharField(max_length=255)
    message = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.object_id}: {self.message[:60]}"
