"""checkout.session.* objects: a paid repayment link is recorded by the refunds app."""

from datetime import datetime

PAID_STATUSES = ("paid", "no_payment_required")


def apply_checkout_session(*, merchant, obj: dict, now: datetime, event=None):
    """Hand a paid Teller repayment session to refunds.services.repayment_record_paid."""
    metadata = obj.get("metadata") or {}
    if not metadata.get("teller_repayment_id") or obj.get("payment_status") not in PAID_STATUSES:
        return None
    from refunds.services import repayment_record_paid  # the refunds app owns repayments

    return repayment_record_paid(merchant=merchant, session=obj, now=now)
