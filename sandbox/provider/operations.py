"""Operations shared by SandboxProvider's methods and the simulation helpers (sandbox/simulate/): dispute
responses, refunds, subscription changes, repayment links (Checkout Sessions)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction as db_transaction
from django.utils import timezone

from payments import stripe_shapes as shapes
from payments.base import ProviderError
from providers.models import ProviderEvent
from sandbox import stripe_objects as so
from transactions.models import Transaction

from .state import REFUND_REASONS, _no_such, charge_state, emit, latest_object, subscription_state

# --- operations shared by the provider methods and the simulation helpers ---------------------------------


_RESPONDABLE = ("needs_response", "warning_needs_response")


def _open_dispute(merchant, dispute_id: str) -> dict:
    """The dispute as last emitted, if Stripe would still take a response to it (its own refusals)."""
    dispute = latest_object(merchant, dispute_id)
    if dispute is None or dispute.get("object") != "dispute":
        raise _no_such("dispute", dispute_id)
    status = dispute.get("status")
    if status not in _RESPONDABLE:
        raise ProviderError(
            f"This dispute has status {status}: it can no longer be updated.",
            code="dispute_already_closed" if status not in ("under_review", "warning_under_review") else "",
            http_status=400,
        )
    details = dispute.get("evidence_details") or {}
    if details.get("past_due") or (details.get("due_by") or 0) <= so.ts(timezone.now()):
        raise ProviderError(
            "The deadline for submitting evidence for this dispute has passed.",
            code="dispute_past_due",
            http_status=400,
        )
    return dispute


def update_dispute(merchant, *, dispute_id: str, evidence: dict, submit: bool) -> dict:
    """Stripe's POST /v1/disputes/{id}: evidence merged into what is there; submit moves it under review."""

    dispute = _open_dispute(merchant, dispute_id)
    allowed = set(shapes.DISPUTE_EVIDENCE_TEXT_FIELDS) | set(shapes.DISPUTE_EVIDENCE_FILE_FIELDS)
    for name, value in evidence.items():
        if name not in allowed:
            raise ProviderError(
                f"Received unknown parameter: evidence[{name}]", code="parameter_unknown", http_status=400
            )
        if name in shapes.DISPUTE_EVIDENCE_FILE_FIELDS and value and not str(value).startswith("file_"):
            raise ProviderError(f"No such file upload: '{value}'", code="resource_missing", http_status=400)
    merged = {**(dispute.get("evidence") or {}), **evidence}
    details = dict(dispute.get("evidence_details") or {})
    details["has_evidence"] = any(v not in (None, "") for v in merged.values())
    previous = {"evidence": dispute.get("evidence") or {}}
    status = dispute["status"]
    if submit:
        status = "warning_under_review" if status == "warning_needs_response" else "under_review"
        details["submission_count"] = int(details.get("submission_count") or 0) + 1
        previous["status"] = dispute["status"]
    dispute = {**dispute, "evidence": merged, "evidence_details": details, "status": status}
    emit(merchant, "charge.dispute.updated", dispute, previous_attributes=previous)
    return dispute


def close_dispute(merchant, *, dispute_id: str) -> dict:
    """Stripe's POST /v1/disputes/{id}/close: accepted (an inquiry closes, a chargeback is lost)."""
    dispute = _open_dispute(merchant, dispute_id)
    before = dispute["status"]
    status = "warning_closed" if before == "warning_needs_response" else "lost"
    dispute = {**dispute, "status": status, "is_charge_refundable": False}
    emit(merchant, "charge.dispute.closed", dispute, previous_attributes={"status": before})
    return dispute


def create_refund(
    merchant,
    *,
    charge_id: str,
    amount: int | None,
    reason: str = "",
    key: str,
    at: datetime | None = None,
    idempotency_key: str | None = None,
    metadata: dict | None = None,
) -> dict:
    """Refund and emit refund.created + charge.refunded. Same key, same refund (Stripe's idempotency)."""
    refund_id = so.stripe_id("re", f"{merchant.slug}:{key}")
    existing = latest_object(merchant, refund_id)
    if existing is not None:
        return existing
    at = at or timezone.now()
    with db_transaction.atomic():
        # Serialise refunds of one charge so two at once cannot both pass the remaining-amount check.
        list(Transaction.objects.select_for_update().filter(merchant=merchant, provider_id=charge_id))
        charge = charge_state(merchant, charge_id)
        amount = charge["amount"] - charge["amount_refunded"] if amount is None else int(amount)
        _check_refundable(charge, amount)
        refund = so.refund(
            id=refund_id,
            charge=charge,
            amount=amount,
            created=at,
            metadata=metadata,
            reason=reason.lower() if reason and reason.lower() in REFUND_REASONS else None,
        )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        emit(merchant, "refund.created", refund, at=at, key=key, idempotency_key=idempotency_key)
        emit(
            merchant,
            "charge.refunded",
            charge,
            at=at,
            key=key,
            previous_attributes={"amount_refunded": charge["amount_refunded"] - amount},
        )
    return refund


