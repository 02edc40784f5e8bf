from django.db import models

from common.querysets import MerchantManager


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

    objects = MerchantManager()

    class Meta:
        ordering = ["title"]
        constraints = [models.UniqueConstraint(fields=["merchant", "chat_id"], name="telegram_chat_unique")]

    def __str__(self):
        return self.title


class TelegramAccount(models.Model):
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="telegram_accounts"
    )
    telegram_user_id = models.BigIntegerField()
    username = models.CharField(max_length=64, blank=True, default="")

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

    objects = MerchantManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["purchase", "chat", "account"], name="access_grant_unique"),
        ]

    def __str__(self):
        status = self.get_status_display()
        return f"Access grant {self.pk}: account {self.account_id} in chat {self.chat_id} ({status})"
