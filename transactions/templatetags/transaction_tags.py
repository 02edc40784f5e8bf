"""How a transaction reads in a table: the colour of its status badge and its signed amount."""

from django import template

from transactions.models import Transaction

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
