import secrets
import string

from django.conf import settings
from django.db import models
from django.utils import timezone

from common.labels import duration_label
from common.querysets import MerchantManager, MerchantQuerySet

ACCESS_CODE_ALPHABET = "".join(c for c in string.ascii_uppercase + string.digits if c not in "O0I1")


def new_access_code() -> str:
    return "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(12))


class Product(models.Model):
    class Kind(models.TextChoices):
        SUBSCRIPTION = "SUBSCRIPTION", "Subscription"
        ONE_TIME = "ONE_TIME", "One-time"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    provider_product_id = models.CharField(max_length=255, null=True, blank=True)
    provider_price_id = models.CharField(max_length=255, null=True, blank=True)
    amount = models.PositiveBigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    interval = models.CharField(max_length=16, blank=True, default="", help_text="day, week, month, year")
    allows_access_codes = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MerchantManager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "provider_product_id"],
                condition=models.Q(provider_product_id__isnull=False),
                name="product_provider_id_unique_per_merchant",
            )
        ]

    def __str__(self):
        return self.name


class PurchaseQuerySet(MerchantQuerySet):
    def live(self):
        """Purchases whose stored status is live (what the expiry sweep works through)."""
        return self.filter(status__in=Purchase.LIVE_STATUSES)

    def live_now(self, now=None):
        """Live and not past the end of access, whether or not the expiry sweep has run yet."""
        now = now or timezone.now()
        return self.live().filter(
            models.Q(access_expires_at__isnull=True) | models.Q(access_expires_at__gt=now)
        )


class Purchase(models.Model):
    class Kind(models.TextChoices):
        SUBSCRIPTION = "SUBSCRIPTION", "Subscription"
        ONE_TIME = "ONE_TIME", "One-time payment"
        ACCESS_CODE = "ACCESS_CODE", "Access code"

    class Status(models.TextChoices):
        INCOMPLETE = "INCOMPLETE", "Incomplete"
        INCOMPLETE_EXPIRED = "INCOMPLETE_EXPIRED", "Incomplete, expired"
        TRIALING = "TRIALING", "Trialing"
        ACTIVE = "ACTIVE", "Active"
        PAST_DUE = "PAST_DUE", "Past due"
        UNPAID = "UNPAID", "Unpaid"
        PAUSED = "PAUSED", "Paused"
        CANCELED = "CANCELED", "Canceled"
        EXPIRED = "EXPIRED", "Expired"

    # Statuses in which the customer has access and the purchase can be canceled.
    LIVE_STATUSES = (Status.TRIALING, Status.ACTIVE, Status.PAST_DUE)
    # Subscription statuses that may still be canceled at the end of the period.
    SCHEDULABLE_STATUSES = (Status.TRIALING, Status.ACTIVE, Status.PAST_DUE)

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="purchases")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="purchases")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    provider_subscription_id = models.CharField(max_length=255, null=True, blank=True)
    access_code = models.ForeignKey(
        "AccessCode", null=True, blank=True, on_delete=models.SET_NULL, related_name="purchases"
    )
    amount = models.PositiveBigIntegerField(null=True, blank=True, help_text="Price per period, minor units.")
    currency = models.CharField(max_length=3, blank=True, default="")
    interval = models.CharField(max_length=16, blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    trial_end_at = models.DateTimeField(null=True, blank=True)
    current_period_start_at = models.DateTimeField(null=True, blank=True)
    current_period_end_at = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    cancel_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: lifetime access.")
    provider_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MerchantManager.from_queryset(PurchaseQuerySet)()

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "provider_subscription_id"],
                condition=models.Q(provider_subscription_id__isnull=False),
                name="purchase_subscription_unique_per_merchant",
            )
        ]
        indexes = [
            models.Index(fields=["customer", "kind", "-started_at"], name="purchase_customer_idx"),
            models.Index(fields=["status", "access_expires_at"], name="purchase_expiry_idx"),
        ]

    def __str__(self):
        return f"{self.product} ({self.get_status_display()})"

    @property
    def has_lapsed(self) -> bool:
        """Stored as live, but its access ended: the expiry sweep has not got to it yet."""
        return (
            self.status in self.LIVE_STATUSES
            and self.access_expires_at is not None
            and self.access_expires_at <= timezone.now()
        )

    @property
    def current_status(self) -> str:
        """The status as it is now: a purchase past its end of access is expired even before the sweep."""
        return self.Status.EXPIRED if self.has_lapsed else self.status

    @property
    def current_status_label(self) -> str:
        return self.Status(self.current_status).label

    @property
    def is_live(self) -> bool:
        """The customer has access now (so the purchase can be canceled)."""
        return self.status in self.LIVE_STATUSES and not self.has_lapsed

    @property
    def is_scheduled_to_cancel(self) -> bool:
        return self.kind == self.Kind.SUBSCRIPTION and self.is_live and self.cancel_at_period_end


class AccessCode(models.Model):
    class Duration(models.TextChoices):
        LIFETIME = "LIFETIME", "Lifetime"
        DAYS = "DAYS", "Days"
        MONTHS = "MONTHS", "Months"
        YEARS = "YEARS", "Years"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=12, unique=True, default=new_access_code)
    products = models.ManyToManyField(Product, related_name="access_codes")
    duration = models.CharField(max_length=16, choices=Duration.choices, default=Duration.LIFETIME)
    duration_count = models.PositiveIntegerField(null=True, blank=True)
    batch = models.CharField(max_length=32, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    redeemed_by = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="redeemed_codes"
    )
    redeemed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MerchantManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration="LIFETIME", duration_count__isnull=True)
                | (~models.Q(duration="LIFETIME") & models.Q(duration_count__gte=1)),
                name="access_code_duration_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(redeemed_by__isnull=True, redeemed_at__isnull=True)
                | models.Q(redeemed_by__isnull=False, redeemed_at__isnull=False),
                name="access_code_redeemed_consistent",
            ),
        ]

    def __str__(self):
        return self.code

    @property
    def duration_label(self) -> str:
        """ "Lifetime", "1 year", "3 months" (never "1 years")."""
        if self.duration == self.Duration.LIFETIME:
            return "Lifetime"
        return duration_label(self.duration_count, self.duration)
