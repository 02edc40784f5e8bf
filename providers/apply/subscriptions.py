"""customer.subscription.* and invoice.* objects -> Product, Purchase."""

from datetime import datetime

from access.linking import telegram_link_from_metadata
from customers.models import Customer
from payments import stripe_shapes as shapes
from purchases.models import Product, Purchase
from purchases.signals import purchase_access_ended

from .common import apply_atomic, customer_for, get_or_create_safe, link_event, obj_id, stamp_of, ts, upsert
from .links import link_subscription

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
# A subscription that never got going (its first payment failed) makes no customer; a trial does.
NOT_STARTED_STATUSES = (Purchase.Status.INCOMPLETE, Purchase.Status.INCOMPLETE_EXPIRED)


def _customer_since(customer: Customer, purchase: Purchase) -> None:
    """A trialing subscription has no charge yet, but the customer is one since it started."""
    at = purchase.started_at
    if at is None or purchase.status in NOT_STARTED_STATUSES:
        return
    if customer.first_purchase_at is None or at < customer.first_purchase_at:
        Customer.objects.filter(pk=customer.pk).update(first_purchase_at=at)
        customer.first_purchase_at = at


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
    price = shapes.item_price(shapes.subscription_main_item(obj))
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
            # On the items since 2025-03-31; with flexible billing, the item of this purchase's price.
            start, end = shapes.subscription_period(
                obj, price_id=price.get("id"), product_id=product.provider_product_id
            )
            purchase.current_period_start_at = ts(start)
            purchase.current_period_end_at = ts(end)
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
            _customer_since(customer, purchase)
        charges = link_subscription(merchant, purchase)  # charges whose invoice came before the subscription
        if applied:
            telegram_link_from_metadata(
                merchant=merchant, customer=customer, metadata=obj.get("metadata"), now=now
            )
        link_event(event, customer=customer, purchase=purchase, transactions=charges)
    return purchase
