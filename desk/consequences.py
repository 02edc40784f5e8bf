"""What the confirm button of a modal will do, composed from the domain plans the services themselves act on
(`refunds.plans`, `purchases.plans`, `customers.plans`, `access.plans`). The modals load it into their
"What will happen" box and reload it whenever a field changes, so it always describes the form as filled in.

Each function reads only: it never writes, never calls the provider or Telegram.
"""

from dataclasses import dataclass, field
from datetime import datetime

from access.plans import AccessPlan, access_loss_plan, access_loss_plans
from customers.models import Customer
from customers.plans import BlockPlan, block_all_plan, toggles_plan, unblock_all_plan
from purchases.errors import CancelWhen
from purchases.models import Purchase
from purchases.plans import CancelPlan, cancel_options, cancel_plan, subscriptions_canceled_by_block_all
from refunds.plans import CreditPlan, credit_plan
from transactions.models import Transaction


@dataclass(frozen=True)
class CancelConsequences:
    plan: CancelPlan
    access: AccessPlan


@dataclass(frozen=True)
class BlockConsequences:
    plan: BlockPlan
    subscriptions: list[CancelConsequences] = field(default_factory=list)  # ended now with Block all


def credit_consequences(
    *, charge: Transaction, amount: int | None, block_all: bool, membership
) -> CreditPlan:
    return credit_plan(charge=charge, amount=amount, block_all=block_all, membership=membership)


def cancel_consequences(*, purchase: Purchase, when: str, now: datetime) -> CancelConsequences:
    plan = cancel_plan(purchase=purchase, when=when, now=now)
    return CancelConsequences(plan=plan, access=access_loss_plan(purchase))


def cancel_when(purchase: Purchase, modal: str, data) -> str | None:
    """The "when" the modal's fields ask for (None: not chosen yet)."""
    if modal == "subscription-cancel":
        return CancelWhen.PERIOD_END if data.get("keep_active") else CancelWhen.IMMEDIATELY
    if modal == "subscription-cancel-now":
        return CancelWhen.IMMEDIATELY
    options = cancel_options(purchase)
    when = data.get("when") or (options[0] if len(options) == 1 else None)
    return when if when in options else None


def block_all_consequences(
    *, customer: Customer, cancel_subscriptions: bool, now: datetime
) -> BlockConsequences:
    subscriptions = []
    if cancel_subscriptions:
        purchases = list(subscriptions_canceled_by_block_all(customer))
        access = access_loss_plans(purchases)
        subscriptions = [
            CancelConsequences(
                plan=cancel_plan(purchase=p, when=CancelWhen.IMMEDIATELY, now=now), access=access[p.pk]
            )
            for p in purchases
        ]
    return BlockConsequences(plan=block_all_plan(customer), subscriptions=subscriptions)


def unblock_all_consequences(*, customer: Customer) -> BlockConsequences:
    return BlockConsequences(plan=unblock_all_plan(customer))


def toggles_consequences(*, customer: Customer, changes: dict[int, bool]) -> BlockConsequences:
    return BlockConsequences(plan=toggles_plan(customer, changes))
