"""Simulated customers at the sandbox: the customer, a payment method, a charge."""

from __future__ import annotations

from datetime import datetime, timedelta

from sandbox import stripe_objects as so
from sandbox.provider import (
    emit,
    latest_object,
)

# Card numbers by brand: (brand, last4) of Stripe's test cards.
TEST_CARDS = {
    "visa": "4242",
    "mastercard": "4444",
    "amex": "8431",
    "discover": "1117",
    "jcb": "0505",
    "unionpay": "0005",
}


def _sid(merchant, prefix: str, key: str) -> str:
    return so.stripe_id(prefix, f"{merchant.slug}:{key}")


def simulate_customer(
    merchant,
    *,
    key: str,
    email: str,
    name: str,
    at: datetime,
    country: str = "DE",
    description: str = "",
    metadata: dict | None = None,
) -> dict:
    """A customer signs up: customer.created."""
    customer_id = _sid(merchant, "cus", key)
    existing = latest_object(merchant, customer_id)
    if existing is not None:
        return existing
    obj = so.customer(
        id=customer_id,
        email=email,
        name=name,
        created=at,
        country=country,
        description=description,
        metadata=metadata,
    )
    emit(merchant, "customer.created", obj, at=at, key=key)
    return obj


def simulate_payment_method(
    merchant,
    *,
    key: str,
    customer: dict | str,
    at: datetime,
    type: str = "card",
    brand: str = "visa",
    last4: str | None = None,
    exp_month: int = 12,
    exp_year: int = 2029,
    country: str = "DE",
    fingerprint_key: str | None = None,
    make_default: bool = True,
) -> dict:
    """A card or SEPA debit mandate attached to the customer: payment_method.attached (+ customer.updated).

    Two payment methods with the same `fingerprint_key` are the same card or account (a shared identifier).
    """
    customer_id = customer if isinstance(customer, str) else customer["id"]
    pm_id = _sid(merchant, "pm", key)
    existing = latest_object(merchant, pm_id)
    if existing is not None:
        return existing
    fp = so.fingerprint(f"{merchant.slug}:{fingerprint_key or key}")
    if type == "sepa_debit":
        details = so.sepa_details(last4=last4 or "3000", fingerprint=fp, country=country)
    else:
        details = so.card_details(
            brand=brand,
            last4=last4 or TEST_CARDS.get(brand, "4242"),
            exp_month=exp_month,
            exp_year=exp_year,
            fingerprint=fp,
            country=country,
        )
    cust = latest_object(merchant, customer_id) or {}
    obj = so.payment_method(
        id=pm_id,
        customer=customer_id,
        created=at,
        type=type,
        details=details,
        email=cust.get("email") or "",
        name=cust.get("name") or "",
    )
    emit(merchant, "payment_method.attached", obj, at=at, key=key)
    if make_default and cust:
        updated = {**cust, "invoice_settings": {**cust["invoice_settings"], "default_payment_method": pm_id}}
        emit(
            merchant,
            "customer.updated",
            updated,
            at=at + timedelta(seconds=1),
            key=key,
            previous_attributes={"invoice_settings": cust["invoice_settings"]},
        )
    return obj


def simulate_charge(
    merchant,
    *,
    key: str,
    customer: str,
    pm: dict,
    amount: int,
    currency: str,
    at: datetime,
    succeeded: bool = True,
    description: str = "",
    metadata: dict | None = None,
    failure_code: str = "card_declined",
) -> dict:
    """A payment: charge.succeeded, or charge.failed with Stripe's decline code and message."""
    charge_id = _sid(merchant, "ch", key)
    existing = latest_object(merchant, charge_id)
    if existing is not None:
        return existing
    failure_message = (
        None
        if succeeded
        else {
            "card_declined": "Your card was declined.",
            "insufficient_funds": "Your card has insufficient funds.",
            "expired_card": "Your card has expired.",
        }.get(failure_code, "The payment failed.")
    )
    cust = latest_object(merchant, customer) or {}
    obj = so.charge(
        id=charge_id,
        customer=customer,
        amount=amount,
        currency=currency,
        created=at,
        pm=pm,
        status="succeeded" if succeeded else "failed",
        description=description,
        metadata=metadata,
        failure_code=None if succeeded else failure_code,
        failure_message=failure_message,
        payment_intent=_sid(merchant, "pi", key),
        email=cust.get("email") or "",
    )
    emit(merchant, "charge.succeeded" if succeeded else "charge.failed", obj, at=at, key=key)
    return obj
