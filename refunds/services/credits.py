"""Credits (refunds) of charges: money leaves once, whatever the provider, the network or a second click do.

Where a credit happens, end to end (docs/architecture.md, "Flows, step by step", has the same in context):
1. `refunds/views.py` `credit`: the modal and its form (`refunds/forms.py`), one call to `credit_create`.
2. `credit_create` (here): `transactions.rules.credit_refusal` (can this charge be credited, and why not),
   then `_reserve`: lock the charge row, recompute the remaining balance counting PENDING credits, create the
   PENDING credit with its idempotency key (audited) -> commit.
3. `credit_outcome.send`: `_provider(merchant).refund_create(...)` with that key
   (`payments.registry.get_provider`; Stripe is `providers/stripe.py`).
4. `credit_outcome._record_refund`: success is recorded through `payments.registry.record` (the refund
   webhook's code path, `providers/apply/charges.py` `apply_refund`: REFUND transaction, the charge's refunded
   amount); a failure releases the amount (`_record_failure`).
5. "Block all customer details" if asked: `block_all_after` -> `customers.services.customer_block_all`.
Steps 3 to 5 and the reconciliation below are in `credit_outcome.py`.

A timeout (ProviderUnavailable) leaves the credit PENDING; `credit_reconcile` (run by the
reconcile_pending_credits task) retries with the SAME key, which Stripe answers with the same refund.

Decisions worth knowing:
- Support agents' limit: Merchant.support_credit_limit is in minor units of the merchant's default currency.
  For a charge in another currency the same *major-unit number* applies, shifted to that currency's exponent
  (€100.00 limit -> $100.00, ¥100, 100.000 KWD). No exchange rates: a rate would make the rule unpredictable
  for staff, and the limit is a coarse guard, not accounting.
- "Block all customer details" runs once the provider call is over, whatever its outcome (success, refusal,
  timeout): it is a decision about the customer (usually fraud), and a refused refund must not leave a
  fraudster able to pay again. It does not run when our own validation refuses the credit (nothing happened;
  the form shows the error and staff can fix and resubmit).
- A SEPA / wire charge ("is_wire") can only be credited in full (the whole remaining balance), after the
  risk box. A charge under chargeback (or charged back) needs `chargeback_acknowledged`: the money could be
  lost twice.
"""

import uuid
from datetime import datetime

from django.db import IntegrityError
from django.db import transaction as db_transaction

from audit.models import AuditAction
from audit.services import audit_record
from common.money import currency_exponent, format_money
from merchants.permissions import has_permission
from refunds.models import Credit
from transactions.models import Transaction
from transactions.rules import credit_refusal

from .credit_outcome import block_all_after, send
from .errors import CreditRefused

# Stripe's refund reasons; "other" is sent without a reason (its text goes into the metadata).
# --- reads used by the form and the service -----------------------------------------------------------------


# The refund statuses the charge's refunded_amount counts (providers.apply.charges derives it so).
COUNTED_REFUND_STATUSES = (Transaction.Status.SUCCEEDED, Transaction.Status.PENDING)


def pending_credit_total(charge: Transaction) -> int:
    """What PENDING credits hold that refunded_amount does not count yet.

    The provider's refund can be applied (webhook, `charge.refunded`) before the request that asked for it
    marks its credit SUCCEEDED: that refund is already in refunded_amount, so its credit is not counted a
    second time, whichever of the two finishes first.
    """
    pending = list(
        Credit.objects.filter(transaction=charge, status=Credit.Status.PENDING).values_list("pk", "amount")
    )
    if not pending:
        return 0
    applied = {
        str(credit_id)
        for credit_id in charge.children.filter(
            kind=Transaction.Kind.REFUND, status__in=COUNTED_REFUND_STATUSES
        ).values_list("metadata__teller_credit_id", flat=True)
        if credit_id
    }
    return sum(amount for pk, amount in pending if str(pk) not in applied)


def credit_remaining(charge: Transaction) -> int:
    """What can still be credited: the charge less what was refunded and what pending credits hold."""
    return max(charge.amount - charge.refunded_amount - pending_credit_total(charge), 0)


def is_under_chargeback(charge: Transaction) -> bool:
    """Disputed or charged back: crediting it could lose the money twice."""
    if charge.status in (Transaction.Status.DISPUTED, Transaction.Status.CHARGED_BACK):
        return True
    return (
        charge.children.filter(kind=Transaction.Kind.CHARGEBACK)
        .exclude(status=Transaction.Status.WON)
        .exists()
    )


def support_limit(merchant, currency: str) -> int:
    """The support agents' per-charge limit in minor units of `currency` (see the module docstring)."""
    shift = currency_exponent(currency) - currency_exponent(merchant.default_currency)
    limit = merchant.support_credit_limit
    return limit * 10**shift if shift >= 0 else limit // 10**-shift


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


# --- create -------------------------------------------------------------------------------------------------


