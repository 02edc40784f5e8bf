"""SandboxProvider: the embedded provider that answers like Stripe, with no account and no network.

How it works (see docs/architecture.md, "The sandbox"):
- Every call answers with a Stripe-shaped dict (sandbox/stripe_objects/) AND emits the events Stripe
  would send (refund.created + charge.refunded, customer.subscription.updated, ...) into the merchant's
  inbox through providers.inbox.event_store + event_enqueue, so the real webhook pipeline applies them.
- Its state is the database: the sandbox's own events in the inbox (ProviderEvent.payload holds each
  object as it was when emitted; the newest one is the object's state), with Teller's mirrored rows
  (Transaction, Purchase) as the fallback for objects that were created without events (factories).
- It enforces the Stripe rules Teller relies on: a refund never exceeds what is left to refund, a
  disputed or failed charge cannot be refunded, a canceled subscription cannot be canceled or changed.
- Ids look like Stripe's. Refund ids derive from the idempotency key, so a retried call returns the
  first refund, as Stripe does. The simulate_* helpers (demo seed, tests) take a `key`: the same key
  gives the same ids and event ids, so running the seed twice adds nothing.

It registers itself with payments.registry in SandboxConfig.ready, where the sandbox app is installed
(settings.TELLER_SANDBOX). Tests make it fail on demand with tests/sandbox_failures.py, not with hooks here.
"""

from __future__ import annotations

import calendar
import copy
import secrets
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction as db_transaction
from django.utils import timezone

from payments import stripe_shapes as shapes
from payments.base import ObjectMissing, ProviderError, ProviderUnavailable, RadarList
from providers.inbox import event_enqueue, event_process, event_store
from providers.models import ProviderEvent
from purchases.models import Purchase
from sandbox import stripe_objects as so
from transactions.models import Transaction

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
RADAR_LIST_IDS = {
    RadarList.CARD_FINGERPRINT: "rsl_sandbox_card_fingerprints",
    RadarList.EMAIL: "rsl_sandbox_emails",
    RadarList.CUSTOMER_ID: "rsl_sandbox_customer_ids",
}
# Event type that records a sandbox checkout session (Stripe has no "created" event for sessions); the
# pipeline stores it and marks it ignored, and the sandbox reads the session back from it.
SESSION_RECORD_TYPE = "sandbox.checkout.session.created"
REPAYMENT_LINK_TTL = timedelta(hours=24)


# --- time helpers ----------------------------------------------------------------------------------------


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def add_interval(moment: datetime, interval: str, count: int = 1) -> datetime:
    if interval == "year":
        return add_months(moment, 12 * count)
    if interval == "week":
        return moment + timedelta(weeks=count)
    if interval == "day":
        return moment + timedelta(days=count)
    return add_months(moment, count)


def from_ts(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=UTC)


# --- the sandbox's state: its own events, then Teller's mirror ------------------------------------------


def _events_of(merchant, object_id: str):
    return ProviderEvent.objects.filter(merchant=merchant, object_id=object_id).order_by(
        "-provider_created_at", "-id"
    )


def latest_object(merchant, object_id: str) -> dict | None:
    """The object as the sandbox last emitted it, or None when it never emitted it."""
    if _emitted is not None and (merchant.pk, object_id) in _emitted:
        return copy.deepcopy(_emitted[merchant.pk, object_id][1])
    event = _events_of(merchant, object_id).only("payload").first()
    return event.payload["data"]["object"] if event else None


def _next_created(merchant, object_id: str, at: datetime) -> int:
    """Stripe's events about one object come in order: never stamp one before the object's last event."""
    if _emitted is not None and (merchant.pk, object_id) in _emitted:
        return max(so.ts(at), _emitted[merchant.pk, object_id][0] + 1)
    last = _events_of(merchant, object_id).values_list("provider_created_at", flat=True).first()
    created = so.ts(at)
    return max(created, so.ts(last) + 1) if last else created


