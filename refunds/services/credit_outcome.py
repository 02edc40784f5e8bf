"""A credit's provider call and its outcome (step 3 to 5 of credits.py's sequence), and the reconciliation
of credits left PENDING by a timeout. `credits.credit_create` reserves the amount, then calls `send` and
`block_all_after`; the reconcile_pending_credits task calls `credits_reconcile_pending`."""

import logging
from datetime import datetime, timedelta

from django.db import transaction as db_transaction

from audit.models import AuditAction
from audit.services import audit_record
from common.money import format_money
from customers import services as blocking  # module: tests swap blocking.customer_block_all
from customers.models import BlockEvent
from payments.base import ProviderError, ProviderUnavailable
from payments.registry import get_provider, record
from refunds.models import Credit
from transactions.models import Transaction

logger = logging.getLogger(__name__)

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


# --- the provider call and its outcome ----------------------------------------------------------------------


def send(credit: Credit, *, actor, now: datetime) -> None:
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


def block_all_after(credit: Credit, *, actor, now: datetime) -> None:
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
        send(credit, actor=None, now=now)
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
