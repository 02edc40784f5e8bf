"""Repayments of chargebacks: a payment link the customer pays (recorded by the webhook), or money recorded
by hand.

The rule that holds everything together: repayments never exceed what is outstanding, where

    outstanding = chargeback.amount - chargeback.repaid_amount - amounts of the open (unexpired) links

An open link *reserves* its amount, so a link for the full amount and a manual repayment cannot both be
recorded; cancel the link first. Every check runs with the chargeback row locked (select_for_update).
Money that arrives anyway (a link paid after a manual repayment was recorded elsewhere) is still recorded as
a REPAYMENT transaction, but the chargeback's repaid_amount is capped at its amount.

This module: the rules and the payment links; repayment_records.py records the money (by hand, a paid link).
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction as db_transaction
from django.db.models import Q, Sum

from audit.models import AuditAction
from audit.services import audit_record
from common.money import format_money
from payments.base import ProviderError
from payments.registry import get_provider
from refunds.models import Repayment
from transactions.models import Transaction

from .errors import RepaymentRefused

# How long a repayment link stays payable when the provider does not say (Stripe Payment Links never expire).
LINK_TTL = timedelta(days=7)


def _provider(merchant):
    # One seam for the tests' fake provider (tests/refunds/conftest.py).
    return get_provider(merchant)


def open_links(chargeback: Transaction, *, now: datetime):
    """Links the customer can still pay: PENDING and not past their expiry (expiry is checked on read too)."""
    return Repayment.objects.filter(
        chargeback=chargeback, method=Repayment.Method.LINK, status=Repayment.Status.PENDING
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def chargeback_outstanding(chargeback: Transaction, *, now: datetime) -> int:
    """What may still be asked for or recorded: the chargeback less repaid money and open links' amounts."""
    reserved = open_links(chargeback, now=now).aggregate(total=Sum("amount"))["total"] or 0
    return max(chargeback.amount - chargeback.repaid_amount - reserved, 0)


def _check_chargeback(chargeback: Transaction) -> None:
    if chargeback.kind != Transaction.Kind.CHARGEBACK:
        raise RepaymentRefused("Repayments can only be added to a chargeback.")
    if chargeback.status == Transaction.Status.WON:
        raise RepaymentRefused("This chargeback was won: the money came back, nothing is owed.")


def _lock(chargeback: Transaction) -> Transaction:
    return Transaction.objects.select_for_update().get(pk=chargeback.pk)


def _check_amount(amount: int, outstanding: int) -> None:
    if outstanding <= 0:
        raise RepaymentRefused("Nothing is outstanding on this chargeback (open links reserve their amount).")
    if amount <= 0:
        raise RepaymentRefused("Enter an amount greater than zero.", field="amount")
    if amount > outstanding:
        raise RepaymentRefused(
            "The amount is more than what is outstanding on this chargeback.", field="amount"
        )


def _add_repaid(chargeback: Transaction, amount: int) -> None:
    """Raise repaid_amount (capped at the chargeback's amount) and set Repaid / Partially repaid."""
    chargeback.repaid_amount = min(chargeback.amount, chargeback.repaid_amount + amount)
    chargeback.status = (
        Transaction.Status.REPAID
        if chargeback.repaid_amount >= chargeback.amount
        else Transaction.Status.PARTIALLY_REPAID
    )
    chargeback.save(update_fields=["repaid_amount", "status", "updated_at"])


def _repayment_transaction(
    chargeback: Transaction,
    *,
    amount: int,
    occurred_at: datetime,
    method_type: str,
    provider_id: str | None,
    description: str,
) -> Transaction:
    return Transaction.objects.create(
        merchant=chargeback.merchant,
        customer=chargeback.customer,
        purchase=chargeback.purchase,
        parent=chargeback,
        kind=Transaction.Kind.REPAYMENT,
        status=Transaction.Status.SUCCEEDED,
        amount=amount,
        currency=chargeback.currency,
        method_type=method_type,
        provider_id=provider_id,
        description=description,
        occurred_at=occurred_at,
    )


