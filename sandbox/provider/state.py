"""The sandbox's state: its own events in the inbox (emit, latest_object), with Teller's mirrored rows as the
fallback for objects created without events; the time helpers."""

from __future__ import annotations

import calendar
import copy
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from django.db import transaction as db_transaction
from django.utils import timezone

from payments.base import ObjectMissing, ProviderError, RadarList
from providers.inbox import event_enqueue, event_store
from providers.inbox_apply import event_process
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
