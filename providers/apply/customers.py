"""customer.* and payment_method.* objects -> Customer, Identifier, PaymentMethod."""

from datetime import datetime

from access.linking import telegram_link_from_metadata
from customers.models import Customer, Identifier, PaymentMethod

from .common import (
    apply_atomic,
    customer_for,
    identifier_link,
    identifier_upsert,
    is_stale,
    link_event,
    method_identifier,
    obj_id,
    stamp_of,
    ts,
    upsert,
)


def _event_type(event) -> str:
    return getattr(event, "type", "") or ""


def apply_customer(*, merchant, obj: dict, now: datetime, event=None) -> Customer:
    """Upsert the customer and its customer-id and email identifiers."""
    stamp = stamp_of(event, now)
    deleted = bool(obj.get("deleted")) or _event_type(event) == "customer.deleted"

    inserted = False

    def fill(customer: Customer, is_new: bool) -> None:
        nonlocal inserted
        inserted = is_new
        if obj.get("deleted") and not obj.get("created"):
            # A bare "deleted_customer" stub carries nothing else: only the deletion is news.
            customer.deleted_at = customer.deleted_at or stamp
            return
        address = obj.get("address") or {}
        shipping_address = (obj.get("shipping") or {}).get("address") or {}
        customer.name = obj.get("name") or ""
        customer.email = obj.get("email") or ""
        customer.country = (address.get("country") or shipping_address.get("country") or "")[:2]
        customer.description = obj.get("description") or ""
        customer.metadata = obj.get("metadata") or {}
        if merchant.provider not in (customer.providers_used or []):
            customer.providers_used = [*(customer.providers_used or []), merchant.provider]
        customer.deleted_at = (customer.deleted_at or stamp) if deleted else None

    with apply_atomic():
        customer, applied = upsert(
            Customer,
            merchant=merchant,
            key={"provider_customer_id": obj["id"]},
            stamp=stamp,
            fill=fill,
            event=event,
        )
        if applied:
            seen_at = ts(obj.get("created")) or stamp
            identifier_link(
                customer,
                identifier_upsert(merchant, Identifier.Kind.CUSTOMER_ID, obj["id"], display=obj["id"]),
                seen_at,
            )
            if obj.get("email"):
                identifier_link(
                    customer,
                    identifier_upsert(
                        merchant, Identifier.Kind.EMAIL, obj["email"], display=obj["email"].strip().lower()
                    ),
                    stamp,
                )
            _mark_default_method(customer, obj, is_new=inserted)
            telegram_link_from_metadata(
                merchant=merchant, customer=customer, metadata=obj.get("metadata"), now=now
            )
        link_event(event, customer=customer)
    return customer


def _mark_default_method(customer: Customer, obj: dict, *, is_new: bool) -> None:
    default_pm = obj_id((obj.get("invoice_settings") or {}).get("default_payment_method"))
    if default_pm is None or is_new:
        return  # a customer row inserted by this very apply has no payment method rows yet
    methods = PaymentMethod.objects.filter(customer=customer)
    methods.exclude(provider_id=default_pm).filter(is_default=True).update(is_default=False)
    methods.filter(provider_id=default_pm, is_default=False).update(is_default=True)


def apply_default_method(*, merchant, obj: dict, now: datetime) -> Customer | None:
    """Only mark the default payment method a customer object names (its other fields already applied).

    The history import applies customers before their cards (Stripe lists cards per customer), so it comes
    back for this once the cards exist: three statements instead of the customer's whole apply. A customer
    changed after `now` (a later webhook applied it, default included) is left as it is.
    """
    with apply_atomic():
        customers = Customer.objects.select_for_update().filter(merchant=merchant)
        customer = customers.filter(provider_customer_id=obj["id"]).first()
        if customer is None or is_stale(customer, now):
            return customer
        _mark_default_method(customer, obj, is_new=False)
    return customer


def apply_payment_method(*, merchant, obj: dict, now: datetime, event=None) -> PaymentMethod:
    """Upsert a payment method (card or SEPA debit) and the identifier of its fingerprint."""
    stamp = stamp_of(event, now)
    method_type = obj.get("type") or ""
    details = obj.get(method_type) or {}
    detached = _event_type(event) == "payment_method.detached" or (
        obj.get("customer") is None and event is None
    )

    with apply_atomic():
        customer = customer_for(merchant, obj_id(obj.get("customer")))
        identifier = method_identifier(merchant, method_type, details)

        def fill(pm: PaymentMethod, is_new: bool) -> None:
            # A detached method keeps its last customer, so it stays visible (as detached) on their page.
            if customer is not None:
                pm.customer = customer
            pm.identifier = identifier or pm.identifier
            pm.type = method_type
            pm.brand = details.get("brand") or ""
            pm.last4 = details.get("last4") or ""
            pm.exp_month = details.get("exp_month")
            pm.exp_year = details.get("exp_year")
            pm.country = (details.get("country") or "")[:2]
            pm.bank_name = details.get("bank_code") or details.get("bank_name") or ""
            pm.detached_at = (pm.detached_at or stamp) if detached else None

        pm, applied = upsert(
            PaymentMethod,
            merchant=merchant,
            key={"provider_id": obj["id"]},
            stamp=stamp,
            fill=fill,
            event=event,
        )
        if applied and customer is not None:
            identifier_link(customer, identifier, ts(obj.get("created")) or stamp)
            email = (obj.get("billing_details") or {}).get("email")
            if email:
                identifier_link(
                    customer,
                    identifier_upsert(merchant, Identifier.Kind.EMAIL, email, display=email.strip().lower()),
                    stamp,
                )
        link_event(event, customer=pm.customer)
    return pm
