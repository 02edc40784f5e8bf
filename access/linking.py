"""Which Telegram account belongs to which buyer: deep links (/start <token>), Stripe metadata, staff.

An account (merchant + telegram_user_id) belongs to one customer. Linking never silently moves an account
that already belongs to someone else: /start and metadata refuse, only staff can move it (audited).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction

from audit.models import AuditAction
from audit.services import audit_record

from .models import AccessGrant, LinkToken, TelegramAccount
from .services import _enqueue_invites, access_grants_for_customer, connected_bot

logger = logging.getLogger(__name__)

METADATA_KEY = "telegram_user_id"


class LinkError(Exception):
    """A link that cannot be made; `message` is safe to show (to staff, or to the member in Telegram)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def deep_link(*, bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


def link_token_redeem(*, merchant, token: str, user_id: int, username: str, now: datetime) -> TelegramAccount:
    """/start <token>: link the sender to the token's buyer. Raises LinkError with a polite reply."""
    with transaction.atomic():
        link = (
            LinkToken.objects.select_for_update()
            .select_related("purchase__customer")
            .filter(merchant=merchant, token=token)
            .first()
        )
        if link is None:
            raise LinkError("Sorry, this link is not valid. Please use the link from your purchase.")
        if link.used_at is not None:
            if link.used_by_id and link.used_by.telegram_user_id == user_id:
                return link.used_by  # the same person pressing Start again: nothing new
            raise LinkError(
                "Sorry, this link has already been used by another Telegram account. "
                "If that was not you, please contact the seller's support."
            )
        customer = link.purchase.customer
        account = _account_for(
            merchant=merchant, customer=customer, user_id=user_id, username=username, now=now
        )
        if account.customer_id != customer.pk:
            raise LinkError(
                "This Telegram account is already linked to another buyer. "
                "Please contact the seller's support."
            )
        account.linked_via = TelegramAccount.LinkedVia.DEEP_LINK
        account.save(update_fields=["linked_via"])
        link.used_at, link.used_by = now, account
        link.save(update_fields=["used_at", "used_by"])
        audit_record(
            merchant=merchant,
            actor=None,
            action=AuditAction.TELEGRAM_LINK,
            target=account,
            now=now,
            customer=customer,
            data={"via": "deep_link", "telegram_user_id": user_id, "purchase": link.purchase_id},
        )
        access_grants_for_customer(customer=customer, now=now)
    return account


def _account_for(*, merchant, customer, user_id: int, username: str, now: datetime) -> TelegramAccount:
    account, created = TelegramAccount.objects.get_or_create(
        merchant=merchant,
        telegram_user_id=user_id,
        defaults={"customer": customer, "username": username[:64], "linked_at": now},
    )
    if not created and username and account.username != username[:64]:
        account.username = username[:64]
        account.save(update_fields=["username"])
    return account


def telegram_link_from_metadata(*, merchant, customer, metadata: dict | None, now: datetime) -> None:
    """`telegram_user_id` in the Stripe metadata of a customer, subscription or checkout session.

    Called inside the apply transaction. A value that is not a Telegram user id is ignored (logged); an
    account already linked to another customer is left to staff.
    """
    raw = str((metadata or {}).get(METADATA_KEY) or "").strip()
    if not raw or customer is None:
        return
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18 or not 0 < int(raw) < 2**52:
        logger.info("telegram_metadata_ignored", extra={"value": raw[:40]})
        return
    user_id = int(raw)
    existing = TelegramAccount.objects.filter(merchant=merchant, telegram_user_id=user_id).first()
    if existing is not None:
        return  # known already (to this customer, or a conflict staff must settle)
    account = TelegramAccount.objects.create(
        merchant=merchant,
        customer=customer,
        telegram_user_id=user_id,
        linked_via=TelegramAccount.LinkedVia.METADATA,
        linked_at=now,
    )
    audit_record(
        merchant=merchant,
        actor=None,
        action=AuditAction.TELEGRAM_LINK,
        target=account,
        now=now,
        customer=customer,
        data={"via": "metadata", "telegram_user_id": user_id},
    )
    access_grants_for_customer(customer=customer, now=now)
    if connected_bot(merchant.pk):
        transaction.on_commit(lambda: _enqueue_invites(account.pk))


def account_link_set(
    *, actor, now: datetime, merchant, customer, telegram_user_id: int, username: str = ""
) -> TelegramAccount:
    """Staff link (or move) a Telegram account to `customer`. Moving ends the access the old customer's
    purchases gave (removal is KEPT where the new customer's purchases give the same chat)."""
    with transaction.atomic():
        account = (
            TelegramAccount.objects.select_for_update()
            .filter(merchant=merchant, telegram_user_id=telegram_user_id)
            .first()
        )
        before = account.customer.public_id if account else None
        if account is None:
            account = TelegramAccount.objects.create(
                merchant=merchant,
                customer=customer,
                telegram_user_id=telegram_user_id,
                username=username[:64],
                linked_via=TelegramAccount.LinkedVia.STAFF,
                linked_at=now,
            )
        elif account.customer_id != customer.pk:
            old_grants = list(
                account.grants.filter(status=AccessGrant.Status.ACTIVE).values_list("pk", flat=True)
            )
            account.customer, account.linked_via, account.linked_at = (
                customer,
                TelegramAccount.LinkedVia.STAFF,
                now,
            )
            account.save(update_fields=["customer", "linked_via", "linked_at"])
            _revoke_later(old_grants, now)
        else:
            raise LinkError(f"Telegram account {telegram_user_id} is already linked to this customer.")
        audit_record(
            merchant=merchant,
            actor=actor,
            action=AuditAction.TELEGRAM_LINK,
            target=account,
            now=now,
            customer=customer,
            data={"via": "staff", "before": before, "after": customer.public_id},
        )
        access_grants_for_customer(customer=customer, now=now)
        if connected_bot(merchant.pk):
            transaction.on_commit(lambda: _enqueue_invites(account.pk))
    return account


def _revoke_later(grant_ids: list[int], now: datetime) -> None:
    from .tasks import revoke_grant  # tasks import services, which this module builds on

    AccessGrant.objects.filter(pk__in=grant_ids).update(
        status=AccessGrant.Status.REVOKE_PENDING, revoke_requested_at=now
    )
    for grant_id in grant_ids:
        transaction.on_commit(lambda grant_id=grant_id: revoke_grant.delay(grant_id))
