"""Writes on purchases: cancel, cancel now, recover (ref. 000), cancel purchase (ref. 004), access codes.

Rules every service here keeps:
- keyword-only arguments, `actor` + `now`;
- the provider is called FIRST, outside any database transaction; if it raises ProviderError nothing changes
  locally and the caller shows `error.message`;
- the provider's answer is applied through providers.apply.apply_subscription (the code path webhooks use),
  so staff actions do not wait for the webhook;
- one audit event per action (status before / after and the choice made), in the same transaction;
- lock, re-read, decide, act: every action on a purchase runs under `common.locks.action_lock` on its row
  (an advisory lock, no transaction held while the provider answers) and decides on the row as it is now,
  so a second click at the same moment waits, then gets "already ..." with no provider call and no audit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.db import transaction

from audit.models import AuditAction
from audit.services import audit_record
from common.dates import format_day
from common.locks import ActionBusy, action_lock
from customers.models import Customer, ProviderKind
from payments.registry import get_provider, record

from .errors import (  # the refusals, re-exported: callers catch them from here
    AccessCodeError,
    CancelOptionNotAllowed,
    CancelWhen,
    NotASubscription,
    NotScheduledToCancel,
    PurchaseError,
    PurchaseNotLive,
    WrongConfirmationPhrase,
)
from .models import AccessCode, Product, Purchase
from .plans import cancel_options, cancel_plan, cancel_refusal, period_end, subscription_refusal
from .signals import purchase_access_ended

CONFIRMATION_PHRASE = "CANCEL PURCHASE"


@dataclass
class CancelResult:
    """What a cancel / recover did. `changed` is False for the "already scheduled" no-op."""

    purchase: Purchase
    changed: bool
    message: str


# --------------------------------------------------------------------------------------------------
# Subscriptions


def _get_provider(merchant):
    return get_provider(merchant)


def _apply_subscription(*, merchant, obj: dict, now: datetime) -> Purchase:
    """Record the subscription Stripe returned through the code path its webhook takes."""
    return record(merchant=merchant, obj=obj, now=now)


def _date(value: datetime | None) -> str:
    return format_day(value) if value else "the end of the period"


_period_end = period_end


@contextmanager
def _locked(purchase: Purchase) -> Iterator[Purchase]:
    """The purchase as it is now, with every other action on it waiting until the block ends."""
    try:
        with action_lock("purchases.purchase", purchase.pk):
            yield Purchase.objects.select_related("customer", "product", "merchant").get(pk=purchase.pk)
    except ActionBusy as exc:
        raise PurchaseError(
            "Another action on this purchase is still running; try again in a moment."
        ) from exc


def _require_live_subscription(purchase: Purchase) -> None:
    error = subscription_refusal(purchase)
    if error:
        raise error


def _snapshot(purchase: Purchase) -> dict:
    return {
        "status": purchase.status,
        "cancel_at_period_end": purchase.cancel_at_period_end,
        "ended_at": purchase.ended_at.isoformat() if purchase.ended_at else None,
        "cancel_at": purchase.cancel_at.isoformat() if purchase.cancel_at else None,
    }


def _apply_and_audit(*, actor, now, purchase: Purchase, obj: dict, action: str, choice: dict) -> Purchase:
    """Apply the provider's subscription object and record the action in one transaction."""
    before = _snapshot(purchase)
    with transaction.atomic():
        updated = _apply_subscription(merchant=purchase.merchant, obj=obj, now=now)
        audit_record(
            merchant=purchase.merchant,
            actor=actor,
            action=action,
            target=updated,
            now=now,
            customer=updated.customer,
            data={"before": before, "after": _snapshot(updated), **choice},
        )
    return updated


def _cancel_at_provider_now(*, actor, now, purchase: Purchase, action: str, choice: dict) -> CancelResult:
    provider = _get_provider(purchase.merchant)
    obj = provider.subscription_cancel_now(
        subscription_id=purchase.provider_subscription_id,
        # One key per subscription: a retried or double-clicked cancel is answered once by the provider.
        idempotency_key=f"cancel-now-{purchase.merchant_id}-{purchase.provider_subscription_id}",
    )
    updated = _apply_and_audit(actor=actor, now=now, purchase=purchase, obj=obj, action=action, choice=choice)
    return CancelResult(updated, True, "Subscription canceled; access ended now.")


