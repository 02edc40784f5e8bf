"""Blocking and unblocking customer details (issue 5).

A detail (Identifier) is merchant-wide: blocking it blocks it for every customer who used it. Each state
transition writes one BlockEvent and one AuditEvent in the same transaction; a no-op writes nothing.
The Identifier row is locked (select_for_update) while it changes, so two staff changing the same detail
at once are serialised: the second sees the first's result, and both transitions are in the log.
"""

from datetime import datetime

import structlog
from django.db import transaction

from audit.models import AuditAction
from audit.services import audit_record
from merchants.models import Membership
from merchants.permissions import has_permission

from .identifiers import normalize_email
from .models import BlockEvent, Customer, Identifier
from .plans import customer_identifiers  # the sets the modals preview
from .signals import subscriptions_cancel_requested
from .transitions import (
    copy_state,
    enqueue_radar_sync,
    ensure_customer_id_identifier,
    transition,
    transition_all,
)

log = structlog.get_logger(__name__)


class BlockingError(Exception):
    """A block / unblock request that cannot be applied. `message` is shown to staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UnblockNotAllowed(BlockingError):
    """The actor's role may block but not unblock (permission "identifier.unblock")."""


# --- reads used by sync and the views ------------------------------------------------------------


def email_is_blocked(merchant, email: str) -> bool:
    """True when `email` (any case, with or without a "+tag") is a blocked EMAIL detail of `merchant`."""
    value = normalize_email(email)
    if not value:
        return False
    return (
        Identifier.objects.for_merchant(merchant)
        .filter(kind=Identifier.Kind.EMAIL, value=value, is_blocked=True)
        .exists()
    )


def actor_may_unblock(actor, merchant) -> bool:
    return _has_permission(actor, merchant, "identifier.unblock")


# --- single detail --------------------------------------------------------------------------------


def identifier_block(
    *,
    actor,
    now: datetime,
    identifier: Identifier,
    customer: Customer | None = None,
    reason: str,
    reason_text: str = "",
    source: str = BlockEvent.Source.MANUAL,
) -> BlockEvent | None:
    """Block one detail for every customer linked to it. Returns the BlockEvent, or None if already blocked.

    Raises BlockingError for an invalid reason.
    """
    _check_reason(reason, reason_text)
    with transaction.atomic():
        return transition(
            actor=actor,
            now=now,
            identifier=identifier,
            blocked=True,
            customer=customer,
            reason=reason,
            reason_text=reason_text,
            source=source,
        )


def identifier_unblock(
    *,
    actor,
    now: datetime,
    identifier: Identifier,
    customer: Customer | None = None,
    reason: str = "",
    reason_text: str = "",
    source: str = BlockEvent.Source.MANUAL,
) -> BlockEvent | None:
    """Unblock one detail. Returns the BlockEvent, or None if it was not blocked.

    Raises UnblockNotAllowed unless the actor is a manager or owner of the merchant; BlockingError for an
    invalid reason.
    """
    _require_unblock(actor, identifier.merchant)
    _check_reason(reason, reason_text)
    with transaction.atomic():
        return transition(
            actor=actor,
            now=now,
            identifier=identifier,
            blocked=False,
            customer=customer,
            reason=reason,
            reason_text=reason_text,
            source=source,
        )


def identifier_radar_retry(*, actor, now: datetime, identifier: Identifier) -> None:
    """Queue the Radar mirror of a detail again (after it FAILED). Raises BlockingError if not mirrored."""
    with transaction.atomic():
        locked = Identifier.objects.select_for_update().get(pk=identifier.pk)
        if locked.radar_status == Identifier.SyncStatus.NONE:
            raise BlockingError("This detail is not mirrored to Stripe Radar.")
        locked.radar_status = Identifier.SyncStatus.PENDING
        locked.radar_error = ""
        locked.save(update_fields=["radar_status", "radar_error", "updated_at"])
        audit_record(
            merchant=locked.merchant,
            actor=actor,
            action=AuditAction.IDENTIFIER_RADAR_RETRY,
            target=locked,
            now=now,
        )
        enqueue_radar_sync(locked.pk)
    copy_state(locked, identifier)


# --- several details (the modal) ----------------------------------------------------------------


