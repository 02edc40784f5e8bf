from django.conf import settings
from django.db import models

from common.querysets import MerchantManager


class AuditAction(models.TextChoices):
    """Every action Teller records: stored as "noun.verb"; the label is what the Audit page shows.

    `audit_record` refuses a value not listed here, so a misspelt action fails in tests instead of
    starting a new kind of event nobody can filter for."""

    ACCESS_INVITE_RESEND = "access.invite_resend", "Telegram invite resent"
    ACCESS_JOIN_APPROVED = "access.join_approved", "Telegram join request approved"
    ACCESS_JOIN_DECLINED = "access.join_declined", "Telegram join request declined"
    ACCESS_KEPT = "access.kept", "Member kept in a chat (another live purchase)"
    ACCESS_RETRY = "access.retry", "Telegram removal retried"
    ACCESS_REVOKED = "access.revoked", "Member removed from a chat"
    ACCESS_STAFF_REMOVE = "access.staff_remove", "Member removed from a chat by staff"
    ACCESS_CODE_DELETE = "access_code.delete", "Access code deleted"
    ACCESS_CODE_GENERATE = "access_code.generate", "Access codes generated"
    ACCESS_CODE_REDEEM = "access_code.redeem", "Access code redeemed"
    ATTENTION_CLAIM = "attention.claim", "Needs attention row taken"
    ATTENTION_RELEASE = "attention.release", "Needs attention row released"
    CREDIT_BLOCK_ALL_FAIL = "credit.block_all_fail", "Block all after a credit failed"
    CREDIT_CREATE = "credit.create", "Credit requested"
    CREDIT_FAIL = "credit.fail", "Credit failed"
    CREDIT_PENDING = "credit.pending", "Credit pending at the provider"
    CREDIT_SUCCEED = "credit.succeed", "Credit succeeded"
    CUSTOMER_BLOCK_ALL = "customer.block_all", "Customer details blocked (all)"
    CUSTOMER_UNBLOCK_ALL = "customer.unblock_all", "Customer details unblocked (all)"
    CUSTOMER_BLOCK_LINKED = "customer.block_linked", "Linked customers blocked"
    DISPUTE_ACCEPT = "dispute.accept", "Dispute accepted"
    DISPUTE_DRAFT = "dispute.draft", "Dispute evidence saved as draft"
    DISPUTE_SUBMIT = "dispute.submit", "Dispute evidence submitted"
    EVENT_REPLAY = "event.replay", "Webhook event replayed"
    EXPORT_DOWNLOAD = "export.download", "Export downloaded"
    EXPORT_START = "export.start", "Export started (background)"
    EXPORT_STREAM = "export.stream", "Export downloaded (streamed)"
    IDENTIFIER_BLOCK = "identifier.block", "Customer detail blocked"
    IDENTIFIER_RADAR_RETRY = "identifier.radar_retry", "Radar block list retried"
    IDENTIFIER_UNBLOCK = "identifier.unblock", "Customer detail unblocked"
    MERCHANT_SETTINGS_UPDATE = "merchant.settings.update", "Business settings changed"
    NOTE_ADD = "note.add", "Note added"
    PREFERENCES_UPDATE = "preferences.update", "Preferences changed"
    PURCHASE_CANCEL = "purchase.cancel", "Purchase canceled"
    PURCHASE_EXPIRE = "purchase.expire", "Purchase expired"
    REPAYMENT_LINK_CANCEL = "repayment.link_cancel", "Repayment link canceled"
    REPAYMENT_LINK_CREATE = "repayment.link_create", "Repayment link requested"
    REPAYMENT_LINK_EMAIL = "repayment.link_email", "Repayment link emailed"
    REPAYMENT_LINK_EXPIRE = "repayment.link_expire", "Repayment link expired"
    REPAYMENT_LINK_FAIL = "repayment.link_fail", "Repayment link failed"
    REPAYMENT_LINK_READY = "repayment.link_ready", "Repayment link ready"
    REPAYMENT_MANUAL_CREATE = "repayment.manual_create", "Repayment recorded"
    REPAYMENT_PAID = "repayment.paid", "Repayment paid"
    SETTINGS_TELEGRAM_BOT = "settings.telegram_bot", "Telegram bot connected"
    SETTINGS_TELEGRAM_CHAT_ADD = "settings.telegram_chat_add", "Telegram chat added"
    SETTINGS_TELEGRAM_CHAT_CHECK = "settings.telegram_chat_check", "Telegram chat checked"
    SETTINGS_TELEGRAM_CHAT_PRODUCTS = "settings.telegram_chat_products", "Telegram chat products changed"
    SETTINGS_TELEGRAM_REMOVAL_MESSAGE = (
        "settings.telegram_removal_message",
        "Telegram removal message changed",
    )
    STAFF_DEACTIVATE = "staff.deactivate", "Staff member deactivated"
    STAFF_INVITE = "staff.invite", "Staff member invited"
    STAFF_INVITE_RESEND = "staff.invite_resend", "Staff invitation resent"
    STAFF_REACTIVATE = "staff.reactivate", "Staff member reactivated"
    STAFF_ROLE_CHANGE = "staff.role_change", "Staff role changed"
    STRIPE_CONNECT = "stripe.connect", "Stripe connected"
    STRIPE_DISCONNECT = "stripe.disconnect", "Stripe disconnected"
    STRIPE_IMPORT_START = "stripe.import.start", "Stripe history import started"
    STRIPE_WEBHOOK_SECRET_ROTATE = "stripe.webhook_secret.rotate", "Stripe webhook secret rotated"
    SUBSCRIPTION_CANCEL = "subscription.cancel", "Subscription canceled"
    SUBSCRIPTION_CANCEL_NOW = "subscription.cancel_now", "Subscription canceled now"
    SUBSCRIPTION_RECOVER = "subscription.recover", "Subscription recovered"
    TELEGRAM_LINK = "telegram.link", "Telegram account linked"


class AuditEvent(models.Model):
    """Append-only record of a staff action, written in the same database transaction as the change."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True, choices=AuditAction.choices)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=255, blank=True, default="")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    data = models.JSONField(default=dict, blank=True, help_text="before / after values and the choices made")
    request_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(db_index=True)

    objects = MerchantManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["merchant", "-created_at"], name="audit_merchant_recent_idx")]

    def __str__(self):
        return f"{self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("AuditEvent is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("AuditEvent is append-only")
