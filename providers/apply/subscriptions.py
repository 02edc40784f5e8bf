"""customer.subscription.* and invoice.* objects -> Product, Purchase."""

from datetime import datetime

from access.linking import telegram_link_from_metadata
from purchases.models import Product, Purchase
from purchases.signals import purchase_access_ended

from .common import (
    apply_atomic,
    customer_for,
    get_or_create_safe,
    is_stale,
    link_event,
    note_stale,
    obj_id,
    stamp_of,
    ts,
    upsert,
)

STATUS_MAP = {
    "incomplete": Purchase.Status.INCOMPLETE,
    "incomplete_expired": Purchase.Status.INCOMPLETE_EXPIRED,
    "trialing": Purchase.Status.TRIALING,
    "active": Purchase.Status.ACTIVE,
    "past_due": Purchase.Status.PAST_DUE,
    "unpaid": Purchase.Status.UNPAID,
    "paused": Purchase.Status.PAUSED,
    "canceled": Purchase.Status.CANCELED,
}
# Moving from a live status to one of these ends the customer's access (revocation listens to the signal).
# A subscription never leaves these (Stripe: canceled and incomplete_expired are terminal).
FINAL_STATUSES = (Purchase.Status.CANCELED, Purchase.Status.INCOMPLETE_EXPIRED)

ACCESS_ENDING_STATUSES = (
    Purchase.Status.CANCELED,
    Purchase.Status.UNPAID,
    Purchase.Status.INCOMPLETE_EXPIRED,
    Purchase.Status.PAUSED,
)


def _first_item(obj: dict) -> dict:
    data = (obj.get("items") or {}).get("data") or []
    return data[0] if data else {}


def _price_of(item: dict) -> dict:
    return item.get("price") or item.get("plan") or {}


def product_for_price(merchant, price: dict, *, kind: str = Product.Kind.SUBSCRIPTION) -> Product:
    """The Teller product behind a Stripe price (or legacy plan), created the first time it is seen."""
    product_ref = price.get("product")
    product_id = obj_id(product_ref) or (f"price:{price['id']}" if price.get("id") else "unknown")
    expanded_name = product_ref.get("name") if isinstance(product_ref, dict) else None
    recurring = price.get("recurring") or {}
    product, created = get_or_create_safe(
        Product,
        merchant=merchant,
        provider_product_id=product_id,
        defaults={
            "name": expanded_name or price.get("nickname") or product_id,
            "kind": kind,
            "provider_price_id": price.get("id"),
            "amount": price.get("unit_amount", price.get("amount")),
            "currency": (price.get("currency") or "")[:3],
            "interval": recurring.get("interval") or price.get("interval") or "",
        },
    )
    if not created and expanded_name and product.name != expanded_name:
        Product.objects.filter(pk=product.pk).update(name=expanded_name)
        product.name = expanded_name
    return product


def apply_subscription(*, merchant, obj: dict, now: datetime, event=None) -> Purchase:
    """Upsert the subscription's purchase; announce the end of access when it leaves a live status."""
    stamp = stamp_of(event, now)
    item = _first_item(obj)
    price = _price_of(item)
    recurring = price.get("recurring") or {}
    status = STATUS_MAP.get(obj.get("status") or "", Purchase.Status.INCOMPLETE)

    with apply_atomic():
        customer = customer_for(merchant, obj_id(obj.get("customer")))
        if customer is None:
            raise ValueError(f"Subscription {obj.get('id')} has no customer")
        product = product_for_price(merchant, price)
        previous = {}

        def fill(purchase: Purchase, is_new: bool) -> None:
            previous["status"] = None if is_new else purchase.status
            purchase.customer = customer
            purchase.product = product
            purchase.kind = Purchase.Kind.SUBSCRIPTION
            purchase.status = status
            purchase.amount = price.get("unit_amount", price.get("amount"))
            purchase.currency = (price.get("currency") or obj.get("currency") or "")[:3]
            purchase.interval = recurring.get("interval") or price.get("interval") or ""
            purchase.started_at = ts(obj.get("start_date")) or ts(obj.get("created")) or purchase.started_at
            purchase.trial_end_at = ts(obj.get("trial_end"))
            # API versions from 2025 keep the period on the item; older ones on the subscription.
            purchase.current_period_start_at = ts(
                obj.get("current_period_start") or item.get("current_period_start")
            )
            purchase.current_period_end_at = ts(
                obj.get("current_period_end") or item.get("current_period_end")
            )
            purchase.cancel_at_period_end = bool(obj.get("cancel_at_period_end"))
            purchase.cancel_at = ts(obj.get("cancel_at"))
            purchase.canceled_at = ts(obj.get("canceled_at"))
            purchase.ended_at = ts(obj.get("ended_at"))

        purchase, applied = upsert(
            Purchase,
            merchant=merchant,
            key={"provider_subscription_id": obj["id"]},
            stamp=stamp,
            fill=fill,
            event=event,
            would_reopen=lambda row: row.status in FINAL_STATUSES and status not in FINAL_STATUSES,
        )
        if (
            applied
            and previous.get("status") in Purchase.LIVE_STATUSES
            and purchase.status in ACCESS_ENDING_STATUSES
        ):
            purchase_access_ended.send(sender=Purchase, purchase=purchase, now=now)
        if applied:
            telegram_link_from_metadata(
                merchant=merchant, customer=customer, metadata=obj.get("metadata"), now=now
            )
        link_event(event, customer=customer, purchase=purchase)
    return purchase


