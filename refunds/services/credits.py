"""Credits (refunds) of charges: money leaves once, whatever the provider, the network or a second click do.

Where a credit happens, end to end (docs/architecture.md, "Flows, step by step", has the same in context):
1. `refunds/views.py` `credit`: the modal and its form (`refunds/forms.py`), one call to `credit_create`.
2. `credit_create` (here): `transactions.rules.credit_refusal` (can this charge be credited, and why not),
   then `_reserve`: lock the charge row, recompute the remaining balance counting PENDING credits, create the
   PENDING credit with its idempotency key (audited) -> commit.
3. `_provider(merchant).refund(...)` with that key (`payments.registry.get_provider`; Stripe is
   `providers/stripe.py`).
4. `_record_refund`: success is recorded through `payments.registry.record` (the refund webhook's code path,
   `providers/apply/charges.py` `apply_refund`: REFUND transaction, the charge's refunded amount); a failure
   releases the amount (`_record_failure`).
5. "Block all customer details" if asked: `_block_all` -> `customers.services.customer_block_all`.

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

import logging
import uuid
from datetime import datetime, timedelta

from django.db import IntegrityError
from django.db import transaction as db_transaction

from audit.models import AuditAction
from audit.services import audit_record
from common.money import currency_exponent, format_money
from customers import services as blocking  # module: tests swap blocking.customer_block_all
from customers.models import BlockEvent
from merchants.permissions import has_permission
from payments.base import ProviderError, ProviderUnavailable
from payments.registry import get_provider, record
from refunds.models import Credit
from transactions.models import Transaction
from transactions.rules import credit_refusal

from .errors import CreditRefused

logger = logging.getLogger(__name__)

# Stripe's refund reasons; "other" is sent without a reason (its text goes into the metadata).
PROVIDER_REASONS = {
    Credit.Reason.DUPLICATE: "duplicate",
    Credit.Reason.FRAUDULENT: "fraudulent",
    Credit.Reason.REQUESTED_BY_CUSTOMER: "requested_by_customer",
    Credit.Reason.OTHER: "",
}
# Stripe keeps an idempotency key for 24 hours; after that a retry could refund twice, so we stop retrying.
RETRY_WINDOW = timedelta(hours=23)
# The reconciler leaves a credit alone this long: its own request may still be waiting for the provider.
RECONCILE_GRACE = timedelta(seconds=60)


def _provider(merchant):
    # One seam for the tests' fake provider (tests/refunds/conftest.py).
    return get_provider(merchant)


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
        _send(credit, actor=actor, now=now)
        if block_all:
            _block_all(credit, actor=actor, now=now)
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


# --- the provider call and its outcome ----------------------------------------------------------------------


def _send(credit: Credit, *, actor, now: datetime) -> None:
    """Ask the provider for the refund, with the credit's own idempotency key, and record the answer."""
    charge = credit.transaction
    try:
        refund = _provider(credit.merchant).refund_create(
            charge_id=charge.provider_id,
            amount=credit.amount,
            reason=PROVIDER_REASONS[credit.reason],
            idempotency_key=credit.idempotency_key,
            metadata={"teller_credit_id": str(credit.pk), "teller_reason": credit.reason_text[:450]},
        )
    except ProviderUnavailable as exc:
        _record_unknown(credit, actor=actor, now=now, message=exc.message)
    except ProviderError as exc:
        _record_failure(credit, actor=actor, now=now, message=exc.message)
    else:
        _record_refund(credit, refund, actor=actor, now=now)


def _locked_pending(credit: Credit) -> Credit | None:
    locked = Credit.objects.select_for_update().select_related("transaction").get(pk=credit.pk)
    return locked if locked.status == Credit.Status.PENDING else None


def _record_refund(
    credit: Credit, refund: dict, *, actor, now: datetime, applied: Transaction | None = None
) -> None:
    """Mark the credit SUCCEEDED with its refund transaction (applied here unless a webhook already did)."""
    if refund.get("status") in ("failed", "canceled"):
        _record_failure(
            credit,
            actor=actor,
            now=now,
            message="The provider did not complete the refund "
            f"({refund.get('failure_reason') or refund['status']}).",
        )
        return
    with db_transaction.atomic():
        # Lock order everywhere: charge row, then credit row (as _reserve and apply_refund do).
        Transaction.objects.select_for_update().filter(pk=credit.transaction_id).first()
        locked = _locked_pending(credit)
        if locked is None:  # the reconciler or a webhook got there first
            return
        refund_txn = applied or record(merchant=locked.merchant, obj=refund, now=now)
        locked.status = Credit.Status.SUCCEEDED
        locked.provider_refund_id = refund["id"]
        locked.refund_transaction = refund_txn
        locked.attempts += 1
        locked.failure_message = ""
        locked.save(
            update_fields=[
                "status",
                "provider_refund_id",
                "refund_transaction",
                "attempts",
                "failure_message",
                "updated_at",
            ]
        )
        charge = refund_txn.parent or locked.transaction
        audit_record(
            merchant=locked.merchant,
            actor=actor,
            action=AuditAction.CREDIT_SUCCEED,
            target=locked,
            now=now,
            customer=charge.customer,
            data={
                "refund": refund["id"],
                "refund_status": refund.get("status"),
                "charge_status": charge.status,
                "refunded_amount": charge.refunded_amount,
            },
        )


