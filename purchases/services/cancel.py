"""Writes on purchases: cancel, cancel now, recover a subscription, cancel purchase (typed confirmation), and
the expiry sweep.

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

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from audit.models import AuditAction
from audit.services import audit_record
from common.dates import format_day
from common.locks import ActionBusy, action_lock
from payments.registry import get_provider, record

from ..errors import (  # the refusals, re-exported: callers catch them from here
    CancelOptionNotAllowed,
    CancelWhen,
    NotASubscription,
    NotScheduledToCancel,
    PurchaseError,
    PurchaseNotLive,
    WrongConfirmationPhrase,
)
from ..models import Purchase
from ..plans import cancel_options, cancel_plan, cancel_refusal, period_end, subscription_refusal
from ..signals import purchase_access_ended

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


__all__ = [
    "CONFIRMATION_PHRASE",
    "CancelOptionNotAllowed",
    "CancelResult",
    "CancelWhen",
    "NotASubscription",
    "NotScheduledToCancel",
    "PurchaseError",
    "PurchaseNotLive",
    "WrongConfirmationPhrase",
    "purchase_cancel",
    "purchase_cancel_options",
    "purchases_expire",
    "subscription_cancel",
    "subscription_cancel_now",
    "subscription_recover",
]