def _timestamp(value) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def repayment_link_create(
    *, actor, now: datetime, chargeback: Transaction, amount: int | None = None
) -> Repayment:
    """Reserve `amount` (None: all that is outstanding) and ask the provider for a payment link.

    The Repayment row is created PENDING and committed before the provider call (never a DB transaction across
    the network), so the reservation holds while the link is being made.
    Raises RepaymentRefused (not a chargeback, nothing outstanding, amount too big, the provider refused).
    """
    _check_chargeback(chargeback)
    with db_transaction.atomic():
        chargeback = _lock(chargeback)
        outstanding = chargeback_outstanding(chargeback, now=now)
        amount = outstanding if amount is None else amount
        _check_amount(amount, outstanding)
        repayment = Repayment.objects.create(
            merchant=chargeback.merchant,
            chargeback=chargeback,
            method=Repayment.Method.LINK,
            amount=amount,
            currency=chargeback.currency,
            status=Repayment.Status.PENDING,
            actor=actor,
            created_at=now,
            expires_at=now + LINK_TTL,
        )
        audit_record(
            merchant=chargeback.merchant,
            actor=actor,
            action=AuditAction.REPAYMENT_LINK_CREATE,
            target=repayment,
            now=now,
            customer=chargeback.customer,
            data={"amount": amount, "currency": chargeback.currency},
        )
    try:
        link = _provider(chargeback.merchant).repayment_link_create(
            amount=amount,
            currency=chargeback.currency,
            description=f"Repayment of chargeback {chargeback.provider_id or chargeback.pk}",
            metadata={"teller_repayment_id": str(repayment.pk), "teller_chargeback_id": str(chargeback.pk)},
            idempotency_key=f"teller-repayment-{repayment.pk}",
        )
    except ProviderError as exc:
        _link_failed(repayment, actor=actor, now=now, message=exc.message)
        raise RepaymentRefused(f"The provider could not create the link: {exc.message}") from exc
    with db_transaction.atomic():
        repayment.link_url = link.get("url") or ""
        repayment.provider_link_id = link.get("id")
        repayment.expires_at = _timestamp(link.get("expires_at")) or repayment.expires_at
        repayment.save(update_fields=["link_url", "provider_link_id", "expires_at", "updated_at"])
        audit_record(
            merchant=chargeback.merchant,
            actor=actor,
            action=AuditAction.REPAYMENT_LINK_READY,
            target=repayment,
            now=now,
            customer=chargeback.customer,
            data={
                "provider_link_id": repayment.provider_link_id,
                "expires_at": repayment.expires_at.isoformat(),
            },
        )
    return repayment


def _link_failed(repayment: Repayment, *, actor, now: datetime, message: str) -> None:
    """Release the reservation of a link the provider did not make."""
    with db_transaction.atomic():
        repayment.status = Repayment.Status.CANCELED
        repayment.note = f"The provider could not create the link: {message}"
        repayment.save(update_fields=["status", "note", "updated_at"])
        audit_record(
            merchant=repayment.merchant,
            actor=actor,
            action=AuditAction.REPAYMENT_LINK_FAIL,
            target=repayment,
            now=now,
            customer=repayment.chargeback.customer,
            data={"error": message},
        )


def repayment_link_cancel(*, actor, now: datetime, repayment: Repayment) -> Repayment:
    """Deactivate an open link at the provider, then mark it CANCELED (its reservation is released).

    Raises RepaymentRefused (not an open link, already paid meanwhile, the provider refused).
    """
    if repayment.method != Repayment.Method.LINK or repayment.status != Repayment.Status.PENDING:
        raise RepaymentRefused("Only an open repayment link can be canceled.")
    if _expired(repayment, now):
        repayments_expire(now=now)  # it cannot be paid any more: record that instead of canceling
        repayment.refresh_from_db()
        return repayment
    if repayment.provider_link_id:
        try:
            _provider(repayment.merchant).repayment_link_cancel(link_id=repayment.provider_link_id)
        except ProviderError as exc:
            raise RepaymentRefused(f"The provider could not cancel the link: {exc.message}") from exc
    with db_transaction.atomic():
        repayment = Repayment.objects.select_for_update().get(pk=repayment.pk)
        if repayment.status != Repayment.Status.PENDING:
            # The webhook recorded a payment while we were talking to the provider: keep what happened.
            raise RepaymentRefused(f"The link is already {repayment.get_status_display().lower()}.")
        repayment.status = Repayment.Status.CANCELED
        repayment.save(update_fields=["status", "updated_at"])
        audit_record(
            merchant=repayment.merchant,
            actor=actor,
            action=AuditAction.REPAYMENT_LINK_CANCEL,
            target=repayment,
            now=now,
            customer=repayment.chargeback.customer,
        )
    return repayment