def _schedule_at_provider(*, actor, now, purchase: Purchase, action: str, choice: dict) -> CancelResult:
    if purchase.cancel_at_period_end:
        # Asking twice must not call the provider again: tell the user what is already true.
        return CancelResult(
            purchase, False, f"Already scheduled to cancel on {_date(_period_end(purchase))}."
        )
    provider = _get_provider(purchase.merchant)
    obj = provider.subscription_set_cancel_at_period_end(
        subscription_id=purchase.provider_subscription_id, cancel_at_period_end=True
    )
    updated = _apply_and_audit(actor=actor, now=now, purchase=purchase, obj=obj, action=action, choice=choice)
    return CancelResult(updated, True, f"Subscription will cancel on {_date(_period_end(updated))}.")


def subscription_cancel(*, actor, now: datetime, purchase: Purchase, at_period_end: bool) -> CancelResult:
    """Cancel a live subscription now, or at the end of the period ("keep active until the next rebill").

    At period end on an already scheduled subscription is a no-op (changed=False, no provider call).
    Raises NotASubscription, PurchaseNotLive, ProviderError (nothing changed locally).
    """
    choice = {"at_period_end": at_period_end}
    with _locked(purchase) as purchase:
        _require_live_subscription(purchase)
        if at_period_end:
            return _schedule_at_provider(
                actor=actor, now=now, purchase=purchase, action=AuditAction.SUBSCRIPTION_CANCEL, choice=choice
            )
        return _cancel_at_provider_now(
            actor=actor, now=now, purchase=purchase, action=AuditAction.SUBSCRIPTION_CANCEL, choice=choice
        )


def subscription_cancel_now(*, actor, now: datetime, purchase: Purchase) -> CancelResult:
    """End a live subscription immediately (scheduled or not; block-all uses it too).

    Raises NotASubscription, PurchaseNotLive, ProviderError (nothing changed locally).
    """
    with _locked(purchase) as purchase:
        _require_live_subscription(purchase)
        return _cancel_at_provider_now(
            actor=actor,
            now=now,
            purchase=purchase,
            action=AuditAction.SUBSCRIPTION_CANCEL_NOW,
            choice={"was_scheduled": purchase.cancel_at_period_end},
        )


def subscription_recover(*, actor, now: datetime, purchase: Purchase) -> CancelResult:
    """Clear a scheduled cancellation; the subscription renews as before.

    Raises NotASubscription, PurchaseNotLive, NotScheduledToCancel, ProviderError (nothing changed locally).
    """
    with _locked(purchase) as purchase:
        _require_live_subscription(purchase)
        if not purchase.cancel_at_period_end:
            raise NotScheduledToCancel(
                "This subscription is not scheduled to cancel (already recovered?); nothing to recover."
            )
        provider = _get_provider(purchase.merchant)
        obj = provider.subscription_set_cancel_at_period_end(
            subscription_id=purchase.provider_subscription_id, cancel_at_period_end=False
        )
        updated = _apply_and_audit(
            actor=actor,
            now=now,
            purchase=purchase,
            obj=obj,
            action=AuditAction.SUBSCRIPTION_RECOVER,
            choice={},
        )
    return CancelResult(updated, True, "Subscription recovered; it renews as before.")


# --------------------------------------------------------------------------------------------------
# Purchases table: Cancel purchase (typed confirmation)


purchase_cancel_options = cancel_options  # the "when" choices the modal offers


def purchase_cancel(
    *, actor, now: datetime, purchase: Purchase, when: str, confirmation: str
) -> CancelResult:
    """Cancel a live purchase of any kind after the typed confirmation "CANCEL PURCHASE".

    Subscriptions go through the provider (immediately or at period end; the latter is a no-op when already
    scheduled). One-time and access-code purchases end locally and immediately.
    Raises WrongConfirmationPhrase, PurchaseNotLive, CancelOptionNotAllowed, ProviderError.
    """
    if confirmation != CONFIRMATION_PHRASE:
        raise WrongConfirmationPhrase(f"Type {CONFIRMATION_PHRASE} exactly to confirm.")
    with _locked(purchase) as purchase:
        return _purchase_cancel_locked(actor=actor, now=now, purchase=purchase, when=when)


