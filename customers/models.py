import secrets
import string

from django.conf import settings
from django.db import models

from common.querysets import MerchantManager, MerchantQuerySet

PUBLIC_ID_ALPHABET = string.ascii_uppercase + string.digits
PUBLIC_ID_LENGTH = 12


def new_public_id() -> str:
    """Short public id support staff read out and search by (12 characters, like Grouptizer's)."""
    return "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(PUBLIC_ID_LENGTH))


class ProviderKind(models.TextChoices):
    STRIPE = "STRIPE", "Stripe"
    SANDBOX = "SANDBOX", "Sandbox"
    ACCESS_CODE = "ACCESS_CODE", "Access code"


class CustomerQuerySet(MerchantQuerySet):
    pass


class Customer(models.Model):
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="customers")
    public_id = models.CharField(
        max_length=PUBLIC_ID_LENGTH, unique=True, default=new_public_id, editable=False
    )
    provider_customer_id = models.CharField(max_length=255, null=True, blank=True)
    name = models.CharField(max_length=255, blank=True, default="")
    email = models.EmailField(max_length=320, blank=True, default="")
    avatar_url = models.URLField(blank=True, default="")
    country = models.CharField(max_length=2, blank=True, default="")
    description = models.TextField(
        blank=True, default="", help_text="The customer's own note (provider description)."
    )
    metadata = models.JSONField(default=dict, blank=True)
    providers_used = models.JSONField(
        default=list, blank=True, help_text="ProviderKind values this customer used."
    )
    used_access_code = models.BooleanField(default=False)
    # Denormalised from the CUSTOMER_ID identifier so lists can filter blocked customers without a join.
    is_blocked = models.BooleanField(default=False)
    first_purchase_at = models.DateTimeField(null=True, blank=True, help_text="Customer since.")
    last_purchase_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="Deleted at the provider.")
    # Timestamp of the newest provider event applied to this row: an older event never overwrites it.
    provider_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MerchantManager.from_queryset(CustomerQuerySet)()

    class Meta:
        ordering = ["-first_purchase_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "provider_customer_id"],
                condition=models.Q(provider_customer_id__isnull=False),
                name="customer_provider_id_unique_per_merchant",
            )
        ]
        indexes = [
            models.Index(fields=["merchant", "-first_purchase_at", "-id"], name="customer_since_idx"),
            models.Index(fields=["merchant", "email"], name="customer_email_idx"),
        ]

    def __str__(self):
        return self.name or self.email or self.public_id

    @property
    def display_name(self):
        return self.name or self.email or self.public_id


class Identifier(models.Model):
    """A merchant-wide payment detail, linked to every customer that used it: block it once, blocked for
    all."""

    class Kind(models.TextChoices):
        CUSTOMER_ID = "CUSTOMER_ID", "Customer ID"
        EMAIL = "EMAIL", "Email"
        CARD = "CARD", "Card"
        BANK_ACCOUNT = "BANK_ACCOUNT", "Bank account"

    class SyncStatus(models.TextChoices):
        NONE = "NONE", "Not mirrored"
        PENDING = "PENDING", "Pending"
        SYNCED = "SYNCED", "Synced"
        FAILED = "FAILED", "Failed"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="identifiers")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Normalised: Stripe customer id; lower-cased email without +tag; card / IBAN fingerprint. Never a full
    # number.
    value = models.CharField(max_length=320)
    display = models.CharField(max_length=255, blank=True, default="")
    brand = models.CharField(max_length=32, blank=True, default="")
    last4 = models.CharField(max_length=4, blank=True, default="")
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True, default="")
    bank_name = models.CharField(max_length=128, blank=True, default="")
    is_blocked = models.BooleanField(default=False)
    blocked_at = models.DateTimeField(null=True, blank=True)
    radar_status = models.CharField(max_length=16, choices=SyncStatus.choices, default=SyncStatus.NONE)
    radar_item_id = models.CharField(max_length=255, blank=True, default="")
    radar_error = models.TextField(blank=True, default="")
    customers = models.ManyToManyField(Customer, through="CustomerIdentifier", related_name="identifiers")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MerchantManager()

    class Meta:
        ordering = ["kind", "display"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "kind", "value"], name="identifier_unique_per_merchant"
            ),
            models.CheckConstraint(condition=~models.Q(value=""), name="identifier_value_not_empty"),
        ]

    def __str__(self):
        return self.display or self.value


class CustomerIdentifier(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identifier_links")
    identifier = models.ForeignKey(Identifier, on_delete=models.CASCADE, related_name="customer_links")
    first_seen_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "identifier"], name="customer_identifier_unique"),
        ]

    def __str__(self):
        return f"Customer {self.customer_id} uses identifier {self.identifier_id}"


class BlockEvent(models.Model):
    """Append-only log of blocks and unblocks of an identifier."""

    class Action(models.TextChoices):
        BLOCK = "BLOCK", "Blocked"
        UNBLOCK = "UNBLOCK", "Unblocked"

    class Reason(models.TextChoices):
        FRAUD = "FRAUD", "Fraud"
        CHARGEBACK_ABUSE = "CHARGEBACK_ABUSE", "Chargeback abuse"
        CUSTOMER_REQUEST = "CUSTOMER_REQUEST", "Customer request"
        OTHER = "OTHER", "Other"

    class Source(models.TextChoices):
        MANUAL = "MANUAL", "Manual"
        BLOCK_ALL = "BLOCK_ALL", "Block all"
        UNBLOCK_ALL = "UNBLOCK_ALL", "Unblock all"
        BLOCK_LINKED = "BLOCK_LINKED", "Block all linked"
        CREDIT = "CREDIT", "Credit"
        SYSTEM = "SYSTEM", "System"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    identifier = models.ForeignKey(Identifier, on_delete=models.PROTECT, related_name="block_events")
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=32, choices=Reason.choices, blank=True, default="")
    reason_text = models.CharField(max_length=500, blank=True, default="")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The customer whose page the change was made from.",
    )
    created_at = models.DateTimeField(db_index=True)

    objects = MerchantManager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} identifier {self.identifier_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("BlockEvent is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("BlockEvent is append-only")


class PaymentMethod(models.Model):
    """A payment method on file at the provider (Stripe pm_...)."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="payment_methods"
    )
    identifier = models.ForeignKey(
        Identifier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider_id = models.CharField(max_length=255)
    type = models.CharField(max_length=32)  # card, sepa_debit, ...
    brand = models.CharField(max_length=32, blank=True, default="")
    last4 = models.CharField(max_length=4, blank=True, default="")
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True, default="")
    bank_name = models.CharField(max_length=128, blank=True, default="")
    is_default = models.BooleanField(default=False)
    detached_at = models.DateTimeField(null=True, blank=True)
    provider_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MerchantManager()

    class Meta:
        ordering = ["-is_default", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "provider_id"], name="payment_method_unique_per_merchant"
            ),
        ]

    def __str__(self):
        label = f"{self.brand or self.type} •••• {self.last4}" if self.last4 else self.type
        return f"{label} for customer {self.customer_id}" if self.customer_id else label
