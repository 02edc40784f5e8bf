"""Simulated money back at the sandbox: refunds, disputes (and their outcome), a paid repayment link."""

from __future__ import annotations

from datetime import datetime, timedelta

from sandbox import stripe_objects as so
from sandbox.provider import (
    charge_state,
    create_refund,
    emit,
    latest_object,
    pay_checkout_session,
)

from .customers import _sid


def simulate_refund(
    merchant,
    *,
    key: str,
    charge_id: str,
    at: datetime,
    amount: int | None = None,
    reason: str = "requested_by_customer",
) -> dict:
    """A refund made at the provider (full when `amount` is None): refund.created + charge.refunded."""
    return create_refund(merchant, charge_id=charge_id, amount=amount, reason=reason, key=key, at=at)


def simulate_dispute(
    merchant,
    *,
    key: str,
    charge_id: str,
    at: datetime,
    status: str = "needs_response",
    reason: str = "fraudulent",
    amount: int | None = None,
) -> dict:
    """A chargeback: charge.dispute.created (+ funds_withdrawn), then updated / closed as won or lost."""
    dispute_id = _sid(merchant, "dp", key)
    existing = latest_object(merchant, dispute_id)
    if existing is not None:
        return existing
    charge = charge_state(merchant, charge_id)
    amount = charge["amount"] if amount is None else amount
    opened = "warning_needs_response" if status == "warning_needs_response" else "needs_response"
    dispute = so.dispute(
        id=dispute_id, charge=charge, amount=amount, status=opened, created=at, reason=reason
    )
    emit(merchant, "charge.dispute.created", dispute, at=at, key=key)
    if opened == "warning_needs_response":
        return dispute
    emit(merchant, "charge.dispute.funds_withdrawn", dispute, at=at + timedelta(seconds=1), key=key)
    if status == "needs_response":
        return dispute
    dispute = {**dispute, "status": "under_review"}
    emit(
        merchant,
        "charge.dispute.updated",
        dispute,
        at=at + timedelta(days=3),
        key=key,
        previous_attributes={"status": opened},
    )
    if status == "under_review":
        return dispute
    closed_at = at + timedelta(days=40)
    dispute = {**dispute, "status": status}
    emit(
        merchant,
        "charge.dispute.closed",
        dispute,
        at=closed_at,
        key=key,
        previous_attributes={"status": "under_review"},
    )
    if status == "won":
        emit(
            merchant, "charge.dispute.funds_reinstated", dispute, at=closed_at + timedelta(seconds=1), key=key
        )
    return dispute


def simulate_repayment_paid(
    merchant, *, session_id: str, at: datetime | None = None, key: str | None = None
) -> dict:
    """The customer pays a sandbox repayment link: checkout.session.completed."""
    return pay_checkout_session(merchant, session_id=session_id, at=at, key=key)
