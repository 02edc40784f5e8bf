"""Simulated billing at the sandbox: paid invoices, a subscription's whole life, one-time purchases."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from sandbox import stripe_objects as so
from sandbox.provider import (
    add_interval,
    emit,
    latest_object,
    set_cancel_at_period_end,
    subscription_state,
)

from .customers import _sid, simulate_charge


def simulate_invoice_paid(
    merchant,
    *,
    key: str,
    subscription: dict,
    pm: dict,
    at: datetime,
    succeeded: bool = True,
    billing_reason: str = "subscription_cycle",
) -> dict:
    """One billing period of a subscription, in Stripe's order: charge.succeeded, then invoice.paid and
    invoice_payment.paid (the only link between the charge and its invoice); or charge.failed then
    invoice.payment_failed. Returns the charge."""
    price = subscription["items"]["data"][0]["price"]
    start = at
    end = add_interval(at, price["recurring"]["interval"])
    invoice_id = _sid(merchant, "in", key)
    charge = simulate_charge(
        merchant,
        key=key,
        customer=subscription["customer"],
        pm=pm,
        amount=price["unit_amount"],
        currency=price["currency"],
        at=at + timedelta(seconds=1),
        succeeded=succeeded,
        description="Subscription update"
        if billing_reason == "subscription_cycle"
        else "Subscription creation",
        failure_code="insufficient_funds",
    )
    invoice = so.invoice(
        id=invoice_id,
        customer=subscription["customer"],
        subscription=subscription["id"],
        price=price,
        status="paid" if succeeded else "open",
        created=at,
        period_start=start,
        period_end=end,
        amount=price["unit_amount"],
        currency=price["currency"],
        billing_reason=billing_reason,
    )
    paid_at = at + timedelta(seconds=2)
    emit(merchant, "invoice.paid" if succeeded else "invoice.payment_failed", invoice, at=paid_at, key=key)
    if succeeded:
        payment = so.invoice_payment(
            id=_sid(merchant, "inpay", key),
            invoice=invoice_id,
            amount=price["unit_amount"],
            currency=price["currency"],
            created=paid_at,
            payment_intent=charge["payment_intent"],
        )
        emit(merchant, "invoice_payment.paid", payment, at=paid_at, key=key)
    return charge


def product_price(product) -> dict:
    """The Stripe price of a Teller product (seeded products carry their Stripe ids)."""
    return so.price(
        id=product.provider_price_id,
        product=product.provider_product_id,
        unit_amount=product.amount,
        currency=product.currency,
        interval=product.interval,
    )


def simulate_subscription(
    merchant,
    *,
    key: str,
    customer: str,
    product,
    pm: dict,
    at: datetime,
    status: str = "active",
    trial_days: int = 0,
    cancel_at_period_end: bool = False,
    now: datetime | None = None,
    canceled_after: int | None = None,
) -> dict:
    """A subscription's whole life from `at` until `now`, ending in `status`:

    trialing | active | past_due | unpaid | canceled (optionally scheduled to cancel at period end).
    Emits customer.subscription.created, one invoice + charge per period, the failed payment for
    past_due / unpaid, and customer.subscription.updated / deleted for the final state.
    canceled_after=N ends a canceled subscription after N paid periods (default: shortly before `now`).
    """
    now = now or timezone.now()
    sub_id = _sid(merchant, "sub", key)
    price = product_price(product)
    interval = price["recurring"]["interval"]
    trial_end = at + timedelta(days=trial_days) if trial_days else None
    billing_start = trial_end or at
    first_end = trial_end or add_interval(at, interval)
    sub = so.subscription(
        id=sub_id,
        customer=customer,
        price=price,
        status="trialing" if trial_days else "active",
        created=at,
        current_period_start=at,
        current_period_end=first_end,
        trial_start=at if trial_days else None,
        trial_end=trial_end,
        default_payment_method=pm["id"],
        metadata={"teller_seed": key},
    )
    if latest_object(merchant, sub_id) is not None:  # simulated before: its life is already written
        return subscription_state(merchant, sub_id)
    emit(merchant, "customer.subscription.created", sub, at=at, key=key)
    if status == "trialing":
        return _finish_schedule(merchant, key, subscription_state(merchant, sub_id), cancel_at_period_end, at)

    # Every period that started before now (or before the cancellation) is billed.
    stop = now if status != "canceled" else max(billing_start, now - timedelta(days=20))
    starts = [billing_start]
    while add_interval(starts[-1], interval) <= stop and (
        canceled_after is None or len(starts) < canceled_after
    ):
        starts.append(add_interval(starts[-1], interval))
    for number, start in enumerate(starts, 1):
        last = number == len(starts)
        fails = status in ("past_due", "unpaid") and last
        reason = "subscription_create" if number == 1 else "subscription_cycle"
        # Every period as Stripe sends it (charge, invoice, invoice payment): the demo takes the real path.
        simulate_invoice_paid(
            merchant,
            key=f"{key}:inv{number}",
            subscription=sub,
            pm=pm,
            at=start,
            succeeded=not fails,
            billing_reason=reason,
        )
    last_start = starts[-1]
    sub = subscription_state(merchant, sub_id)
    previous = {"status": sub["status"]}
    item = sub["items"]["data"][0]
    item["current_period_start"] = so.ts(last_start)
    item["current_period_end"] = so.ts(add_interval(last_start, interval))
    final_status = status if status != "canceled" else "active"
    if (final_status, item["current_period_start"]) != (previous["status"], so.ts(at)):  # renewed or changed
        sub.update(status=final_status, latest_invoice=_sid(merchant, "in", f"{key}:inv{len(starts)}"))
        emit(
            merchant,
            "customer.subscription.updated",
            sub,
            at=last_start + timedelta(seconds=2),
            key=f"{key}:renew",
            previous_attributes=previous,
        )
    if status == "unpaid":  # Stripe's retries ran out a few days later
        return subscription_state(merchant, sub_id)
    if status == "canceled":
        ended = min(last_start + timedelta(days=9), now - timedelta(days=1))
        sub = subscription_state(merchant, sub_id)
        if sub["status"] != "canceled":
            sub.update(status="canceled", canceled_at=so.ts(ended), ended_at=so.ts(ended))
            emit(
                merchant,
                "customer.subscription.deleted",
                sub,
                at=ended,
                key=f"{key}:cancel",
                previous_attributes={"status": "active"},
            )
        return subscription_state(merchant, sub_id)
    return _finish_schedule(
        merchant,
        key,
        subscription_state(merchant, sub_id),
        cancel_at_period_end,
        last_start + timedelta(days=2),
    )


def _finish_schedule(merchant, key: str, sub: dict, cancel_at_period_end: bool, at: datetime) -> dict:
    if cancel_at_period_end and not sub["cancel_at_period_end"]:
        return set_cancel_at_period_end(
            merchant, subscription_id=sub["id"], cancel_at_period_end=True, at=at, key=f"{key}:schedule"
        )
    return sub


def simulate_one_time_purchase(
    merchant, *, key: str, customer: str, product, pm: dict, at: datetime, succeeded: bool = True
) -> dict:
    """A one-time product bought through Checkout: checkout.session.completed + the charge (returned)."""
    session_id = so.stripe_id("cs_test", f"{merchant.slug}:{key}", 58)
    charge = simulate_charge(
        merchant,
        key=key,
        customer=customer,
        pm=pm,
        amount=product.amount,
        currency=product.currency,
        at=at,
        succeeded=succeeded,
        description=product.name,
        metadata={"product_id": product.provider_product_id, "checkout_session_id": session_id},
    )
    if succeeded and latest_object(merchant, session_id) is None:
        session = so.checkout_session(
            id=session_id,
            amount=product.amount,
            currency=product.currency,
            description=product.name,
            created=at,
            expires_at=at + timedelta(hours=24),
            url="",
            metadata={"product_id": product.provider_product_id},
            status="complete",
            payment_status="paid",
            payment_intent=charge["payment_intent"],
            customer=customer,
        )
        session["url"] = None
        emit(merchant, "checkout.session.completed", session, at=at + timedelta(seconds=1), key=key)
    return charge