def emit(
    merchant,
    type: str,
    obj: dict,
    *,
    at: datetime | None = None,
    key: str | None = None,
    previous_attributes: dict | None = None,
    idempotency_key: str | None = None,
) -> ProviderEvent:
    """Store the Stripe-shaped event in the inbox and enqueue it, exactly as the webhook endpoint does."""
    at = at or timezone.now()
    event_id = so.stripe_id("evt", f"{merchant.slug}:{key}:{type}") if key else so.stripe_id("evt")
    event = so.event(
        id=event_id,
        type=type,
        obj=obj,
        created=_next_created(merchant, obj["id"], at),
        previous_attributes=previous_attributes,
        idempotency_key=idempotency_key,
    )
    stored, created = event_store(merchant=merchant, event=event, now=max(at, from_ts(event["created"])))
    if created:
        if _emitted is not None:
            _emitted[merchant.pk, obj["id"]] = (event["created"], copy.deepcopy(obj))
        if _inline_apply:
            _process_on_commit(stored)
        else:
            event_enqueue(stored)
    return stored


# The demo seed applies thousands of events: it skips Celery's eager machinery and runs the inbox's own
# event_process right after the commit, exactly what the worker's task would run. It also remembers what it
# emitted ((merchant pk, object id) -> (created, object)), so reading the state back costs no query.
_inline_apply = False
_emitted: dict | None = None


@contextmanager
def inline_apply():
    global _inline_apply, _emitted
    previous = _inline_apply, _emitted
    _inline_apply, _emitted = True, {}
    try:
        yield
    finally:
        _inline_apply, _emitted = previous


def _process_on_commit(stored: ProviderEvent) -> None:
    def process():
        try:
            event_process(event_id=stored.pk, now=timezone.now())
        except Exception:  # recorded FAILED on the row by event_process, as the task would leave it
            pass

    db_transaction.on_commit(process)


def _no_such(object_type: str, object_id: str) -> ProviderError:
    return ObjectMissing(f"No such {object_type}: '{object_id}'", code="resource_missing", http_status=404)


def _pm_from_transaction(txn) -> dict:
    """A payment_method object rebuilt from the snapshot a mirrored charge keeps."""
    pm_id = so.stripe_id("pm", f"mirror:{txn.provider_id}")
    fp = txn.identifier.value if txn.identifier_id else so.fingerprint(f"mirror:{txn.provider_id}")
    if txn.method_type == "sepa_debit":
        return so.payment_method(
            id=pm_id,
            customer=None,
            created=txn.occurred_at,
            type="sepa_debit",
            details=so.sepa_details(
                last4=txn.method_last4 or "0000", fingerprint=fp, country=txn.method_country or "DE"
            ),
        )
    return so.payment_method(
        id=pm_id,
        customer=None,
        created=txn.occurred_at,
        type="card",
        details=so.card_details(
            brand=txn.method_brand or "visa",
            last4=txn.method_last4 or "0000",
            exp_month=txn.method_exp_month or 12,
            exp_year=txn.method_exp_year or 2030,
            fingerprint=fp,
            country=txn.method_country or "US",
        ),
    )


def _charge_from_mirror(merchant, charge_id: str) -> dict | None:
    txn = (
        Transaction.objects.filter(merchant=merchant, provider_id=charge_id, kind=Transaction.Kind.CHARGE)
        .select_related("customer", "identifier")
        .first()
    )
    if txn is None:
        return None
    status = (
        "failed"
        if txn.status == Transaction.Status.FAILED
        else ("pending" if txn.status == Transaction.Status.PENDING else "succeeded")
    )
    return so.charge(
        id=charge_id,
        customer=txn.customer.provider_customer_id if txn.customer_id else None,
        amount=txn.amount,
        currency=txn.currency,
        created=txn.occurred_at,
        pm=_pm_from_transaction(txn),
        status=status,
        amount_refunded=txn.refunded_amount,
        description=txn.description,
        metadata=txn.metadata,
        disputed=txn.disputed_amount > 0
        or txn.status in (Transaction.Status.DISPUTED, Transaction.Status.CHARGED_BACK),
    )


