"""What a cancellation will do, before it is done: the plan the Cancel, Cancel now and Cancel purchase modals
show. `services.py` refuses with the same `cancel_refusal` and takes the branch `cancel_plan` names, so the
preview is what happens. A plan reads; it never writes and never calls the provider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from customers.models import Customer

from .errors import CancelOptionNotAllowed, CancelWhen, NotASubscription, PurchaseError, PurchaseNotLive
from .models import Purchase


def cancel_options(purchase: Purchase) -> list[str]:
    """The "when" choices: live subscriptions have a period to wait for, the rest do not."""
    if purchase.kind == Purchase.Kind.SUBSCRIPTION and purchase.is_live:
        return [CancelWhen.IMMEDIATELY, CancelWhen.PERIOD_END]
    return [CancelWhen.IMMEDIATELY]


def subscription_refusal(purchase: Purchase) -> PurchaseError | None:
    """Why a subscription cannot be canceled at the provider (None: it can)."""
    if purchase.kind != Purchase.Kind.SUBSCRIPTION:
        return NotASubscription("Only subscriptions can be canceled at the provider.")
    if not purchase.is_live:
        return PurchaseNotLive(
            f"This subscription has already ended ({purchase.current_status_label.lower()}); "
            "it cannot be canceled."
        )
    if not purchase.provider_subscription_id:
        return NotASubscription("This subscription has no provider subscription id.")
    return None


def cancel_refusal(purchase: Purchase, when: str) -> PurchaseError | None:
    """Why Cancel purchase with this "when" is refused (None: it goes ahead)."""
    if not purchase.is_live:
        return PurchaseNotLive(
            f"This purchase has already ended ({purchase.current_status_label.lower()}); "
            "it cannot be canceled."
        )
    if when not in cancel_options(purchase):
        return CancelOptionNotAllowed("This purchase can only be canceled immediately.")
    if purchase.kind == Purchase.Kind.SUBSCRIPTION:
        return subscription_refusal(purchase)
    return None


@dataclass(frozen=True)
class CancelPlan:
    purchase: Purchase
    when: str
    refusal: str  # non-empty: nothing happens, and this is why
    at_provider: bool  # a subscription: the provider stops it (and its charges)
    access_ends_at: datetime | None  # now, or the end of the period
    already_scheduled: bool  # at period end on a subscription already scheduled: nothing changes

    @property
    def immediately(self) -> bool:
        return self.when == CancelWhen.IMMEDIATELY

    @property
    def changes_nothing(self) -> bool:
        return bool(self.refusal) or self.already_scheduled


def period_end(purchase: Purchase) -> datetime | None:
    return purchase.cancel_at or purchase.current_period_end_at


def cancel_plan(*, purchase: Purchase, when: str, now: datetime) -> CancelPlan:
    """Cancel purchase (and the subscription Cancel / Cancel now modals, which are its two branches)."""
    refusal = cancel_refusal(purchase, when)
    subscription = purchase.kind == Purchase.Kind.SUBSCRIPTION
    scheduled = subscription and when == CancelWhen.PERIOD_END and purchase.cancel_at_period_end
    return CancelPlan(
        purchase=purchase,
        when=when,
        refusal=refusal.message if refusal else "",
        at_provider=subscription,
        access_ends_at=now if when == CancelWhen.IMMEDIATELY else period_end(purchase),
        already_scheduled=bool(scheduled),
    )


def subscriptions_canceled_by_block_all(customer: Customer):
    """The subscriptions Block all with "cancel live subscriptions" ends now (the receiver cancels these)."""
    return (
        Purchase.objects.for_merchant(customer.merchant)
        .filter(customer=customer, kind=Purchase.Kind.SUBSCRIPTION, status__in=Purchase.LIVE_STATUSES)
        .exclude(provider_subscription_id=None)
        .select_related("product")
        .order_by("pk")
    )
