from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower

from common.fields import EncryptedTextField


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractUser):
    """Staff sign in with their email; there is no username."""

    username = None
    email = models.EmailField("email address", unique=True)
    # The staff member's own time zone for every date Teller shows them; blank: their merchant's.
    time_zone = models.CharField(max_length=64, blank=True, default="")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []
    objects = UserManager()

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.get_full_name() or self.email


class Merchant(models.Model):
    class Provider(models.TextChoices):
        # A new merchant moves no money until its owner connects Stripe in Settings: no silent sandbox.
        NOT_CONNECTED = "NOT_CONNECTED", "Not connected"
        STRIPE = "STRIPE", "Stripe"
        SANDBOX = "SANDBOX", "Sandbox"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=64, unique=True)
    provider = models.CharField(max_length=16, choices=Provider.choices, default=Provider.NOT_CONNECTED)
    # Secrets are encrypted at rest and never rendered back into a page. The API base is deliberately not
    # here: it is the installation's STRIPE_API_BASE, so no merchant can make Teller call an address it picks.
    stripe_secret_key = EncryptedTextField(blank=True, default="")
    stripe_webhook_secret = EncryptedTextField(blank=True, default="")
    # What the connection check found (Settings shows it); the endpoint id lets Teller rotate or delete it.
    stripe_account_id = models.CharField(max_length=255, blank=True, default="")
    stripe_account_name = models.CharField(max_length=255, blank=True, default="")
    stripe_livemode = models.BooleanField(default=False)
    stripe_webhook_endpoint_id = models.CharField(max_length=255, blank=True, default="")
    stripe_connected_at = models.DateTimeField(null=True, blank=True)
    telegram_bot_token = EncryptedTextField(blank=True, default="")
    default_currency = models.CharField(max_length=3, default="eur")
    # IANA name; dates shown to the merchant's staff are in this zone (CurrentMerchantMiddleware).
    time_zone = models.CharField(max_length=64, default="UTC")
    # Support agents may credit up to this much per transaction (minor units of default_currency).
    support_credit_limit = models.PositiveBigIntegerField(default=10_000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_connected(self) -> bool:
        return self.provider != self.Provider.NOT_CONNECTED


class Role(models.TextChoices):
    OWNER = "OWNER", "Owner"
    MANAGER = "MANAGER", "Manager"
    SUPPORT = "SUPPORT", "Support"


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, user__is_active=True)


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.SUPPORT)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "merchant"], name="membership_user_merchant_unique")
        ]
        ordering = ["merchant__name"]

    def __str__(self):
        return f"{self.user} @ {self.merchant} ({self.role})"

    @property
    def is_manager(self) -> bool:
        """Manager or owner: the roles that may unblock, credit above the limit, see the audit log."""
        return self.role in (Role.OWNER, Role.MANAGER)

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER
