import secrets

from django.db import models

from common.fields import EncryptedTextField
from common.querysets import MerchantManager


def new_link_token() -> str:
    """A deep-link payload: Telegram allows up to 64 of A-Za-z0-9_-; 32 random bytes give 43 characters."""
    return secrets.token_urlsafe(32)


def new_webhook_secret() -> str:
    """X-Telegram-Bot-Api-Secret-Token: 1-256 characters of A-Za-z0-9_-."""
    return secrets.token_urlsafe(48)


class TelegramBot(models.Model):
    """The merchant's bot as Teller registered it: the token itself stays on Merchant.telegram_bot_token."""

    merchant = models.OneToOneField("merchants.Merchant", on_delete=models.CASCADE, related_name="+")
    bot_user_id = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=64, blank=True, default="")
    webhook_secret = EncryptedTextField(blank=True, default="")
    webhook_url = models.CharField(max_length=500, blank=True, default="")
    webhook_set_at = models.DateTimeField(null=True, blank=True)
    webhook_error = models.TextField(blank=True, default="")
    removal_message = models.TextField(
        blank=True, default="", help_text="Sent to a member removed when their access ended; empty: none."
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = MerchantManager()

    def __str__(self):
        return f"@{self.username}" if self.username else "Telegram bot (not connected)"

    @property
    def is_connected(self) -> bool:
        return bool(self.username and self.webhook_set_at)


class TelegramChat(models.Model):
    """A paid Telegram channel or group; products give access to chats."""

    class Kind(models.TextChoices):
        CHANNEL = "CHANNEL", "Channel"
        GROUP = "GROUP", "Group"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    chat_id = models.BigIntegerField()
    title = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CHANNEL)
    products = models.ManyToManyField("purchases.Product", blank=True, related_name="chats")
    username = models.CharField(max_length=64, blank=True, default="")
    # The last getChatMember check of the bot in this chat: what it cannot do yet (empty: all set).
    bot_is_admin = models.BooleanField(default=False)
    bot_missing_rights = models.JSONField(default=list, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    objects = MerchantManager()

    class Meta:
        ordering = ["title"]
        constraints = [models.UniqueConstraint(fields=["merchant", "chat_id"], name="telegram_chat_unique")]

    def __str__(self):
        return self.title


class TelegramAccount(models.Model):
    class LinkedVia(models.TextChoices):
        DEEP_LINK = "DEEP_LINK", "Deep link (/start)"
        METADATA = "METADATA", "Stripe metadata"
        STAFF = "STAFF", "Staff"
        ADMIN = "ADMIN", "Admin / seed"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="telegram_accounts"
    )
    telegram_user_id = models.BigIntegerField()
    username = models.CharField(max_length=64, blank=True, default="")
    linked_via = models.CharField(max_length=16, choices=LinkedVia.choices, default=LinkedVia.ADMIN)
    linked_at = models.DateTimeField(null=True, blank=True)

    objects = MerchantManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "telegram_user_id"], name="telegram_account_unique"),
        ]

    def __str__(self):
        return f"@{self.username}" if self.username else str(self.telegram_user_id)


class AccessGrant(models.Model):
    """A member's access to one chat through one purchase. Revocation is never dropped silently."""

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", "Active"
        REVOKE_PENDING = "REVOKE_PENDING", "Removal pending"
        REVOKED = "REVOKED", "Removed"
        KEPT = "KEPT", "Kept (another live purchase)"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    purchase = models.ForeignKey("purchases.Purchase", on_delete=models.CASCADE, related_name="access_grants")
    chat = models.ForeignKey(TelegramChat, on_delete=models.PROTECT, related_name="grants")
    account = models.ForeignKey(TelegramAccount, on_delete=models.PROTECT, related_name="grants")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    granted_at = models.DateTimeField()
    revoke_requested_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Admission: the personal invite link (join requests need approval), and what happened with it.
    invite_link = models.CharField(max_length=255, blank=True, default="")
    invited_at = models.DateTimeField(null=True, blank=True)
    invite_error = models.TextField(blank=True, default="")
    join_requested_at = models.DateTimeField(null=True, blank=True)

    objects = MerchantManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["purchase", "chat", "account"], name="access_grant_unique"),
        ]
        indexes = [
            # Only removals not done yet: the "Needs attention" queue reads them oldest first.
            models.Index(
                fields=["merchant", "revoke_requested_at", "id"],
                condition=models.Q(status="REVOKE_PENDING"),
                name="access_grant_pending_idx",
            ),
        ]

    def __str__(self):
        status = self.get_status_display()
        return f"Access grant {self.pk}: account {self.account_id} in chat {self.chat_id} ({status})"


class LinkToken(models.Model):
    """A one-time deep-link payload per purchase: t.me/<bot>?start=<token> links the sender to the buyer."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    purchase = models.OneToOneField("purchases.Purchase", on_delete=models.CASCADE, related_name="link_token")
    token = models.CharField(max_length=64, unique=True, default=new_link_token)
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        TelegramAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = MerchantManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(token__regex=r"^[A-Za-z0-9_-]{16,64}$"), name="link_token_charset"
            ),
        ]

    def __str__(self):
        return f"Deep link of purchase {self.purchase_id}"


class ChatMember(models.Model):
    """Who Teller has seen in a chat, from chat_member updates (and its own approvals and removals)."""

    class Status(models.TextChoices):
        CREATOR = "CREATOR", "Owner"
        ADMINISTRATOR = "ADMINISTRATOR", "Administrator"
        MEMBER = "MEMBER", "Member"
        RESTRICTED = "RESTRICTED", "Restricted"
        LEFT = "LEFT", "Left"
        KICKED = "KICKED", "Removed"

    IN_CHAT = (Status.CREATOR, Status.ADMINISTRATOR, Status.MEMBER, Status.RESTRICTED)

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    chat = models.ForeignKey(TelegramChat, on_delete=models.CASCADE, related_name="members")
    telegram_user_id = models.BigIntegerField()
    username = models.CharField(max_length=64, blank=True, default="")
    first_name = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices)
    changed_at = models.DateTimeField(help_text="Telegram's date of the change (older updates are ignored).")

    objects = MerchantManager()

    class Meta:
        ordering = ["-changed_at"]
        constraints = [
            models.UniqueConstraint(fields=["chat", "telegram_user_id"], name="chat_member_unique"),
        ]

    def __str__(self):
        return f"{self.username or self.telegram_user_id} in {self.chat_id} ({self.status})"

    @property
    def in_chat(self) -> bool:
        return self.status in self.IN_CHAT


class TelegramUpdate(models.Model):
    """An update Telegram POSTed to the merchant's webhook: stored first, applied by a task, once."""

    class Status(models.TextChoices):
        RECEIVED = "RECEIVED", "Received"
        APPLIED = "APPLIED", "Applied"
        IGNORED = "IGNORED", "Ignored"
        FAILED = "FAILED", "Failed"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    update_id = models.BigIntegerField()
    kind = models.CharField(max_length=32, blank=True, default="")
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True, default="")
    received_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)

    objects = MerchantManager()

    class Meta:
        ordering = ["update_id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "update_id"], name="telegram_update_unique"),
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="telegram_update_status_idx")]

    def __str__(self):
        return f"Telegram update {self.update_id} ({self.kind or 'unknown'})"
