"""The customer's Activity tab reads as sentences, and the provider's notifications sit under what they did.

    "Charge of €49.00 succeeded"                        (a transaction; page.py)
    "Subscription to Premium scheduled to cancel on 7 Dec 2026 by Olivia Owens"
    "Credit of €15.00 requested by Olivia Owens"
    "Blocked card Visa •••• 4242 by Olivia Owens"
    "Subscription ended"                                (a provider notification with no transaction)

A webhook event that produced a transaction shown on the same page is folded under that transaction
(`fold_notifications`): the stream shows the domain event once, its raw notifications in a disclosure.
"""

from __future__ import annotations

import datetime as dt

from audit.models import AuditAction
from common.dates import format_day
from common.money import format_money
from providers.models import ProviderEvent


def _by(actor) -> str:
    if actor is None:
        return ""
    return f" by {actor.get_full_name() or actor.email}"


def _day(value) -> str:
    try:
        return format_day(dt.datetime.fromisoformat(value)) if value else ""
    except (TypeError, ValueError):
        return ""


def _product(target_repr: str) -> str:
    """A purchase's audit target reads "Premium (Active)": the product's name is before the status."""
    name = target_repr.rsplit(" (", 1)[0].strip()
    return f" to {name}" if name else ""


def staff_sentence(event) -> str:
    """One sentence for a staff action (an AuditEvent), with who did it."""
    data = event.data if isinstance(event.data, dict) else {}
    after = data.get("after") if isinstance(data.get("after"), dict) else {}
    by = _by(event.actor)
    action = event.action
    if action == AuditAction.SUBSCRIPTION_CANCEL and (
        data.get("at_period_end") or after.get("cancel_at_period_end")
    ):
        on = _day(after.get("cancel_at"))
        return f"Subscription{_product(event.target_repr)} scheduled to cancel{f' on {on}' if on else ''}{by}"
    if action in (AuditAction.SUBSCRIPTION_CANCEL, AuditAction.SUBSCRIPTION_CANCEL_NOW):
        return f"Subscription{_product(event.target_repr)} canceled now{by}"
    if action == AuditAction.SUBSCRIPTION_RECOVER:
        return f"Subscription{_product(event.target_repr)} recovered: it renews again{by}"
    if action == AuditAction.PURCHASE_CANCEL:
        return f"Purchase of {event.target_repr.rsplit(' (', 1)[0]} canceled{by}"
    if action == AuditAction.CREDIT_CREATE and isinstance(data.get("amount"), int):
        return f"Credit of {format_money(data['amount'], str(data.get('currency') or ''))} requested{by}"
    if action in (AuditAction.IDENTIFIER_BLOCK, AuditAction.IDENTIFIER_UNBLOCK):
        verb = "Blocked" if action == AuditAction.IDENTIFIER_BLOCK else "Unblocked"
        return f"{verb} {event.target_repr}{by}"
    try:
        label = AuditAction(action).label
    except ValueError:  # an action recorded before it was listed (kept readable, never a 500)
        label = str(action).replace(".", " ").replace("_", " ").capitalize()
    return f"{label}{by}"


def block_sentence(block) -> str:
    """ "Blocked card Visa •••• 4242 by Olivia Owens"."""
    identifier = block.identifier
    return (
        f"{block.get_action_display()} {identifier.get_kind_display().lower()} {identifier}{_by(block.actor)}"
    )


_EVENT_SENTENCES = {
    "customer.subscription.created": "Subscription started",
    "customer.subscription.updated": "Subscription updated",
    "customer.subscription.deleted": "Subscription ended",
    "customer.subscription.paused": "Subscription paused",
    "customer.subscription.resumed": "Subscription resumed",
    "customer.subscription.trial_will_end": "Trial ends soon",
    "customer.created": "Customer created at the provider",
    "customer.updated": "Customer updated at the provider",
    "invoice.paid": "Invoice paid",
    "invoice.payment_failed": "Invoice payment failed",
    "charge.dispute.created": "Dispute opened",
    "charge.dispute.closed": "Dispute closed",
}


def event_sentence(event: ProviderEvent) -> str:
    """What a provider notification says, in words; the raw type is shown beside it."""
    return _EVENT_SENTENCES.get(event.type) or event.type.replace("_", " ").replace(".", " ").capitalize()


def fold_notifications(items: list) -> list:
    """Moves each provider notification that produced a transaction on this page under that transaction.

    One query (the event ↔ transaction links of the page's notifications). Items gain `children`.
    """
    txn_items = {item.obj.pk: item for item in items if item.kind in ("payments", "refunds", "disputes")}
    events = {item.obj.pk: item for item in items if isinstance(item.obj, ProviderEvent)}
    if not txn_items or not events:
        return items
    links = ProviderEvent.transactions.through.objects.filter(
        providerevent_id__in=list(events), transaction_id__in=list(txn_items)
    ).values_list("providerevent_id", "transaction_id")
    folded = set()
    for event_id, txn_id in links:
        if event_id in folded:
            continue
        txn_items[txn_id].children.append(events[event_id])
        folded.add(event_id)
    for item in txn_items.values():
        item.children.sort(key=lambda child: child.at)
    return [item for item in items if not (isinstance(item.obj, ProviderEvent) and item.obj.pk in folded)]