def identifiers_apply(
    *,
    actor,
    now: datetime,
    customer: Customer,
    changes: dict[int, bool],
    reason: str = "",
    reason_text: str = "",
) -> list[BlockEvent]:
    """Apply the modal's toggles: {identifier id: blocked?}. All or nothing.

    Raises BlockingError if an id is not a detail of `customer` (nothing changed), UnblockNotAllowed if a
    detail would be unblocked by a support agent (nothing changed).
    """
    _check_reason(reason, reason_text)
    identifiers = {i.pk: i for i in customer_identifiers(customer).filter(pk__in=list(changes))}
    unknown = set(changes) - set(identifiers)
    if unknown:
        raise BlockingError("Some of these details do not belong to this customer. Reload and try again.")
    if any(blocked is False for blocked in changes.values()):
        _require_unblock(actor, customer.merchant)
    events = []
    with transaction.atomic():
        for pk in sorted(changes):  # a fixed lock order: two concurrent saves cannot deadlock
            event = transition(
                actor=actor,
                now=now,
                identifier=identifiers[pk],
                blocked=changes[pk],
                customer=customer,
                reason=reason,
                reason_text=reason_text,
                source=BlockEvent.Source.MANUAL,
            )
            if event:
                events.append(event)
    return events


def customer_block_all(
    *,
    actor,
    now: datetime,
    customer: Customer,
    reason: str,
    reason_text: str = "",
    source: str = BlockEvent.Source.BLOCK_ALL,
    cancel_subscriptions: bool = False,
) -> list[BlockEvent]:
    """Block every detail of the customer, including the customer ID (created if sync has not yet).

    With cancel_subscriptions, the customer's live subscriptions are canceled immediately at the provider
    once the block has committed (a failed cancellation is logged and leaves the block in place).
    Raises BlockingError for an invalid reason.
    """
    _check_reason(reason, reason_text)
    with transaction.atomic():
        ensure_customer_id_identifier(customer, now=now)
        events = transition_all(
            actor=actor,
            now=now,
            customer=customer,
            blocked=True,
            reason=reason,
            reason_text=reason_text,
            source=source,
        )
        audit_record(
            merchant=customer.merchant,
            actor=actor,
            action=AuditAction.CUSTOMER_BLOCK_ALL,
            target=customer,
            now=now,
            customer=customer,
            data={
                "blocked": len(events),
                "reason": reason,
                "source": source,
                "cancel_subscriptions": cancel_subscriptions,
            },
        )
        if cancel_subscriptions:
            # After the commit: the receiver calls the provider, never inside a database transaction.
            transaction.on_commit(
                lambda: subscriptions_cancel_requested.send(
                    sender=Customer, customer=customer, actor=actor, now=now
                )
            )
    customer.is_blocked = True
    return events


def customer_unblock_all(
    *,
    actor,
    now: datetime,
    customer: Customer,
    reason: str = "",
    reason_text: str = "",
    source: str = BlockEvent.Source.UNBLOCK_ALL,
) -> list[BlockEvent]:
    """Unblock every detail of the customer. Raises UnblockNotAllowed for support agents."""
    _require_unblock(actor, customer.merchant)
    _check_reason(reason, reason_text)
    with transaction.atomic():
        events = transition_all(
            actor=actor,
            now=now,
            customer=customer,
            blocked=False,
            reason=reason,
            reason_text=reason_text,
            source=source,
        )
        audit_record(
            merchant=customer.merchant,
            actor=actor,
            action=AuditAction.CUSTOMER_UNBLOCK_ALL,
            target=customer,
            now=now,
            customer=customer,
            data={"unblocked": len(events), "reason": reason, "source": source},
        )
    customer.refresh_from_db(fields=["is_blocked"])
    return events


# --- rules ----------------------------------------------------------------------------------------------


def _check_reason(reason: str, reason_text: str) -> None:
    if reason and reason not in BlockEvent.Reason.values:
        raise BlockingError("Choose one of the listed reasons.")
    if reason == BlockEvent.Reason.OTHER and not (reason_text or "").strip():
        raise BlockingError("Describe the reason when you choose “Other”.")
    if len(reason_text or "") > BlockEvent._meta.get_field("reason_text").max_length:
        raise BlockingError("The reason is too long (500 characters at most).")


check_block_reason = _check_reason  # for flows that block several customers: check once, before any write


def _require_unblock(actor, merchant) -> None:
    if not _has_permission(actor, merchant, "identifier.unblock"):
        raise UnblockNotAllowed("Only a manager or the owner can unblock customer details.")


def _has_permission(actor, merchant, permission: str) -> bool:
    if not getattr(actor, "is_authenticated", False):
        return False
    membership = Membership.objects.active().filter(user=actor, merchant=merchant).first()
    return has_permission(membership, permission)


__all__ = [
    "BlockingError",
    "UnblockNotAllowed",
    "email_is_blocked",
    "actor_may_unblock",
    "identifier_block",
    "identifier_unblock",
    "identifier_radar_retry",
    "identifiers_apply",
    "customer_block_all",
    "customer_unblock_all",
]