def credit_create(
    *,
    actor,
    membership,
    now: datetime,
    transaction: Transaction,
    amount: int | None,
    reason: str,
    reason_text: str = "",
    risk_acknowledged: bool = False,
    chargeback_acknowledged: bool = False,
    block_all: bool = False,
    idempotency_key: str | None = None,
) -> Credit:
    """Credit `amount` (None: the whole remaining balance) of a charge. Returns the Credit:
    SUCCEEDED (refund recorded), FAILED (the provider refused; `failure_message` says why) or PENDING (the
    provider did not answer; the reconciler finishes it). A repeated `idempotency_key` returns the first
    credit.

    Raises CreditRefused when our own rules refuse it (then nothing was created and the provider was not
    called): not a successful charge, bad reason, amount <= 0 or above the remaining balance, a partial credit
    of a SEPA / wire charge, a wire charge without the risk box, a charge under chargeback without the
    confirmation,
    a support agent above the merchant's limit.
    """
    existing = _existing(idempotency_key, transaction)
    if existing is not None:
        return existing
    _check_request(
        transaction,
        membership=membership,
        reason=reason,
        reason_text=reason_text,
        risk_acknowledged=risk_acknowledged,
        chargeback_acknowledged=chargeback_acknowledged,
    )
    try:
        credit, created = _reserve(
            actor=actor,
            membership=membership,
            now=now,
            charge=transaction,
            amount=amount,
            reason=reason,
            reason_text=reason_text,
            risk_acknowledged=risk_acknowledged,
            chargeback_acknowledged=chargeback_acknowledged,
            block_all=block_all,
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
    except IntegrityError:
        # Two clicks raced past the check: the unique key let one in; answer with that one.
        existing = _existing(idempotency_key, transaction)
        if existing is None:
            raise
        return existing
    if created:  # only the request that made the reservation talks to the provider
        send(credit, actor=actor, now=now)
        if block_all:
            block_all_after(credit, actor=actor, now=now)
    credit.refresh_from_db()
    return credit


def _existing(idempotency_key: str | None, charge: Transaction) -> Credit | None:
    if not idempotency_key:
        return None
    credit = Credit.objects.filter(idempotency_key=idempotency_key).first()
    if credit is not None and credit.transaction_id != charge.pk:
        raise CreditRefused("This form was already used for another transaction; reopen the credit window.")
    return credit


def _check_request(
    charge: Transaction,
    *,
    membership,
    reason: str,
    reason_text: str,
    risk_acknowledged: bool,
    chargeback_acknowledged: bool,
) -> None:
    """The rules that do not depend on the remaining balance (the amount is checked under the lock)."""
    if membership is None or membership.merchant_id != charge.merchant_id:
        raise CreditRefused("You are not a member of this transaction's merchant.")
    refusal = credit_refusal(charge)  # one rule with the Credit button and the modal
    if refusal:
        raise CreditRefused(refusal)
    if not charge.provider_id:
        raise CreditRefused(
            "This charge was not made through the payment provider, so it cannot be credited here."
        )
    if reason not in Credit.Reason.values:
        raise CreditRefused("Choose a reason.", field="reason")
    if reason == Credit.Reason.OTHER and not (reason_text or "").strip():
        raise CreditRefused("Describe the reason when you choose “Other”.", field="reason_text")
    if len(reason_text or "") > Credit._meta.get_field("reason_text").max_length:
        raise CreditRefused("The reason is too long (500 characters at most).", field="reason_text")
    if charge.is_wire and not risk_acknowledged:
        raise CreditRefused(
            "A SEPA or wire payment is credited at your own risk: "
            "tick “I understand the risk and want to proceed”.",
            field="risk_acknowledged",
        )
    if is_under_chargeback(charge) and not chargeback_acknowledged:
        raise CreditRefused(
            "This charge is under chargeback: a credit could lose the money twice. Confirm to proceed.",
            field="chargeback_acknowledged",
        )


def check_amount(charge: Transaction, amount: int, remaining: int, membership) -> None:
    """Refuse an amount the charge or the role does not allow (raises CreditRefused). The preview uses it."""
    currency = charge.currency
    if amount <= 0:
        raise CreditRefused("Enter an amount greater than zero.", field="amount")
    if remaining <= 0:
        raise CreditRefused("Nothing is left to credit on this charge (pending credits count).")
    if amount > remaining:
        raise CreditRefused(
            f"The amount is more than the remaining balance of {format_money(remaining, currency)}.",
            field="amount",
        )
    if charge.is_wire and amount != remaining:
        raise CreditRefused("SEPA and wire payments can only be credited in full.", field="amount")
    if not has_permission(membership, "credit.above_limit"):
        limit = support_limit(charge.merchant, currency)
        if amount > limit:
            raise CreditRefused(
                f"Support agents can credit up to {format_money(limit, currency)} per transaction; "
                "ask a manager or the owner.",
                field="amount",
            )


def _reserve(
    *,
    actor,
    membership,
    now,
    charge,
    amount,
    reason,
    reason_text,
    risk_acknowledged,
    chargeback_acknowledged,
    block_all,
    idempotency_key,
) -> tuple[Credit, bool]:
    """Lock the charge, recompute what is left, and create the PENDING credit: the reservation.
    Returns (credit, created); created is False when another click with the same key made it first."""
    with db_transaction.atomic():
        charge = Transaction.objects.select_for_update().select_related("merchant").get(pk=charge.pk)
        existing = Credit.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:  # the other click held the lock first
            return existing, False
        remaining = credit_remaining(charge)
        amount = remaining if amount is None else amount
        check_amount(charge, amount, remaining, membership)
        credit = Credit.objects.create(
            merchant=charge.merchant,
            transaction=charge,
            amount=amount,
            currency=charge.currency,
            reason=reason,
            reason_text=(reason_text or "").strip(),
            actor=actor,
            status=Credit.Status.PENDING,
            idempotency_key=idempotency_key,
            risk_acknowledged=risk_acknowledged,
            chargeback_acknowledged=chargeback_acknowledged,
            block_all=block_all,
            created_at=now,
        )
        audit_record(
            merchant=charge.merchant,
            actor=actor,
            action=AuditAction.CREDIT_CREATE,
            target=credit,
            now=now,
            customer=charge.customer,
            data={
                "amount": amount,
                "currency": charge.currency,
                "full": amount == remaining,
                "remaining_before": remaining,
                "reason": reason,
                "reason_text": credit.reason_text,
                "risk_acknowledged": risk_acknowledged,
                "chargeback_acknowledged": chargeback_acknowledged,
                "block_all": block_all,
            },
        )
    return credit, True
