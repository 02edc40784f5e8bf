"""Repayments recorded as money: by hand (`repayment_manual_create`) or when the webhook says a repayment link
was paid (`repayment_record_paid`). The rules (outstanding amount, the locked chargeback) are the ones in
repayments.py."""

from datetime import date, datetime, time

from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record
from refunds.models import Repayment
from transactions.models import Transaction

from .errors import RepaymentRefused
from .repayments import (
    _add_repaid,
    _check_amount,
    _check_chargeback,
    _lock,
    _repayment_transaction,
    chargeback_outstanding,
)


def repayment_manual_create(
    *,
    actor,
    now: datetime,
    chargeback: Transaction,
    amount: int,
    paid_on: date,
    manual_method: str,
    reference: str = "",
    note: str = "",
) -> Repayment:
    """Record money the customer paid back outside the provider: a REPAYMENT transaction + a PAID Repayment.

    Raises RepaymentRefused (not a chargeback, amount above what is outstanding, a future date, bad method).
    """
    _check_chargeback(chargeback)
    if paid_on > timezone.localdate(now):
        raise RepaymentRefused("The payment date cannot be in the future.", field="paid_on")
    if manual_method not in Repayment.ManualMethod.values:
        raise RepaymentRefused("Choose how the customer paid.", field="manual_method")
    occurred_at = (
        now
        if paid_on == timezone.localdate(now)
        else timezone.make_aware(datetime.combine(paid_on, time(12)))
    )
    with db_transaction.atomic():
        chargeback = _lock(chargeback)
        _check_amount(amount, chargeback_outstanding(chargeback, now=now))
        txn = _repayment_transaction(
            chargeback,
            amount=amount,
            occurred_at=occurred_at,
            provider_id=None,
            method_type=_MANUAL_METHOD_TYPES[manual_method],
            description=reference or "Manual repayment",
        )
        repayment = Repayment.objects.create(
            merchant=chargeback.merchant,
            chargeback=chargeback,
            transaction=txn,
            method=Repayment.Method.MANUAL,
            amount=amount,
            currency=chargeback.currency,
            status=Repayment.Status.PAID,
            manual_method=manual_method,
            reference=reference,
            note=note,
            paid_at=occurred_at,
            actor=actor,
            created_at=now,
        )
        before = {"repaid_amount": chargeback.repaid_amount, "status": chargeback.status}
        _add_repaid(chargeback, amount)
        audit_record(
            merchant=chargeback.merchant,
            actor=actor,
            action=AuditAction.REPAYMENT_MANUAL_CREATE,
            target=repayment,
            now=now,
            customer=chargeback.customer,
            data={
                "amount": amount,
                "currency": chargeback.currency,
                "method": manual_method,
                "reference": reference,
                "before": before,
                "after": {"repaid_amount": chargeback.repaid_amount, "status": chargeback.status},
            },
        )
    return repayment


_MANUAL_METHOD_TYPES = {
    Repayment.ManualMethod.BANK_TRANSFER: Transaction.MethodType.BANK_TRANSFER,
    Repayment.ManualMethod.CASH: Transaction.MethodType.CASH,
    Repayment.ManualMethod.OTHER: Transaction.MethodType.OTHER,
}

PAID_SESSION_STATUSES = ("paid", "no_payment_required")


def repayment_record_paid(*, merchant, session: dict, now: datetime) -> Transaction | None:
    """Apply a completed Checkout Session of a repayment link (webhook `checkout.session.completed`).

    Creates the REPAYMENT transaction (provider_id = the session id, so a redelivered event changes nothing),
    marks the Repayment PAID and raises the chargeback's repaid amount (Repaid / Partially repaid).
    Returns the transaction, or None when the session is not a paid repayment (no teller_repayment_id, or an
    asynchronous payment not settled yet). A link paid after it was canceled or expired is still recorded:
    the money arrived.
    Raises RepaymentRefused (the repayment id is not one of this merchant's, or the currency does not match).
    """
    repayment_id = str((session.get("metadata") or {}).get("teller_repayment_id") or "")
    if not repayment_id or session.get("payment_status") not in PAID_SESSION_STATUSES:
        return None
    repayment = (
        Repayment.objects.for_merchant(merchant)
        .select_related("chargeback")
        .filter(pk=int(repayment_id))
        .first()
        if repayment_id.isascii() and repayment_id.isdigit() and len(repayment_id) <= 18
        else None
    )
    if repayment is None:
        raise RepaymentRefused(
            f"Checkout session {session.get('id')} names repayment {repayment_id}, which is unknown."
        )
    currency = (session.get("currency") or repayment.currency).lower()
    if currency != repayment.currency.lower():
        raise RepaymentRefused(
            f"Checkout session {session.get('id')} was paid in {currency}, not {repayment.currency}."
        )
    try:
        return _record_paid(repayment, session=session, now=now)
    except IntegrityError:
        # A concurrent delivery of the same event won the race on the unique provider id.
        return Transaction.objects.get(merchant=merchant, provider_id=session["id"])


def _record_paid(repayment: Repayment, *, session: dict, now: datetime) -> Transaction:
    with db_transaction.atomic():
        chargeback = _lock(repayment.chargeback)
        existing = Transaction.objects.filter(merchant=repayment.merchant, provider_id=session["id"]).first()
        if existing is not None:
            return existing
        repayment = Repayment.objects.select_for_update().get(pk=repayment.pk)
        amount = session.get("amount_total") or repayment.amount
        txn = _repayment_transaction(
            chargeback,
            amount=amount,
            occurred_at=now,
            provider_id=session["id"],
            method_type="",
            description="Repayment link",
        )
        before = {
            "repaid_amount": chargeback.repaid_amount,
            "status": chargeback.status,
            "repayment_status": repayment.status,
        }
        _add_repaid(chargeback, amount)
        if repayment.transaction_id is None:
            repayment.transaction = txn
            repayment.status = Repayment.Status.PAID
            repayment.paid_at = now
            repayment.save(update_fields=["transaction", "status", "paid_at", "updated_at"])
        audit_record(
            merchant=repayment.merchant,
            actor=None,
            action=AuditAction.REPAYMENT_PAID,
            target=repayment,
            now=now,
            customer=chargeback.customer,
            data={
                "session": session["id"],
                "amount": amount,
                "before": before,
                "after": {"repaid_amount": chargeback.repaid_amount, "status": chargeback.status},
            },
        )
    return txn