def _purchase_cancel_locked(*, actor, now: datetime, purchase: Purchase, when: str) -> CancelResult:
    plan = cancel_plan(purchase=purchase, when=when, now=now)  # the branch the modal's preview showed
    error = cancel_refusal(purchase, when)
    if error:
        raise error
    choice = {"when": when}
    if plan.at_provider:
        if not plan.immediately:
            return _schedule_at_provider(
                actor=actor, now=now, purchase=purchase, action=AuditAction.PURCHASE_CANCEL, choice=choice
            )
        return _cancel_at_provider_now(
            actor=actor, now=now, purchase=purchase, action=AuditAction.PURCHASE_CANCEL, choice=choice
        )
    return _end_locally(
        actor=actor,
        now=now,
        purchase=purchase,
        status=Purchase.Status.CANCELED,
        action=AuditAction.PURCHASE_CANCEL,
        choice=choice,
    )


def _end_locally(*, actor, now, purchase: Purchase, status: str, action: str, choice: dict) -> CancelResult:
    """One-time and access-code purchases have nothing at the provider to stop: end access here."""
    with transaction.atomic():
        locked = Purchase.objects.select_for_update().get(pk=purchase.pk)
        # The stored status: the sweep ends purchases that have lapsed (not `is_live` any more) too.
        if locked.status not in Purchase.LIVE_STATUSES:  # a concurrent cancel or expiry got there first
            raise PurchaseNotLive("This purchase has already ended.")
        before = _snapshot(locked)
        locked.status = status
        locked.ended_at = now
        if status == Purchase.Status.CANCELED:
            locked.canceled_at = now
        locked.save(update_fields=["status", "ended_at", "canceled_at", "updated_at"])
        purchase_access_ended.send(sender=Purchase, purchase=locked, now=now)
        audit_record(
            merchant=locked.merchant,
            actor=actor,
            action=action,
            target=locked,
            now=now,
            customer=locked.customer,
            data={"before": before, "after": _snapshot(locked), **choice},
        )
    verb = "canceled" if status == Purchase.Status.CANCELED else "expired"
    return CancelResult(locked, True, f"Purchase {verb}; access ended now.")


# --------------------------------------------------------------------------------------------------
# Expiry


def purchases_expire(*, now: datetime) -> int:
    """Expire every live purchase whose access_expires_at has passed; revocation follows via the signal."""
    due = Purchase.objects.live().filter(access_expires_at__lte=now).values_list("pk", flat=True)
    count = 0
    for pk in list(due):
        purchase = Purchase.objects.select_related("merchant", "customer").get(pk=pk)
        try:
            _end_locally(
                actor=None,
                now=now,
                purchase=purchase,
                status=Purchase.Status.EXPIRED,
                action=AuditAction.PURCHASE_EXPIRE,
                choice={"access_expires_at": purchase.access_expires_at.isoformat()},
            )
        except PurchaseNotLive:
            continue
        count += 1
    return count


# --------------------------------------------------------------------------------------------------
# Access codes


BATCH_SIZES = (1, 5, 10)


def access_expiry(*, duration: str, count: int | None, start: datetime) -> datetime | None:
    """When access from a code of this duration, redeemed at `start`, runs out (None: lifetime)."""
    if duration == AccessCode.Duration.LIFETIME:
        return None
    unit = {
        AccessCode.Duration.DAYS: "days",
        AccessCode.Duration.MONTHS: "months",
        AccessCode.Duration.YEARS: "years",
    }
    return start + relativedelta(**{unit[duration]: count})


@dataclass
class GeneratedBatch:
    batch: str
    codes: list[AccessCode] = field(default_factory=list)