def _check_refundable(charge: dict, amount: int) -> None:
    if charge["status"] != "succeeded":
        raise ProviderError(
            f"Charge {charge['id']} has not succeeded; it cannot be refunded.",
            code="charge_not_refundable",
            http_status=400,
        )
    if charge["disputed"]:
        raise ProviderError(
            f"Charge {charge['id']} has been charged back; cannot issue a refund.",
            code="charge_disputed",
            http_status=400,
        )
    if amount <= 0:
        raise ProviderError(
            "Refund amount must be a positive integer.", code="parameter_invalid_integer", http_status=400
        )
    remaining = charge["amount"] - charge["amount_refunded"]
    if amount > remaining:
        raise ProviderError(
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
            code="amount_too_large",
            http_status=400,
        )


def cancel_subscription(
    merchant,
    *,
    subscription_id: str,
    at: datetime | None = None,
    key: str | None = None,
    idempotency_key: str | None = None,
) -> dict:
    sub = subscription_state(merchant, subscription_id)
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise ProviderError(
            f"This subscription ({subscription_id}) has already been canceled.",
            code="resource_missing",
            http_status=400,
        )
    at = at or timezone.now()
    previous = {"status": sub["status"], "canceled_at": None, "ended_at": None}
    sub.update(status="canceled", canceled_at=so.ts(at), ended_at=so.ts(at), cancel_at=None)
    sub["cancellation_details"] = {**sub["cancellation_details"], "reason": "cancellation_requested"}
    emit(
        merchant,
        "customer.subscription.deleted",
        sub,
        at=at,
        key=key,
        previous_attributes=previous,
        idempotency_key=idempotency_key,
    )
    return sub


def set_cancel_at_period_end(
    merchant,
    *,
    subscription_id: str,
    cancel_at_period_end: bool,
    at: datetime | None = None,
    key: str | None = None,
) -> dict:
    sub = subscription_state(merchant, subscription_id)
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise ProviderError(
            "A canceled subscription can only update its cancellation_details and metadata.",
            code="subscription_canceled",
            http_status=400,
        )
    at = at or timezone.now()
    previous = {"cancel_at_period_end": sub["cancel_at_period_end"], "cancel_at": sub["cancel_at"]}
    sub["cancel_at_period_end"] = cancel_at_period_end
    sub["cancel_at"] = so.subscription_period(sub)[1] if cancel_at_period_end else None
    sub["canceled_at"] = so.ts(at) if cancel_at_period_end else None
    emit(merchant, "customer.subscription.updated", sub, at=at, key=key, previous_attributes=previous)
    return sub


def sandbox_pay_url(session_id: str) -> str:
    return f"{settings.TELLER_PUBLIC_URL.rstrip('/')}/sandbox/pay/{session_id}/"


def checkout_session_state(merchant, session_id: str) -> dict:
    obj = latest_object(merchant, session_id)
    if obj is None or obj.get("object") != "checkout.session":
        raise _no_such("checkout.session", session_id)
    return dict(obj)


def expire_checkout_session(merchant, *, session_id: str, at: datetime | None = None) -> dict:
    session = checkout_session_state(merchant, session_id)
    if session["status"] != "open":
        raise ProviderError(
            "Only Checkout Sessions with a status of `open` can be expired.",
            code="checkout_session_not_open",
            http_status=400,
        )
    session.update(status="expired", url=None)
    emit(merchant, "checkout.session.expired", session, at=at)
    return session


def pay_checkout_session(
    merchant, *, session_id: str, at: datetime | None = None, key: str | None = None
) -> dict:
    """The customer pays a sandbox repayment link: emits checkout.session.completed."""
    session = checkout_session_state(merchant, session_id)
    if session["status"] == "complete" and key:
        return session
    if session["status"] != "open":
        raise ProviderError(
            "This payment link is no longer open.", code="checkout_session_not_open", http_status=400
        )
    at = at or timezone.now()
    session.update(
        status="complete",
        payment_status="paid",
        url=None,
        payment_intent=so.stripe_id("pi", f"{merchant.slug}:{session_id}"),
    )
    emit(merchant, "checkout.session.completed", session, at=at, key=key)
    return session


def find_checkout_session(session_id: str):
    """(merchant, session) for the public sandbox pay page, which has no signed-in merchant."""
    event = (
        ProviderEvent.objects.filter(object_id=session_id, merchant__provider="SANDBOX")
        .select_related("merchant")
        .order_by("-provider_created_at", "-id")
        .first()
    )
    if event is None:
        return None, None
    return event.merchant, event.payload["data"]["object"]
