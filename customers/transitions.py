"""One customer detail's change of state, under its row lock: the BlockEvent and the audit event of the
change, the Radar mirror queued after commit, `Customer.is_blocked` kept in step for every customer linked
to it. The services in `services.py` decide what changes (with the plans in `plans.py`) and call these
inside their transaction."""

from django.db import transaction
from django.db.models import Exists, OuterRef

from audit.models import AuditAction
from audit.services import audit_record

from . import tasks
from .models import BlockEvent, Customer, CustomerIdentifier, Identifier
from .plans import customer_identifiers, mirrors_to_radar


def transition(
    *, actor, now, identifier, blocked, customer, reason, reason_text, source
) -> BlockEvent | None:
    """Move one detail to `blocked` under a row lock. Must run inside transaction.atomic()."""
    locked = Identifier.objects.select_for_update().select_related("merchant").get(pk=identifier.pk)
    if locked.is_blocked == blocked:
        copy_state(locked, identifier)
        return None
    locked.is_blocked = blocked
    locked.blocked_at = now if blocked else None
    fields = ["is_blocked", "blocked_at", "updated_at"]
    if mirrors_to_radar(locked):
        locked.radar_status, locked.radar_error = Identifier.SyncStatus.PENDING, ""
        fields += ["radar_status", "radar_error"]
        enqueue_radar_sync(locked.pk)
    locked.save(update_fields=fields)
    action = BlockEvent.Action.BLOCK if blocked else BlockEvent.Action.UNBLOCK
    event = BlockEvent.objects.create(
        merchant=locked.merchant,
        identifier=locked,
        action=action,
        actor=user_or_none(actor),
        reason=reason or "",
        reason_text=reason_text or "",
        source=source,
        customer=customer,
        created_at=now,
    )
    if locked.kind == Identifier.Kind.CUSTOMER_ID:
        sync_customer_flags(locked)
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
    copy_state(locked, identifier)
    return event


def transition_all(*, actor, now, customer, blocked, reason, reason_text, source) -> list[BlockEvent]:
    events = []
    # The details block_all_plan / unblock_all_plan list: those not yet in the target state change.
    for identifier in customer_identifiers(customer).order_by("pk"):
        event = transition(
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


def sync_customer_flags(identifier: Identifier) -> None:
    """Customer.is_blocked mirrors "one of my CUSTOMER_ID details is blocked", for every linked customer."""
    blocked_ids = CustomerIdentifier.objects.filter(
        customer=OuterRef("pk"), identifier__kind=Identifier.Kind.CUSTOMER_ID, identifier__is_blocked=True
    )
    linked = CustomerIdentifier.objects.filter(identifier=identifier).values("customer_id")
    Customer.objects.filter(pk__in=linked).update(is_blocked=Exists(blocked_ids))


def ensure_customer_id_identifier(customer: Customer, *, now) -> None:
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


def enqueue_radar_sync(identifier_id: int) -> None:
    transaction.on_commit(lambda: tasks.radar_sync_identifier.delay(identifier_id))


def user_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def copy_state(source: Identifier, target: Identifier) -> None:
    """Keep the caller's instance in step with the row we changed."""
    if source is target:
        return
    for field in ("is_blocked", "blocked_at", "radar_status", "radar_error", "radar_item_id"):
        setattr(target, field, getattr(source, field))