def access_codes_generate(
    *,
    actor,
    now: datetime,
    merchant,
    products: list[Product],
    quantity: int,
    duration: str,
    duration_count: int | None,
) -> GeneratedBatch:
    """Create `quantity` codes (1, 5 or 10) that each give access to all `products`.

    Raises AccessCodeError (no products, a product that does not allow codes, bad batch size or duration).
    """
    _validate_generation(
        merchant=merchant,
        products=products,
        quantity=quantity,
        duration=duration,
        duration_count=duration_count,
    )
    if duration == AccessCode.Duration.LIFETIME:
        duration_count = None
    batch = f"{now:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:4]}"
    result = GeneratedBatch(batch=batch)
    with transaction.atomic():
        for _ in range(quantity):
            code = AccessCode.objects.create(
                merchant=merchant,
                duration=duration,
                duration_count=duration_count,
                batch=batch,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
            code.products.set(products)
            result.codes.append(code)
        audit_record(
            merchant=merchant,
            actor=actor,
            action=AuditAction.ACCESS_CODE_GENERATE,
            target=result.codes[0],
            now=now,
            data={
                "batch": batch,
                "quantity": quantity,
                "duration": duration,
                "duration_count": duration_count,
                "products": [p.pk for p in products],
            },
        )
    return result


def _validate_generation(*, merchant, products, quantity, duration, duration_count) -> None:
    if quantity not in BATCH_SIZES:
        raise AccessCodeError("Generate 1, 5 or 10 codes at a time.")
    if not products:
        raise AccessCodeError("Choose at least one product.")
    if any(p.merchant_id != merchant.pk or not p.allows_access_codes for p in products):
        raise AccessCodeError("Choose only products that allow access codes.")
    if duration not in AccessCode.Duration.values:
        raise AccessCodeError("Choose a duration.")
    if duration != AccessCode.Duration.LIFETIME and (not duration_count or duration_count < 1):
        raise AccessCodeError("Enter how many days, months or years the access lasts.")


def access_code_delete(*, actor, now: datetime, code: AccessCode) -> None:
    """Delete an unused code. Raises AccessCodeError when it was redeemed (redeemed codes are history)."""
    with transaction.atomic():
        locked = AccessCode.objects.select_for_update().filter(pk=code.pk).first()
        if locked is None:  # a concurrent delete got there first
            raise AccessCodeError("This code has already been deleted.")
        if locked.redeemed_at is not None:
            raise AccessCodeError("A redeemed code cannot be deleted; it stays as history.")
        audit_record(
            merchant=locked.merchant,
            actor=actor,
            action=AuditAction.ACCESS_CODE_DELETE,
            target=locked,
            now=now,
            data={"code": locked.code, "batch": locked.batch},
        )
        locked.products.clear()
        locked.delete()


def access_code_redeem(*, code: str, customer: Customer, now: datetime, actor=None) -> list[Purchase]:
    """Redeem a code for `customer`: one ACCESS_CODE purchase per product, until the code's duration ends.

    Single use: a second redemption raises AccessCodeError, as does another merchant's or an unknown code.
    """
    normalized = code.strip().upper().replace("-", "").replace(" ", "")
    with transaction.atomic():
        access_code = (
            AccessCode.objects.select_for_update().filter(merchant=customer.merchant, code=normalized).first()
        )
        if access_code is None:
            raise AccessCodeError("Unknown access code.")
        if access_code.redeemed_at is not None:
            raise AccessCodeError("This access code has already been redeemed.")
        expires_at = access_expiry(duration=access_code.duration, count=access_code.duration_count, start=now)
        purchases = [
            Purchase.objects.create(
                merchant=customer.merchant,
                customer=customer,
                product=product,
                kind=Purchase.Kind.ACCESS_CODE,
                status=Purchase.Status.ACTIVE,
                access_code=access_code,
                started_at=now,
                access_expires_at=expires_at,
            )
            for product in access_code.products.all()
        ]
        access_code.redeemed_by, access_code.redeemed_at = customer, now
        access_code.save(update_fields=["redeemed_by", "redeemed_at"])
        _mark_customer_used_code(customer=customer, now=now)
        audit_record(
            merchant=customer.merchant,
            actor=actor,
            action=AuditAction.ACCESS_CODE_REDEEM,
            target=access_code,
            now=now,
            customer=customer,
            data={
                "purchases": [p.pk for p in purchases],
                "access_expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
    return purchases


def _mark_customer_used_code(*, customer: Customer, now: datetime) -> None:
    customer.used_access_code = True
    if ProviderKind.ACCESS_CODE not in customer.providers_used:
        customer.providers_used = [*customer.providers_used, ProviderKind.ACCESS_CODE.value]
    customer.first_purchase_at = customer.first_purchase_at or now
    customer.last_purchase_at = now
    customer.save(
        update_fields=[
            "used_access_code",
            "providers_used",
            "first_purchase_at",
            "last_purchase_at",
            "updated_at",
        ]
    )


__all__ = [
    "CONFIRMATION_PHRASE",
    "AccessCodeError",
    "CancelOptionNotAllowed",
    "CancelResult",
    "CancelWhen",
    "GeneratedBatch",
    "NotASubscription",
    "NotScheduledToCancel",
    "PurchaseError",
    "PurchaseNotLive",
    "WrongConfirmationPhrase",
    "access_code_delete",
    "access_code_redeem",
    "access_codes_generate",
    "access_expiry",
    "purchase_cancel",
    "purchase_cancel_options",
    "purchases_expire",
    "subscription_cancel",
    "subscription_cancel_now",
    "subscription_recover",
]