def invoice_subscription_id(invoice: dict) -> str | None:
    """Where the subscription id lives depends on the API version (top level, parent, or the lines)."""
    if invoice.get("subscription"):
        return obj_id(invoice["subscription"])
    parent = invoice.get("parent") or {}
    sub = (parent.get("subscription_details") or {}).get("subscription")
    if sub:
        return obj_id(sub)
    for line in (invoice.get("lines") or {}).get("data") or []:
        sub = line.get("subscription") or (
            (line.get("parent") or {}).get("subscription_item_details") or {}
        ).get("subscription")
        if sub and str(obj_id(sub)).startswith("sub_"):
            return obj_id(sub)
    return None


def invoice_charge_ids(invoice: dict) -> list:
    """Charges paying the invoice: `charge` (older API) or payments[].payment.charge (2025+)."""
    refs = [invoice.get("charge")]
    for payment in (invoice.get("payments") or {}).get("data") or []:
        refs.append((payment.get("payment") or {}).get("charge"))
    return [r for r in refs if r]


def apply_invoice(*, merchant, obj: dict, now: datetime, event=None) -> Purchase | None:
    """invoice.paid / invoice.payment_failed: link the charge, refresh the purchase.

    The subscription's own events remain the authority; the invoice only moves a purchase forward
    (paid -> ACTIVE, failed -> PAST_DUE) when it is newer than what was applied.
    """
    from .charges import apply_charge  # charges imports this module

    stamp = stamp_of(event, now)
    sub_id = invoice_subscription_id(obj)
    with apply_atomic():
        purchase = None
        if sub_id:
            purchase = (
                Purchase.objects.select_for_update()
                .filter(merchant=merchant, provider_subscription_id=sub_id)
                .first()
            )
        if purchase is not None:
            if is_stale(purchase, stamp):
                note_stale(event)
            else:
                _refresh_from_invoice(purchase, obj, event, now)
        touched = []
        for ref in invoice_charge_ids(obj):
            if isinstance(ref, dict):
                touched.append(apply_charge(merchant=merchant, obj=ref, now=now, event=event))
        from transactions.models import Transaction

        ids = [obj_id(r) for r in invoice_charge_ids(obj)]
        if purchase is not None and ids:
            Transaction.objects.filter(merchant=merchant, provider_id__in=ids, purchase__isnull=True).update(
                purchase=purchase
            )
            touched += list(Transaction.objects.filter(merchant=merchant, provider_id__in=ids))
        link_event(
            event, customer=purchase.customer if purchase else None, purchase=purchase, transactions=touched
        )
    return purchase


def _refresh_from_invoice(purchase: Purchase, invoice: dict, event, now) -> None:
    event_type = getattr(event, "type", "") or ""
    paid = event_type == "invoice.paid" or invoice.get("status") == "paid"
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
        period_end = _latest_line_end(invoice)
        if period_end and (
            purchase.current_period_end_at is None or period_end > purchase.current_period_end_at
        ):
            purchase.current_period_end_at = period_end
    purchase.save()
    if previous in Purchase.LIVE_STATUSES and purchase.status in ACCESS_ENDING_STATUSES:
        purchase_access_ended.send(sender=Purchase, purchase=purchase, now=now)


def _latest_line_end(invoice: dict):
    ends = [
        ts((line.get("period") or {}).get("end")) for line in (invoice.get("lines") or {}).get("data") or []
    ]
    ends = [e for e in ends if e]
    return max(ends) if ends else None
