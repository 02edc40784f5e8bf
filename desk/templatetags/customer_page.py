"""Badge colours and row actions for the customer page, so templates stay free of status logic."""

from django import template
from django.utils import timezone

from common.labels import card_brand as _card_brand
from purchases.models import Purchase
from transactions.models import Transaction
from transactions.rules import credit_refusal

register = template.Library()

_PURCHASE = {
    "TRIALING": "info",
    "ACTIVE": "success",
    "PAST_DUE": "warning",
    "UNPAID": "danger",
    "PAUSED": "neutral",
    "INCOMPLETE": "warning",
    "INCOMPLETE_EXPIRED": "neutral",
    "CANCELED": "neutral",
    "EXPIRED": "neutral",
}
_TXN = {
    "SUCCEEDED": "success",
    "PENDING": "warning",
    "FAILED": "danger",
    "CANCELED": "neutral",
    "REFUNDED": "info",
    "PARTIALLY_REFUNDED": "info",
    "DISPUTED": "warning",
    "CHARGED_BACK": "danger",
    "WARNING": "warning",
    "NEEDS_RESPONSE": "warning",
    "UNDER_REVIEW": "warning",
    "WON": "success",
    "LOST": "danger",
    "REPAID": "success",
    "PARTIALLY_REPAID": "info",
}
_EVENT = {"RECEIVED": "info", "PROCESSED": "success", "FAILED": "danger", "IGNORED": "neutral"}


@register.filter
def purchase_badge(purchase: Purchase) -> str:
    """CSS modifier for a purchase's status badge; a scheduled cancellation reads as a warning."""
    if purchase.is_scheduled_to_cancel:
        return "warning"
    return _PURCHASE.get(purchase.current_status, "neutral")


@register.filter
def txn_badge(status: str) -> str:
    return _TXN.get(status, "neutral")


@register.filter
def event_badge(status: str) -> str:
    return _EVENT.get(status, "neutral")


@register.filter
def creditable(txn: Transaction) -> bool:
    """A charge the provider lets us refund, with money left (the Credit flow re-checks under a row lock)."""
    return not credit_refusal(txn) and txn.remaining_amount > 0


@register.filter
def repayable(txn: Transaction) -> bool:
    return txn.kind == Transaction.Kind.CHARGEBACK and txn.repaid_amount < txn.amount


@register.filter
def expiry(obj) -> str:
    """ "04/28" from exp_month / exp_year (or method_exp_*) of a card-like object; "" when unknown."""
    month = getattr(obj, "exp_month", None) or getattr(obj, "method_exp_month", None)
    year = getattr(obj, "exp_year", None) or getattr(obj, "method_exp_year", None)
    return f"{month:02d}/{year % 100:02d}" if month and year else ""


@register.filter
def card_brand(brand: str) -> str:
    return _card_brand(brand)


@register.filter
def card_expired(obj) -> bool:
    """A card is valid through the last day of its expiry month, so it has expired once that month is past."""
    month = getattr(obj, "exp_month", None)
    year = getattr(obj, "exp_year", None)
    if not (month and year):
        return False
    today = timezone.localdate()
    return (year, month) < (today.year, today.month)


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "") if hasattr(mapping, "get") else ""


@register.filter
def staff_name(user) -> str:
    """A staff member's name for notes and logs; "System" when nobody acted (webhooks, tasks)."""
    if user is None:
        return "System"
    return user.get_full_name() or user.email


@register.filter
def method_label(method_type: str) -> str:
    """ "sepa_debit" -> "SEPA Direct Debit" (the labels transactions use), else a readable fallback."""
    return dict(Transaction.MethodType.choices).get(
        method_type, str(method_type or "").replace("_", " ").title()
    )


@register.filter
def action_label(action: str) -> str:
    """Audit action "subscription.cancel_now" -> "Subscription cancel now"."""
    return str(action or "").replace(".", " ").replace("_", " ").capitalize()


@register.filter
def same_origin_image(url: str) -> str:
    """The avatar URL when the CSP lets the browser load it (our own path or a data: image), else "" so the
    template shows initials instead of a broken image."""
    url = str(url or "")
    return url if url.startswith("/") and not url.startswith("//") or url.startswith("data:image/") else ""
