"""The customer page's Activity tab: one stream of the customer's transactions, provider notifications
(folded under the transaction they produced), staff actions, blocks and notes, newest first, keyset-paged."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import F, Q

from audit.models import AuditAction, AuditEvent
from common.money import format_money
from customers.models import BlockEvent, Customer, CustomerIdentifier
from providers.models import ProviderEvent
from transactions.models import Note, Transaction

from ..sentences import block_sentence, event_sentence, fold_notifications, staff_sentence

ACTIVITY_PAGE_SIZE = 25


@dataclass
class ActivityItem:
    at: datetime
    kind: str  # one of ACTIVITY_KINDS
    title: str
    obj: object
    actor: object = None
    detail: str = ""
    children: list = field(default_factory=list)  # provider notifications folded under this item


ACTIVITY_KINDS = {
    "payments": "Payments",
    "refunds": "Refunds",
    "disputes": "Disputes",
    "subscriptions": "Subscription changes",
    "staff": "Staff actions",
    "blocks": "Blocks",
    "notifications": "Provider notifications",
    "notes": "Notes",
}
_TXN_KINDS = {
    "payments": [
        Transaction.Kind.CHARGE,
        Transaction.Kind.REPAYMENT,
        Transaction.Kind.ADJUSTMENT,
        Transaction.Kind.FEE,
    ],
    "refunds": [Transaction.Kind.REFUND],
    "disputes": [Transaction.Kind.CHARGEBACK, Transaction.Kind.CHARGEBACK_REVERSAL],
}


def _txn_activity_kind(t: Transaction) -> str:
    return next((k for k, kinds in _TXN_KINDS.items() if t.kind in kinds), "payments")


def _txn_sentence(t: Transaction) -> str:
    """ "Charge of €49.00 succeeded", "Refund of €15.00 failed"."""
    return f"{t.get_kind_display()} of {format_money(t.amount, t.currency)} {t.get_status_display().lower()}"


def _transactions(customer, kind, before, n):
    # The stream prints only the product's name: one joined column, not two more model instances per row.
    qs = Transaction.objects.filter(customer=customer).annotate(product_name=F("purchase__product__name"))
    if kind:
        qs = qs.filter(kind__in=_TXN_KINDS[kind])
    if before:
        qs = qs.filter(occurred_at__lte=before)
    return [
        ActivityItem(
            t.occurred_at,
            _txn_activity_kind(t),
            _txn_sentence(t),
            t,
        )
        for t in qs.order_by("-occurred_at", "-id")[:n]
    ]


def _provider_events(customer, kind, before, n):
    # The raw payload can be large and the stream never shows it.
    qs = ProviderEvent.objects.filter(Q(customer=customer) | Q(purchase__customer=customer)).defer("payload")
    if kind == "subscriptions":
        qs = qs.filter(type__startswith="customer.subscription.")
    elif kind == "notifications":
        qs = qs.exclude(type__startswith="customer.subscription.")
    if before:
        qs = qs.filter(received_at__lte=before)
    items = []
    for e in qs.order_by("-received_at", "-id")[:n]:
        sub = e.type.startswith("customer.subscription.")
        kind = "subscriptions" if sub else "notifications"
        items.append(ActivityItem(e.received_at, kind, event_sentence(e), e))
    return items


def _audit_events(customer, before, n):
    # A note is shown once, as the note, and a block once, as the block log's row: their audit events would
    # repeat them.
    repeated = (AuditAction.NOTE_ADD, AuditAction.IDENTIFIER_BLOCK, AuditAction.IDENTIFIER_UNBLOCK)
    qs = AuditEvent.objects.filter(customer=customer).exclude(action__in=repeated)
    qs = qs.select_related("actor")
    if before:
        qs = qs.filter(created_at__lte=before)
    return [
        ActivityItem(a.created_at, "staff", staff_sentence(a), a, actor=a.actor, detail=a.target_repr)
        for a in qs.order_by("-created_at", "-id")[:n]
    ]


def _block_events(customer, before, n):
    linked = CustomerIdentifier.objects.filter(customer=customer).values("identifier")
    qs = BlockEvent.objects.filter(identifier__in=linked).select_related("actor", "identifier")
    if before:
        qs = qs.filter(created_at__lte=before)
    return [
        ActivityItem(
            b.created_at,
            "blocks",
            block_sentence(b),
            b,
            actor=b.actor,
            detail=b.get_reason_display() or b.reason_text,
        )
        for b in qs.order_by("-created_at", "-id")[:n]
    ]


def _notes(customer, before, n):
    # Only transaction_id is shown, so the transaction row itself is not loaded.
    qs = Note.objects.filter(Q(customer=customer) | Q(transaction__customer=customer)).select_related(
        "author"
    )
    if before:
        qs = qs.filter(created_at__lte=before)
    return [
        ActivityItem(x.created_at, "notes", "Note added", x, actor=x.author, detail=x.body)
        for x in qs.order_by("-created_at", "-id")[:n]
    ]


def activity(
    customer: Customer, *, kind: str = "", before: datetime | None = None, n: int = ACTIVITY_PAGE_SIZE
) -> dict:
    """One chronological stream, merged from SQL-bounded slices: the newest n+1 of each source, then cut to n.

    At most one query per source. `before` is inclusive: the next page starts AT the first instant not shown,
    and the page stops before that instant, so rows sharing a timestamp are never skipped. Every row newer
    than that instant was fetched: a source that filled its n+1 slice ends at or below it.
    """
    kind = kind if kind in ACTIVITY_KINDS else ""
    items: list[ActivityItem] = []
    if kind in ("", "payments", "refunds", "disputes"):
        items += _transactions(customer, kind, before, n + 1)
    if kind in ("", "subscriptions", "notifications"):
        items += _provider_events(customer, kind, before, n + 1)
    if kind in ("", "staff"):
        items += _audit_events(customer, before, n + 1)
    if kind in ("", "blocks"):
        items += _block_events(customer, before, n + 1)
    if kind in ("", "notes"):
        items += _notes(customer, before, n + 1)
    items.sort(key=lambda i: i.at, reverse=True)
    if len(items) <= n:
        return {"items": fold_notifications(items), "has_older": False, "older_before": None, "kind": kind}
    boundary = items[n].at
    page = [i for i in items[:n] if i.at > boundary]
    if not page:  # more than n rows in one instant: show n of them and move past that instant
        page, boundary = items[:n], boundary - timedelta(microseconds=1)
    return {"items": fold_notifications(page), "has_older": True, "older_before": boundary, "kind": kind}