def repayment_link_email(*, actor, now: datetime, repayment: Repayment) -> str:
    """Email the open link to the chargeback's customer; returns the address it went to.

    Raises RepaymentRefused (the link is not open, the customer has no email address).
    """
    if repayment.status != Repayment.Status.PENDING or not repayment.link_url or _expired(repayment, now):
        raise RepaymentRefused("Only an open repayment link can be emailed.")
    customer = repayment.chargeback.customer
    if customer is None or not customer.email:
        raise RepaymentRefused("This customer has no email address.")
    subject, body = _link_email(repayment)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [customer.email])
    with db_transaction.atomic():
        audit_record(
            merchant=repayment.merchant,
            actor=actor,
            action=AuditAction.REPAYMENT_LINK_EMAIL,
            target=repayment,
            now=now,
            customer=customer,
            data={"to": customer.email},
        )
    return customer.email


def _expired(repayment: Repayment, now: datetime) -> bool:
    return repayment.expires_at is not None and repayment.expires_at <= now


def _link_email(repayment: Repayment) -> tuple[str, str]:
    chargeback, merchant = repayment.chargeback, repayment.merchant
    charge = chargeback.parent
    name = chargeback.customer.name or "there"
    paid = (
        f"Your payment of {format_money(charge.amount, charge.currency)} on {charge.occurred_at:%d %B %Y}"
        if charge
        else "A payment of yours"
    )
    expiry = (
        f"\nThe link is valid until {repayment.expires_at:%d %B %Y, %H:%M} UTC.\n"
        if repayment.expires_at
        else ""
    )
    subject = f"Settle your disputed payment to {merchant.name}"
    body = (
        f"Hello {name},\n\n"
        f"{paid} to {merchant.name} was disputed with your bank (a chargeback), "
        "so the money went back to you.\n\n"
        f"To settle it, you can pay back {format_money(repayment.amount, repayment.currency)} "
        "securely here:\n\n"
        f"{repayment.link_url}\n"
        f"{expiry}\n"
        "If you think this is a mistake, simply reply to this email.\n\n"
        f"Kind regards,\n{merchant.name}\n"
    )
    return subject, body


def repayments_expire(*, now: datetime) -> int:
    """Expire open links past their expiry (deactivated at the provider, best effort); returns how many."""
    count = 0
    due = Repayment.objects.filter(
        method=Repayment.Method.LINK, status=Repayment.Status.PENDING, expires_at__lte=now
    ).select_related("merchant", "chargeback")
    for repayment in due:
        if repayment.provider_link_id:
            try:
                _provider(repayment.merchant).repayment_link_cancel(link_id=repayment.provider_link_id)
            except ProviderError:
                # Checkout sessions expire on their own; a link paid anyway is still recorded.
                pass
        with db_transaction.atomic():
            locked = Repayment.objects.select_for_update().get(pk=repayment.pk)
            if locked.status != Repayment.Status.PENDING:
                continue
            locked.status = Repayment.Status.EXPIRED
            locked.save(update_fields=["status", "updated_at"])
            audit_record(
                merchant=locked.merchant,
                actor=None,
                action=AuditAction.REPAYMENT_LINK_EXPIRE,
                target=locked,
                now=now,
                customer=repayment.chargeback.customer,
            )
            count += 1
    return count
