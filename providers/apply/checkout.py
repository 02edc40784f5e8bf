"""checkout.session.* objects: a paid repayment link is recorded by the refunds app; a paid session with
`telegram_user_id` in its metadata links that Telegram account to its customer."""

from datetime import datetime

from access.linking import METADATA_KEY as TELEGRAM_METADATA_KEY
from access.linking import telegram_link_from_metadata
from refunds.services import repayment_record_paid

from .common import customer_for, obj_id

PAID_STATUSES = ("paid", "no_payment_required")


def apply_checkout_session(*, merchant, obj: dict, now: datetime, event=None):
    """Hand a paid Teller repayment session to refunds.services.repayment_record_paid."""
    metadata = obj.get("metadata") or {}
    if metadata.get(TELEGRAM_METADATA_KEY) and obj.get("payment_status") in PAID_STATUSES:
        customer = customer_for(merchant, obj_id(obj.get("customer")))
        telegram_link_from_metadata(merchant=merchant, customer=customer, metadata=metadata, now=now)
    if not metadata.get("teller_repayment_id") or obj.get("payment_status") not in PAID_STATUSES:
        return None

    return repayment_record_paid(merchant=merchant, session=obj, now=now)
