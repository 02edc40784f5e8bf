"""invoice.* and invoice_payment.* objects: store what they tell, then tie the charge to its purchase."""

from datetime import datetime

from payments import stripe_shapes as shapes
from purchases.models import Purchase
from purchases.signals import purchase_access_ended

from ..models import InvoicePayment, ProviderInvoice
from .common import apply_atomic, is_stale, link_event, note_stale, stamp_of, ts, upsert
from .links import link_invoice
from .subscriptions import ACCESS_ENDING_STATUSES

# An invoice's payment from an event of an API version before 2025-03-31 (invoice.charge / payment_intent).
LEGACY_PAYMENT_SUFFIX = ":legacy"


def apply_invoice_payment(*, merchant, obj: dict, now: datetime, event=None) -> InvoicePayment:
    """invoice_payment.paid: which payment intent (or charge) paid which invoice."""
    stamp = stamp_of(event, now)
    invoice_id, payment_intent_id, charge_id = shapes.invoice_payment_refs(obj)
    if not invoice_id:
        raise ValueError(f"invoice_payment {obj.get('id')} names no invoice")
    with apply_atomic():
        row = _store_payment(merchant, obj["id"], invoice_id, payment_intent_id, charge_id, obj, stamp, event)
        charges, purchase = link_invoice(merchant, invoice_id)
        customer = purchase.customer if purchase else (charges[0].customer if charges else None)
        link_event(event, customer=customer, purchase=purchase, transactions=charges)
    return row


def _store_payment(merchant, provider_id, invoice_id, payment_intent_id, charge_id, obj, stamp, event):
    def fill(row: InvoicePayment, is_new: bool) -> None:
        row.provider_invoice_id = invoice_id
        row.payment_intent_id = payment_intent_id or row.payment_intent_id
        row.charge_id = charge_id or row.charge_id
        row.status = (obj.get("status") or "")[:32]

    row, _ = upsert(
        InvoicePayment,
        merchant=merchant,
        key={"provider_id": provider_id},
        stamp=stamp,
        fill=fill,
        event=event,
    )
    return row


def apply_invoice(*, merchant, obj: dict, now: datetime, event=None) -> Purchase | None:
    """invoice.paid / invoice.payment_failed: remember its subscription, tie its charges, refresh purchase.

    The subscription's own events remain the authority; the invoice only moves a purchase forward
    (paid -> ACTIVE, failed -> PAST_DUE) when it is newer than what was applied.
    """
    stamp = stamp_of(event, now)
    sub_id = shapes.invoice_subscription_id(obj)
    with apply_atomic():

        def fill(row: ProviderInvoice, is_new: bool) -> None:
            row.provider_subscription_id = sub_id or row.provider_subscription_id
            row.status = (obj.get("status") or "")[:32]

        # The invoice's own ordering guard must not mark the event stale for the purchase: a separate note.
        upsert(
            ProviderInvoice, merchant=merchant, key={"provider_invoice_id": obj["id"]}, stamp=stamp, fill=fill
        )
        for payment in shapes.invoice_embedded_payments(obj):  # only when fetched with expand=["payments"]
            apply_invoice_payment(
                merchant=merchant, obj={**payment, "invoice": obj["id"]}, now=now, event=event
            )
        legacy_intent, legacy_charge = shapes.invoice_legacy_payment_refs(obj)
        if legacy_intent or legacy_charge:
            _store_payment(
                merchant,
                obj["id"] + LEGACY_PAYMENT_SUFFIX,
                obj["id"],
                legacy_intent,
                legacy_charge,
                obj,
                stamp,
                None,
            )
        purchase = (
            Purchase.objects.select_for_update()
            .filter(merchant=merchant, provider_subscription_id=sub_id)
            .first()
            if sub_id
            else None
        )
        if purchase is not None:
            if is_stale(purchase, stamp):
                note_stale(event)
            else:
                _refresh_from_invoice(purchase, obj, event, now)
        charges, _ = link_invoice(merchant, obj["id"])
        link_event(
            event, customer=purchase.customer if purchase else None, purchase=purchase, transactions=charges
        )
    return purchase


def _refresh_from_invoice(purchase: Purchase, invoice: dict, event, now) -> None:
    event_type = getattr(event, "type", "") or ""
    paid = shapes.invoice_is_paid(invoice, event_type)
    failed = event_type == "invoice.payment_failed"
    previous = purchase.status
    if paid and purchase.status in (
        Purchase.Status.PAST_DUE,
        Purchase.Status.UNPAID,
        Purchase.Status.INCOMPLETE,
    ):
        purchase.status = Purchase.Status.ACTIVE
    elif failed and purchase.status == Purchase.Status.ACTIVE:
        purchase.status = Purchase.Status.PAST_DUE
    if paid:
        period_end = ts(shapes.invoice_latest_line_end(invoice))
        if period_end and (
            purchase.current_period_end_at is None or period_end > purchase.current_period_end_at
        ):
            purchase.current_period_end_at = period_end
    purchase.save()
    if previous in Purchase.LIVE_STATUSES and purchase.status in ACCESS_ENDING_STATUSES:
        purchase_access_ended.send(sender=Purchase, purchase=purchase, now=now)