def _subscription_from_mirror(merchant, subscription_id: str) -> dict | None:
    purchase = (
        Purchase.objects.filter(merchant=merchant, provider_subscription_id=subscription_id)
        .select_related("customer", "product")
        .first()
    )
    if purchase is None:
        return None
    now = timezone.now()
    product = purchase.product
    price = so.price(
        id=product.provider_price_id or so.stripe_id("price", f"mirror:{product.pk}"),
        product=product.provider_product_id or so.stripe_id("prod", f"mirror:{product.pk}"),
        unit_amount=purchase.amount or product.amount or 0,
        currency=purchase.currency or product.currency or merchant.default_currency,
        interval=purchase.interval or product.interval or "month",
    )
    start = purchase.current_period_start_at or purchase.started_at or now
    return so.subscription(
        id=subscription_id,
        customer=purchase.customer.provider_customer_id or "",
        price=price,
        status=purchase.status.lower(),
        created=purchase.started_at or start,
        current_period_start=start,
        current_period_end=purchase.current_period_end_at
        or add_interval(start, price["recurring"]["interval"]),
        trial_end=purchase.trial_end_at,
        cancel_at_period_end=purchase.cancel_at_period_end,
        cancel_at=purchase.cancel_at,
        canceled_at=purchase.canceled_at,
        ended_at=purchase.ended_at,
    )


def charge_state(merchant, charge_id: str) -> dict:
    """The charge as the sandbox knows it now: refunded amount and dispute flag included."""
    obj = latest_object(merchant, charge_id)
    mirror = _charge_from_mirror(merchant, charge_id)
    if obj is None and mirror is None:
        raise _no_such("charge", charge_id)
    obj = dict(obj or mirror)
    if mirror is not None:  # the mirror may know of refunds or disputes made around the sandbox
        obj["amount_refunded"] = max(obj["amount_refunded"], mirror["amount_refunded"])
        obj["disputed"] = obj["disputed"] or mirror["disputed"]
    obj["disputed"] = (
        obj["disputed"]
        or ProviderEvent.objects.filter(
            merchant=merchant, type="charge.dispute.created", payload__data__object__charge=charge_id
        ).exists()
    )
    return obj


def subscription_state(merchant, subscription_id: str) -> dict:
    obj = latest_object(merchant, subscription_id) or _subscription_from_mirror(merchant, subscription_id)
    if obj is None:
        raise _no_such("subscription", subscription_id)
    return dict(obj)


# --- the provider -----------------------------------------------------------------------------------------