def _record_failure(credit: Credit, *, actor, now: datetime, message: str) -> None:
    with db_transaction.atomic():
        locked = _locked_pending(credit)
        if locked is None:
            return
        locked.status = Credit.Status.FAILED
        locked.failure_message = message
        locked.attempts += 1
        locked.save(update_fields=["status", "failure_message", "attempts", "updated_at"])
        audit_record(
            merchant=locked.merchant,
            actor=actor,
            action=AuditAction.CREDIT_FAIL,
            target=locked,
            now=now,
            customer=locked.transaction.customer,
            data={"error": message},
        )


def _record_unknown(credit: Credit, *, actor, now: datetime, message: str) -> None:
    """No answer: keep it PENDING (its amount stays reserved) for the reconciler."""
    with db_transaction.atomic():
        locked = _locked_pending(credit)
        if locked is None:
            return
        locked.attempts += 1
        locked.failure_message = f"No answer from the provider yet ({message}); it will be retried."
        locked.save(update_fields=["attempts", "failure_message", "updated_at"])
        audit_record(
            merchant=locked.merchant,
            actor=actor,
            action=AuditAction.CREDIT_PENDING,
            target=locked,
            now=now,
            customer=locked.transaction.customer,
            data={"error": message, "attempts": locked.attempts},
        )


def _block_all(credit: Credit, *, actor, now: datetime) -> None:
    customer = credit.transaction.customer
    if customer is None:
        return
    reason = {
        Credit.Reason.FRAUDULENT: BlockEvent.Reason.FRAUD,
        Credit.Reason.REQUESTED_BY_CUSTOMER: BlockEvent.Reason.CUSTOMER_REQUEST,
    }.get(credit.reason, BlockEvent.Reason.OTHER)
    text = f"Credit of {format_money(credit.amount, credit.currency)}"
    if credit.reason_text:
        text = f"{text}: {credit.reason_text}"
    try:
        blocking.customer_block_all(
            actor=actor,
            now=now,
            customer=customer,
            reason=reason,
            reason_text=text[:500],
            source=BlockEvent.Source.CREDIT,
        )
    except blocking.BlockingError as exc:
        # The credit itself is done; a refused block must not turn it into an error page. It is logged and
        # audited so staff can block by hand.
        logger.warning("credit_block_all_failed", extra={"credit_id": credit.pk, "error": str(exc)})
        with db_transaction.atomic():
            audit_record(
                merchant=credit.merchant,
                actor=actor,
                action=AuditAction.CREDIT_BLOCK_ALL_FAIL,
                target=credit,
                now=now,
                customer=customer,
                data={"error": str(exc)},
            )


# --- reconciliation -----------------------------------------------------------------------------------------


def credit_reconcile(*, credit: Credit, now: datetime) -> Credit:
    """Finish a PENDING credit whose provider call timed out.

    First look for the refund the provider may have made (a webhook applied it, carrying teller_credit_id);
    else, within Stripe's idempotency window, retry with the SAME key (Stripe returns the first refund,
    never a second one); past the window, fail it for staff to check in the provider's dashboard.
    """
    if credit.status != Credit.Status.PENDING:
        return credit
    applied = Transaction.objects.filter(
        parent_id=credit.transaction_id,
        kind=Transaction.Kind.REFUND,
        metadata__teller_credit_id=str(credit.pk),
    ).first()
    if applied is not None:
        _record_refund(
            credit, {"id": applied.provider_id, "status": "succeeded"}, actor=None, now=now, applied=applied
        )
    elif now - credit.created_at < RETRY_WINDOW:
        _send(credit, actor=None, now=now)
    else:
        _record_failure(
            credit,
            actor=None,
            now=now,
            message="The provider never confirmed this credit; check its dashboard before retrying.",
        )
    credit.refresh_from_db()
    return credit


def credits_reconcile_pending(*, now: datetime) -> dict[str, int]:
    """Reconcile every PENDING credit old enough not to be in flight. Returns counts by resulting status."""
    counts: dict[str, int] = {}
    due = Credit.objects.filter(
        status=Credit.Status.PENDING, created_at__lte=now - RECONCILE_GRACE
    ).select_related("transaction", "merchant")
    for credit in due:
        try:
            status = credit_reconcile(credit=credit, now=now).status
        except Exception:  # one bad credit must not stop the others; it stays PENDING and is logged
            logger.exception("credit_reconcile_failed", extra={"credit_id": credit.pk})
            status = "ERROR"
        counts[status] = counts.get(status, 0) + 1
    return counts
