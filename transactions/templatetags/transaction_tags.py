"""How a transaction reads in a table: the colour of its status badge and its signed amount."""

from datetime import timedelta

from django import template
from django.utils import timezone

from transactions.forms import reason_label
from transactions.models import Transaction
from transactions.selectors import DUE_SOON_HOURS

register = template.Library()

S = Transaction.Status
STATUS_TONES = {
    S.SUCCEEDED: "success",
    S.WON: "success",
    S.REPAID: "success",
    S.PENDING: "neutral",
    S.CANCELED: "neutral",
    S.REFUNDED: "info",
    S.PARTIALLY_REFUNDED: "info",
    S.PARTIALLY_REPAID: "info",
    S.FAILED: "danger",
    S.CHARGED_BACK: "danger",
    S.LOST: "danger",
    S.DISPUTED: "warning",
    S.WARNING: "warning",
    S.NEEDS_RESPONSE: "warning",
    S.UNDER_REVIEW: "warning",
}
# Money leaving the merchant: shown negative.
OUTGOING_KINDS = {Transaction.Kind.REFUND, Transaction.Kind.CHARGEBACK, Transaction.Kind.FEE}


@register.filter
def status_tone(status: str) -> str:
    """badge-<tone> for a Transaction.Status: {{ t.status|status_tone }}."""
    return STATUS_TONES.get(status, "neutral")


@register.filter
def signed_amount(txn) -> int:
    """The amount with its sign as the merchant sees it: refunds, chargebacks and fees are negative."""
    return -txn.amount if txn.kind in OUTGOING_KINDS else txn.amount


@register.filter
def dispute_reason(reason: str) -> str:

    return reason_label(reason or "")


DISPUTE_TONES = {
    "WARNING_NEEDS_RESPONSE": "warning",
    "NEEDS_RESPONSE": "danger",
    "WARNING_UNDER_REVIEW": "info",
    "UNDER_REVIEW": "info",
    "WON": "success",
    "WARNING_CLOSED": "neutral",
    "PREVENTED": "success",
    "LOST": "danger",
}


@register.filter
def dispute_tone(status: str) -> str:
    return DISPUTE_TONES.get(status, "neutral")


@register.simple_tag
def dispute_due(dispute, now=None) -> str:
    """ "due in 2 days" / "3 hours left" / "past due": the deadline as a person reads it."""

    now = now or timezone.now()
    if dispute.due_by is None:
        return ""
    if dispute.past_due or dispute.due_by <= now:
        return "past due"
    left = dispute.due_by - now
    hours = int(left.total_seconds() // 3600)
    if hours < 1:
        return "less than an hour left"
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''} left"
    return f"in {left.days} days"


@register.filter
def dispute_due_soon(dispute, now=None) -> bool:
    """Open, not past due, and due within the navigation's 72 hours."""

    now = now or timezone.now()

    if dispute.due_by is None or dispute.past_due or dispute.status not in dispute.RESPONDABLE_STATUSES:
        return False
    return now < dispute.due_by <= now + timedelta(hours=DUE_SOON_HOURS)
