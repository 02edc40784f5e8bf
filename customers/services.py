"""Blocking and unblocking customer details (issue 5).

A detail (Identifier) is merchant-wide: blocking it blocks it for every customer who used it. Each state
transition writes one BlockEvent and one AuditEvent in the same transaction; a no-op writes nothing.
The Identifier row is locked (select_for_update) while it changes, so two staff changing the same detail
at once are serialised: the second sees the first's result, and both transitions are in the log.
"""

from datetime import datetime

import structlog
from django.db import transaction
from django.db.models import Exists, OuterRef

from audit.models import AuditAction
from audit.services import audit_record
from merchants.models import Membership
from merchants.permissions import has_permission

from . import tasks
from .identifiers import normalize_email
from .models import BlockEvent, Customer, CustomerIdentifier, Identifier
from .plans import customer_identifiers, mirrors_to_radar  # the sets the modals preview
from .signals import subscriptions_cancel_requested

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
        return _transition(
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
        return _transition(
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
        _enqueue_radar_sync(locked.pk)
    _copy_state(locked, identifier)


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
            event = _transition(
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
        _ensure_customer_id_identifier(customer, now=now)
        events = _transition_all(
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
        events = _transition_all(
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


# --- internals --------------------------------------------------------------------------------------


def _transition(
    *, actor, now, identifier, blocked, customer, reason, reason_text, source
) -> BlockEvent | None:
    """Move one detail to `blocked` under a row lock. Must run inside transaction.atomic()."""
    locked = Identifier.objects.select_for_update().select_related("merchant").get(pk=identifier.pk)
    if locked.is_blocked == blocked:
        _copy_state(locked, identifier)
        return None
    locked.is_blocked = blocked
    locked.blocked_at = now if blocked else None
    fields = ["is_blocked", "blocked_at", "updated_at"]
    if mirrors_to_radar(locked):
        locked.radar_status, locked.radar_error = Identifier.SyncStatus.PENDING, ""
        fields += ["radar_status", "radar_error"]
        _enqueue_radar_sync(locked.pk)
    locked.save(update_fields=fields)
    action = BlockEvent.Action.BLOCK if blocked else BlockEvent.Action.UNBLOCK
    event = BlockEvent.objects.create(
        merchant=locked.merchant,
        identifier=locked,
        action=action,
        actor=_user_or_none(actor),
        reason=reason or "",
        reason_text=reason_text or "",
        source=source,
        customer=customer,
        created_at=now,
    )
    if locked.kind == Identifier.Kind.CUSTOMER_ID:
        _sync_customer_flags(locked)
    audit_record(
        merchant=locked.merchant,
        actor=actor,
        action=AuditAction.IDENTIFIER_BLOCK if blocked else AuditAction.IDENTIFIER_UNBLOCK,
        target=locked,
        now=now,
        customer=customer,
        data={
            "kind": locked.kind,
            "before": {"is_blocked": not blocked},
            "after": {"is_blocked": blocked},
            "reason": reason,
            "reason_text": reason_text,
            "source": source,
        },
    )
    _copy_state(locked, identifier)
    return event


def _transition_all(*, actor, now, customer, blocked, reason, reason_text, source) -> list[BlockEvent]:
    events = []
    # The details block_all_plan / unblock_all_plan list: those not yet in the target state change.
    for identifier in customer_identifiers(customer).order_by("pk"):
        event = _transition(
            actor=actor,
            now=now,
            identifier=identifier,
            blocked=blocked,
            customer=customer,
            reason=reason,
            reason_text=reason_text,
            source=source,
        )
        if event:
            events.append(event)
    return events


def _sync_customer_flags(identifier: Identifier) -> None:
    """Customer.is_blocked mirrors "one of my CUSTOMER_ID details is blocked", for every linked customer."""
    blocked_ids = CustomerIdentifier.objects.filter(
        customer=OuterRef("pk"), identifier__kind=Identifier.Kind.CUSTOMER_ID, identifier__is_blocked=True
    )
    linked = CustomerIdentifier.objects.filter(identifier=identifier).values("customer_id")
    Customer.objects.filter(pk__in=linked).update(is_blocked=Exists(blocked_ids))


def _ensure_customer_id_identifier(customer: Customer, *, now) -> None:
    """The customer ID detail, so a block-all also marks the customer blocked (sync normally creates it)."""
    if customer_identifiers(customer).filter(kind=Identifier.Kind.CUSTOMER_ID).exists():
        return
    value = customer.provider_customer_id or customer.public_id
    identifier, _ = Identifier.objects.get_or_create(
        merchant=customer.merchant, kind=Identifier.Kind.CUSTOMER_ID, value=value, defaults={"display": value}
    )
    CustomerIdentifier.objects.get_or_create(
        customer=customer, identifier=identifier, defaults={"first_seen_at": now, "last_seen_at": now}
    )


def _enqueue_radar_sync(identifier_id: int) -> None:
    transaction.on_commit(lambda: tasks.radar_sync_identifier.delay(identifier_id))


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


def _user_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _copy_state(source: Identifier, target: Identifier) -> None:
    """Keep the caller's instance in step with the row we changed."""
    if source is target:
        return
    for field in ("is_blocked", "blocked_at", "radar_status", "radar_error", "radar_item_id"):
        setattr(target, field, getattr(source, field))


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
