"""What a credit will do, before it is done: the plan the Credit modal shows above its confirm button.

The amount is resolved and refused by the same code `services.credits` runs under its lock
(`credit_remaining`, `check_amount`, the charge rules of `transactions.rules`), and Block all is previewed by
the customers plan the block itself walks, so the preview is what the button does.
Reads only; no provider call."""

from dataclasses import dataclass

from customers.plans import BlockPlan, block_all_plan
from transactions.models import Transaction
from transactions.rules import credit_refusal

from .services.credits import check_amount, credit_remaining, pending_credit_total
from .services.errors import CreditRefused


@dataclass(frozen=True)
class CreditPlan:
    charge: Transaction
    amount: int  # minor units of `currency`; 0 when refused
    currency: str
    refusal: str  # non-empty: nothing happens, and this is why
    remaining_after: int  # what can still be credited afterwards
    refunded_after: int  # refunded in all once it succeeds (pending credits included)
    status_after: str  # the charge's status once the refund is applied
    returned_to: str  # the payment method the money goes back to
    by_bank: bool  # SEPA / wire: the bank returns it over days, and it cannot be recalled
    block: BlockPlan | None  # Block all customer details, when ticked

    @property
    def changes_nothing(self) -> bool:
        return bool(self.refusal)


def credit_plan(*, charge: Transaction, amount: int | None, block_all: bool, membership) -> CreditPlan:
    """`amount` None: the whole remaining balance (the Full choice)."""
    remaining = credit_remaining(charge)
    resolved = remaining if amount is None else amount
    refusal = credit_refusal(charge)
    if not refusal and not charge.provider_id:
        refusal = "This charge was not made through the payment provider, so it cannot be credited here."
    if not refusal:
        try:
            check_amount(charge, resolved, remaining, membership)
        except CreditRefused as exc:
            refusal = exc.message
    if refusal:
        resolved = 0
    refunded_after = charge.refunded_amount + pending_credit_total(charge) + resolved
    status_after = charge.status
    if not refusal and charge.status in (Transaction.Status.SUCCEEDED, Transaction.Status.PARTIALLY_REFUNDED):
        full = refunded_after >= charge.amount
        status_after = Transaction.Status.REFUNDED if full else Transaction.Status.PARTIALLY_REFUNDED
    customer = charge.customer
    return CreditPlan(
        charge=charge,
        amount=resolved,
        currency=charge.currency,
        refusal=refusal,
        remaining_after=remaining - resolved,
        refunded_after=refunded_after,
        status_after=status_after,
        returned_to=charge.method_display,
        by_bank=charge.is_wire,
        block=block_all_plan(customer) if block_all and customer is not None and not refusal else None,
    )
