"""Background CSV exports: one row per export too large to stream at once (see exports/services.py)."""

from django.conf import settings
from django.db import models

from common.querysets import MerchantManager


class ExportKind(models.TextChoices):
    CUSTOMERS = "CUSTOMERS", "Customers"
    TRANSACTIONS = "TRANSACTIONS", "Transactions"
    DISPUTES = "DISPUTES", "Disputes"
    ACCESS_CODES = "ACCESS_CODES", "Access codes"
    AUDIT = "AUDIT", "Audit"


class ExportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "QUEUED", "Queued"
        RUNNING = "RUNNING", "Running"
        DONE = "DONE", "Ready"
        FAILED = "FAILED", "Failed"
        EXPIRED = "EXPIRED", "Expired"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=ExportKind.choices)
    filters = models.JSONField(default=dict, blank=True, help_text="The list's filters: name -> values.")
    summary = models.CharField(max_length=500, blank=True, default="", help_text="The filters in words.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    rows_done = models.PositiveBigIntegerField(default=0)
    rows_total = models.PositiveBigIntegerField(null=True, blank=True, help_text="An estimate.")
    # A random name under exports/ (services.new_file_name); served only by the permission-checked view.
    file = models.FileField(upload_to="exports/", max_length=255, blank=True, default="")
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    # Set when the worker claims the job and at each progress report; a RUNNING job whose heartbeat is old
    # lost its worker and is queued again by the sweep (services.exports_sweep).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    objects = MerchantManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["merchant", "-created_at", "-id"], name="exportjob_merchant_idx"),
            models.Index(fields=["expires_at"], name="exportjob_expires_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["QUEUED", "RUNNING", "DONE", "FAILED", "EXPIRED"]),
                name="exportjob_status_known",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=["CUSTOMERS", "TRANSACTIONS", "DISPUTES", "ACCESS_CODES", "AUDIT"]
                ),
                name="exportjob_kind_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="DONE") | ~models.Q(file=""), name="exportjob_done_has_file"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} export {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def percent(self) -> int | None:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return None
        return min(99, int(self.rows_done * 100 / self.rows_total))
