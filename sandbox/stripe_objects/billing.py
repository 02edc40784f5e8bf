"""Stripe-shaped subscriptions, invoices, invoice payments and payment intents."""

from .base import _list, _shell, stripe_id, ts

# --- subscriptions and invoices ----------------------------------------------------------------------


def subscription(
    *,
    id: str,
    customer: str,
    price: dict,
    status: str,
    created,
    current_period_start,
    current_period_end,
    trial_start=None,
    trial_end=None,
    cancel_at_period_end: bool = False,
    cancel_at=None,
    canceled_at=None,
    ended_at=None,
    default_payment_method: str | None = None,
    latest_invoice: str | None = None,
    metadata: dict | None = None,
) -> dict:
    item = _shell(
        "subscription_item",
        id=stripe_id("si", id),
        created=ts(created),
        subscription=id,
        price=price,
        quantity=1,
        discounts=[],
        tax_rates=[],
        current_period_start=ts(current_period_start),
        current_period_end=ts(current_period_end),
    )
    return _shell(
        "subscription",
        id=id,
        customer=customer,
        status=status,
        created=ts(created),
        start_date=ts(created),
        currency=price["currency"],
        items=_list([item], f"/v1/subscription_items?subscription={id}"),
        billing_cycle_anchor=ts(current_period_start),
        collection_method="charge_automatically",
        billing_mode={
            "type": "flexible",
            "flexible": {"proration_discounts": "included"},
            "updated_at": None,
        },
        cancel_at_period_end=cancel_at_period_end,
        cancel_at=ts(cancel_at),
        canceled_at=ts(canceled_at),
        ended_at=ts(ended_at),
        trial_start=ts(trial_start),
        trial_end=ts(trial_end),
        default_payment_method=default_payment_method,
        latest_invoice=latest_invoice,
        cancellation_details={
            "comment": None,
            "feedback": None,
            "reason": "cancellation_requested" if canceled_at else None,
        },
        metadata=dict(metadata or {}),
        discounts=[],
        default_tax_rates=[],
    )


def subscription_period(sub: dict) -> tuple[int, int]:
    """Since API 2025-03 the period lives on the subscription item, not on the subscription."""
    item = sub["items"]["data"][0]
    return item["current_period_start"], item["current_period_end"]


def invoice(
    *,
    id: str,
    customer: str,
    subscription: str | None,
    price: dict,
    status: str,
    created,
    period_start,
    period_end,
    amount: int,
    currency: str,
    customer_email: str = "",
    billing_reason: str = "subscription_cycle",
    attempt_count: int = 1,
    metadata: dict | None = None,
) -> dict:
    paid = status == "paid"
    line = {
        "id": stripe_id("il", id),
        "object": "line_item",
        "amount": amount,
        "currency": currency,
        "description": None,
        "invoice": id,
        "livemode": False,
        "metadata": {},
        "quantity": 1,
        "period": {"start": ts(period_start), "end": ts(period_end)},
        "pricing": {
            "type": "price_details",
            "price_details": {"price": price["id"], "product": price["product"]},
            "unit_amount_decimal": str(amount),
        },
        "parent": {
            "type": "subscription_item_details",
            "invoice_item_details": None,
            "subscription_item_details": {
                "subscription": subscription,
                "subscription_item": None,
                "proration": False,
                "invoice_item": None,
            },
        },
    }
    return _shell(
        "invoice",
        id=id,
        customer=customer,
        status=status,
        created=ts(created),
        currency=currency,
        amount_due=amount,
        amount_paid=amount if paid else 0,
        amount_remaining=0 if paid else amount,
        total=amount,
        subtotal=amount,
        amount_overpaid=0,
        amount_shipping=0,
        attempt_count=attempt_count,
        attempted=True,
        billing_reason=billing_reason,
        collection_method="charge_automatically",
        customer_email=customer_email or None,
        period_start=ts(period_start),
        period_end=ts(period_end),
        lines=_list([line], f"/v1/invoices/{id}/lines"),
        parent={
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {"subscription": subscription, "metadata": {}},
        },
        status_transitions={
            "paid_at": ts(created) if paid else None,
            "finalized_at": ts(created),
            "marked_uncollectible_at": None,
            "voided_at": None,
        },
        metadata=dict(metadata or {}),
        account_country="DE",
        discounts=[],
        default_tax_rates=[],
    )


def invoice_payment(
    *,
    id: str,
    invoice: str,
    amount: int,
    currency: str,
    created,
    payment_intent: str | None = None,
    charge: str | None = None,
    status: str = "paid",
) -> dict:
    """Which payment paid an invoice (2025-03-31 on): a payment intent, or a charge that has none."""
    payment = (
        {"type": "payment_intent", "payment_intent": payment_intent}
        if payment_intent
        else {"type": "charge", "charge": charge}
    )
    paid = status == "paid"
    return _shell(
        "invoice_payment",
        id=id,
        invoice=invoice,
        amount_paid=amount if paid else None,
        amount_requested=amount,
        currency=currency,
        created=ts(created),
        is_default=True,
        payment=payment,
        status=status,
        status_transitions={"canceled_at": None, "paid_at": ts(created) if paid else None},
    )


def payment_intent(
    *, id: str, customer: str | None, amount: int, currency: str, created, pm: dict, latest_charge: str | None
) -> dict:
    succeeded = latest_charge is not None
    return _shell(
        "payment_intent",
        id=id,
        customer=customer,
        amount=amount,
        amount_received=amount if succeeded else 0,
        amount_capturable=0,
        currency=currency,
        created=ts(created),
        status="succeeded" if succeeded else "requires_payment_method",
        latest_charge=latest_charge,
        payment_method=pm["id"],
        payment_method_types=[pm["type"]],
        capture_method="automatic",
        confirmation_method="automatic",
        client_secret=None,
        metadata={},
    )
