"""The single code path that applies provider objects to Teller's tables.

Webhooks (providers.inbox_apply.event_process) and staff actions (cancel, credit, block...) both call these,
so a staff action's result is visible at once and the webhook that follows is a no-op. Every apply:
- runs in one transaction, locking the existing row (select_for_update) or inserting it under a unique key;
- is keyed by the provider id and guarded by `provider_updated_at`: an event older than the applied state
  does not overwrite it (the event gets the note "stale, skipped");
- links the ProviderEvent (when given) to the customer, purchase and transactions it touched.
"""

from datetime import datetime

from .charges import apply_charge, apply_refund
from .checkout import apply_checkout_session
from .common import STALE_NOTE, NotYetKnown
from .customers import apply_customer, apply_default_method, apply_payment_method
from .disputes import apply_dispute
from .invoices import apply_invoice, apply_invoice_payment
from .subscriptions import apply_subscription

APPLIERS = {
    "customer": apply_customer,
    "payment_method": apply_payment_method,
    "subscription": apply_subscription,
    "invoice": apply_invoice,
    "invoice_payment": apply_invoice_payment,
    "charge": apply_charge,
    "refund": apply_refund,
    "dispute": apply_dispute,
    "checkout.session": apply_checkout_session,
}


def apply_object(*, merchant, obj: dict, now: datetime, event=None):
    """Apply any supported Stripe object (dispatch on obj["object"]); returns the row it produced."""
    kind = obj.get("object")
    if kind == "deleted_customer" or (kind == "customer" and obj.get("deleted")):
        return apply_customer(
            merchant=merchant, obj={**obj, "object": "customer", "deleted": True}, now=now, event=event
        )
    applier = APPLIERS.get(kind)
    if applier is None:
        raise ValueError(f"Teller does not apply {kind!r} objects")
    return applier(merchant=merchant, obj=obj, now=now, event=event)


__all__ = [
    "APPLIERS",
    "STALE_NOTE",
    "NotYetKnown",
    "apply_charge",
    "apply_checkout_session",
    "apply_customer",
    "apply_default_method",
    "apply_dispute",
    "apply_invoice",
    "apply_invoice_payment",
    "apply_object",
    "apply_payment_method",
    "apply_refund",
    "apply_subscription",
]