class SandboxProvider:
    """The Provider protocol (providers/base.py) for Merchant.provider == SANDBOX."""

    def __init__(self, merchant):
        self.merchant = merchant

    # Money ------------------------------------------------------------------------------------------------
    def refund_create(
        self, *, charge_id: str, amount: int, reason: str, idempotency_key: str, metadata: dict | None = None
    ) -> dict:
        """Refund `amount` of the charge. Raises ProviderError when the charge cannot take it."""
        return create_refund(
            self.merchant,
            charge_id=charge_id,
            amount=amount,
            reason=reason,
            key=f"idem:{idempotency_key}",
            idempotency_key=idempotency_key,
            metadata=metadata,
        )

    # Subscriptions ----------------------------------------------------------------------------------------
    def subscription_cancel_now(self, *, subscription_id: str, idempotency_key: str | None = None) -> dict:
        return cancel_subscription(
            self.merchant, subscription_id=subscription_id, idempotency_key=idempotency_key
        )

    def subscription_set_cancel_at_period_end(
        self, *, subscription_id: str, cancel_at_period_end: bool
    ) -> dict:
        return set_cancel_at_period_end(
            self.merchant, subscription_id=subscription_id, cancel_at_period_end=cancel_at_period_end
        )

    # Repayment links ----------------------------------------------------------------------------------------
    def repayment_link_create(
        self, *, amount: int, currency: str, description: str, metadata: dict, idempotency_key: str
    ) -> dict:
        if amount <= 0:
            raise ProviderError(
                "Amount must be greater than zero.", code="parameter_invalid_integer", http_status=400
            )
        recorded = (
            ProviderEvent.objects.filter(
                merchant=self.merchant,
                type=SESSION_RECORD_TYPE,
                payload__request__idempotency_key=idempotency_key,
            )
            .values_list("object_id", flat=True)
            .first()
        )
        if recorded:  # a retried call with the same idempotency key: Stripe answers the first session
            return latest_object(self.merchant, recorded)
        # The session id is the pay page's only credential (anyone holding the link can pay it, as with
        # Stripe Checkout): random and unguessable, never derived from the merchant or the repayment.
        session_id = f"cs_test_{secrets.token_urlsafe(43)}"
        now = timezone.now()
        session = so.checkout_session(
            id=session_id,
            amount=amount,
            currency=currency.lower(),
            description=description,
            created=now,
            expires_at=now + REPAYMENT_LINK_TTL,
            url=sandbox_pay_url(session_id),
            metadata=metadata,
        )
        emit(self.merchant, SESSION_RECORD_TYPE, session, at=now, idempotency_key=idempotency_key)
        return session

    def repayment_link_cancel(self, *, link_id: str) -> dict:
        return expire_checkout_session(self.merchant, session_id=link_id)

    # Radar --------------------------------------------------------------------------------------------------
    def radar_item_add(self, *, list_kind: str, value: str) -> dict:
        if list_kind not in RADAR_LIST_IDS:
            raise ProviderError(f"Unknown value list: {list_kind}", code="resource_missing", http_status=404)
        if not value:
            raise ProviderError("A value is required.", code="parameter_missing", http_status=400)
        item_id = so.stripe_id("rsli", f"{self.merchant.slug}:{list_kind}:{value}")
        return so.value_list_item(
            id=item_id, value=value, value_list=RADAR_LIST_IDS[list_kind], created=timezone.now()
        )

    def radar_item_remove(self, *, item_id: str) -> dict:
        if not item_id.startswith("rsli_"):
            raise _no_such("radar.value_list_item", item_id)
        return {"id": item_id, "object": "radar.value_list_item", "deleted": True}

    # Disputes -----------------------------------------------------------------------------------------------
    def dispute_update(self, *, dispute_id: str, evidence: dict, submit: bool) -> dict:
        return update_dispute(self.merchant, dispute_id=dispute_id, evidence=evidence, submit=submit)

    def dispute_close(self, *, dispute_id: str) -> dict:
        return close_dispute(self.merchant, dispute_id=dispute_id)

    def file_upload(self, *, filename: str, content: bytes, purpose: str = "dispute_evidence") -> dict:
        if purpose not in ("dispute_evidence", "additional_verification", "identity_document"):
            raise ProviderError(f"Invalid purpose: {purpose}", code="parameter_invalid", http_status=400)
        if not content:
            raise ProviderError("The file is empty.", code="file_upload_empty", http_status=400)
        if len(content) > 5 * 1024 * 1024 and purpose == "dispute_evidence":
            raise ProviderError(
                "Dispute evidence files must be 5 MB or smaller.", code="file_too_large", http_status=400
            )
        return {
            "id": so.stripe_id("file"),
            "object": "file",
            "purpose": purpose,
            "filename": filename,
            "size": len(content),
            "created": so.ts(timezone.now()),
            "type": filename.rsplit(".", 1)[-1].lower() if "." in filename else "",
        }

    # Reads --------------------------------------------------------------------------------------------------
    def retrieve(self, *, object_type: str, object_id: str) -> dict:
        if object_type == "charge":
            return charge_state(self.merchant, object_id)
        if object_type == "subscription":
            return subscription_state(self.merchant, object_id)
        obj = latest_object(self.merchant, object_id)
        if obj is None or obj.get("object") != object_type:
            raise _no_such(object_type, object_id)
        return obj

    def retrieve_object(self, object_type: str, object_id: str) -> dict:
        return self.retrieve(object_type=object_type, object_id=object_id)


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


# Re-exported for callers that catch the sandbox's failures by name.
__all__ = [
    "SandboxProvider",
    "ProviderError",
    "ProviderUnavailable",
]
