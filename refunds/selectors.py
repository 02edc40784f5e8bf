"""Page-shaped reads for the credit and repayment modals."""

from datetime import datetime

from merchants.permissions import has_permission
from transactions.models import Transaction

from .models import Credit, Repayment
from .services import chargeback_outstanding, credit_remaining, is_under_chargeback, support_limit


def credit_modal_context(charge: Transaction, *, membership) -> dict:
    credits = list(Credit.objects.filter(transaction=charge).select_related("actor")[:20])
    limit = (
        None
        if has_permission(membership, "credit.above_limit")
        else support_limit(charge.merchant, charge.currency)
    )
    return {
        "charge": charge,
        "remaining": credit_remaining(charge),
        "pending_credits": [c for c in credits if c.status == Credit.Status.PENDING],
        "credits": credits,
        "under_chargeback": is_under_chargeback(charge),
        "support_limit": limit,
    }


def repayment_modal_context(chargeback: Transaction, *, now: datetime) -> dict:
    repayments = list(
        Repayment.objects.filter(chargeback=chargeback).select_related("actor", "transaction")[:50]
    )
    for repayment in repayments:
        # Expiry is checked on read as well as by the periodic task.
        repayment.is_open = (
            repayment.status == Repayment.Status.PENDING
            and bool(repayment.link_url)
            and (repayment.expires_at is None or repayment.expires_at > now)
        )
        repayment.shown_status = (
            "Expired"
            if repayment.status == Repayment.Status.PENDING and not repayment.is_open and repayment.link_url
            else repayment.get_status_display()
        )
    outstanding = chargeback_outstanding(chargeback, now=now)
    owed = chargeback.amount - chargeback.repaid_amount
    return {
        "chargeback": chargeback,
        "charge": chargeback.parent,
        "outstanding": outstanding,
        "owed": owed,
        "reserved": owed - outstanding,
        "open_links": [r for r in repayments if r.is_open],
        "repayments": repayments,
    }


def credits_pending(merchant):
    """Credits still PENDING at the provider (outcome unknown), oldest first."""
    return (
        Credit.objects.filter(merchant=merchant, status=Credit.Status.PENDING)
        .select_related("transaction__customer")
        .order_by("created_at", "id")
    )


def repayment_links_expiring(merchant, now: datetime, *, within):
    """Open repayment links that expire between now and now + `within` (a timedelta), soonest first."""
    return (
        Repayment.objects.filter(
            merchant=merchant,
            status=Repayment.Status.PENDING,
            method=Repayment.Method.LINK,
            expires_at__gt=now,
            expires_at__lte=now + within,
        )
        .select_related("chargeback__customer")
        .order_by("expires_at", "id")
    )
