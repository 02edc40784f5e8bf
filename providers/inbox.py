"""The inbox: store every provider event raw, enqueue it, and apply it exactly once.

event_store runs in the webhook request (fast: one insert); event_enqueue hands the id to Celery after the
commit; event_process (in the worker) locks the event row with SKIP LOCKED so two deliveries of the same
task can never apply it twice, applies the object through providers.apply, and records the outcome.
"""

import logging
from datetime import UTC, datetime

from django.db import IntegrityError, OperationalError, transaction

from .apply import NotYetKnown, apply_object
from .base import ProviderUnavailable
from .models import ProviderEvent

logger = logging.getLogger(__name__)

# Event types Teller applies; any other type is stored and marked IGNORED.
APPLIED_TYPES = frozenset(
    {
        "customer.created", "customer.updated", "customer.deleted",
        "payment_method.attached", "payment_method.detached", "payment_method.updated",
        "payment_method.automatically_updated",
        "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
        "customer.subscription.paused", "customer.subscription.resumed",
        "customer.subscription.pending_update_applied",
        "customer.subscription.trial_will_end",
        "invoice.paid", "invoice.payment_failed", "invoice.payment_succeeded",
        "charge.succeeded", "charge.failed", "charge.refunded", "charge.updated", "charge.captured",
        "charge.pending", "charge.expired",
        "refund.created", "refund.updated", "refund.failed", "charge.refund.updated",
        "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed",
        "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated",
        "checkout.session.completed", "checkout.session.async_payment_succeeded",
    }
)  # fmt: skip

# Failures worth retrying: the database or provider was briefly unavailable, or a related object is late.
TRANSIENT_ERRORS = (OperationalError, ProviderUnavailable, NotYetKnown)


def event_store(*, merchant, event: dict, now: datetime) -> tuple[ProviderEvent, bool]:
    """Insert the raw event; a delivery of an event already stored returns (existing, False)."""
    data_object = (event.get("data") or {}).get("object") or {}
    row = ProviderEvent(
        merchant=merchant,
        provider="STRIPE",
        provider_event_id=event["id"],
        type=event.get("type") or "",
        object_id=str(data_object.get("id") or "")[:255],
        payload=event,
        livemode=bool(event.get("livemode")),
        provider_created_at=datetime.fromtimestamp(int(event.get("created") or now.timestamp()), tz=UTC),
        received_at=now,
    )
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():  # a savepoint, so a duplicate does not break the caller's transaction
                row.save(force_insert=True)
        else:
            row.save(force_insert=True)  # the webhook request: one INSERT in autocommit, no BEGIN/COMMIT
        return row, True
    except IntegrityError:
        return ProviderEvent.objects.get(merchant=merchant, provider_event_id=event["id"]), False


def event_enqueue(provider_event: ProviderEvent) -> None:
    """Queue the event for a worker once the surrounding transaction commits.

    If the broker is down the event stays RECEIVED; the periodic sweep enqueues it later.
    """
    event_id = provider_event.pk
    transaction.on_commit(lambda: send_to_worker(event_id))


def send_to_worker(event_id: int) -> bool:
    from .tasks import process_event

    try:
        process_event.apply_async((event_id,), retry=False)
        return True
    except Exception:  # the broker is unreachable: the sweep picks the event up later
        logger.warning("provider event %s not enqueued (broker unavailable); left for the sweep", event_id)
        return False


def event_process(*, event_id: int, now: datetime, final_attempt: bool = True) -> ProviderEvent | None:
    """Apply a stored event once. Returns None when another worker holds it right now.

    A transient failure leaves it RECEIVED (to be retried) unless this is the final attempt; any other failure
    marks it FAILED. The error is kept on the row and re-raised so the task can decide to retry.
    """
    failure = None
    with transaction.atomic():
        event = (
            ProviderEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("merchant")
            .filter(pk=event_id)
            .first()
        )
        if event is None or event.status in (ProviderEvent.Status.PROCESSED, ProviderEvent.Status.IGNORED):
            return event
        event.attempts += 1
        event.processed_at = now
        if event.type not in APPLIED_TYPES:
            event.status, event.error = ProviderEvent.Status.IGNORED, ""
        else:
            linked = (event.customer_id, event.purchase_id)
            try:
                with transaction.atomic():
                    event.apply_note = ""
                    event.inbox_saves_links = True
                    obj = (event.payload.get("data") or {}).get("object") or {}
                    apply_object(merchant=event.merchant, obj=obj, now=now, event=event)
                event.status, event.error = ProviderEvent.Status.PROCESSED, event.apply_note
            except Exception as exc:  # recorded on the row; re-raised below for the task's retry policy
                failure = exc
                event.customer_id, event.purchase_id = linked  # what the rolled-back apply linked is gone
                transient = isinstance(exc, TRANSIENT_ERRORS)
                event.status = (
                    ProviderEvent.Status.RECEIVED
                    if transient and not final_attempt
                    else ProviderEvent.Status.FAILED
                )
                event.error = f"{type(exc).__name__}: {exc}"[:5000]
                if event.status == ProviderEvent.Status.FAILED:
                    logger.exception("provider event %s failed", event.provider_event_id)
        event.save(update_fields=["status", "error", "attempts", "processed_at", "customer", "purchase"])
    if failure is not None:
        raise failure
    return event


def event_replay(*, event: ProviderEvent) -> None:
    """Put a FAILED or IGNORED event back in the queue (staff replay, manage.py replay_events)."""
    with transaction.atomic():
        updated = ProviderEvent.objects.filter(
            pk=event.pk, status__in=[ProviderEvent.Status.FAILED, ProviderEvent.Status.IGNORED]
        ).update(status=ProviderEvent.Status.RECEIVED, error="")
        if updated:
            event_enqueue(event)
