"""The "Needs attention" queue: computed from the live state of the domain apps (through their selectors).

Each kind is one bounded query (at most PER_KIND rows) plus one query for the claims, whatever the number
of rows, so the page costs the same at 1 or 1M customers. A row leaves the queue when its object no longer
matches (the removal succeeded, the credit settled, the event was replayed, ...): nothing is copied."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.urls import reverse

from access.selectors import customers_sharing_telegram_with_blocked, removals_pending
from customers.models import Customer
from customers.selectors import customers_linked_to_blocked
from merchants.permissions import has_permission
from providers.selectors import events_needing_attention
from refunds.selectors import credits_pending, repayment_links_expiring
from transactions.selectors import blocked_detail_payments, disputes_due_within

from .models import AttentionClaim, AttentionKind

PER_KIND = 50
NAV_CAP = 99
DISPUTE_WITHIN = timedelta(days=7)
REPAYMENT_WITHIN = timedelta(hours=24)


@dataclass
class Action:
    label: str
    url: str
    # "get" (a link), "post" (a form with CSRF, sent by htmx: the queue refreshes), "replay" (a plain POST
    # form: the replay view redirects to the event) or "modal" (hx-get into #modal)
    method: str = "get"


@dataclass
class Row:
    kind: str
    key: str
    title: str
    reason: str
    since: datetime | None
    href: str  # what Enter opens
    action: Action
    customer: object = None
    claim: AttentionClaim | None = field(default=None)

    @property
    def kind_label(self) -> str:
        return AttentionKind(self.kind).label

    @property
    def dom_id(self) -> str:
        return f"attention-{self.kind.lower()}-{self.key}"


def _customer_url(customer) -> str:
    return reverse("customers:detail", args=[customer.public_id]) if customer else ""


def _txn_url(pk) -> str:
    return reverse("transactions:detail", args=[pk])


def _removals(merchant, now, membership, limit):
    can_retry = has_permission(membership, "purchase.cancel")
    for grant in removals_pending(merchant)[:limit]:
        customer = grant.purchase.customer
        chat = grant.chat.title or grant.chat.username or str(grant.chat.chat_id)
        reason = f"Removal from {chat} not done"
        reason += f": {grant.last_error}" if grant.last_error else " yet"
        href = _customer_url(customer)
        action = (
            Action("Retry removal", reverse("access:access-retry", args=[grant.purchase_id]), "post")
            if can_retry
            else Action("Open customer", href)
        )
        yield Row(
            AttentionKind.REMOVAL,
            str(grant.pk),
            chat,
            reason,
            grant.revoke_requested_at,
            href,
            action,
            customer,
        )


def _credits(merchant, now, membership, limit):
    for credit in credits_pending(merchant)[:limit]:
        href = _txn_url(credit.transaction_id)
        reason = "Credit still pending at the provider"
        if credit.failure_message:
            reason += f": {credit.failure_message}"
        yield Row(
            AttentionKind.CREDIT,
            str(credit.pk),
            f"Credit of {credit.transaction.provider_id or credit.transaction_id}",
            reason,
            credit.created_at,
            href,
            Action("Open transaction", href),
            credit.transaction.customer,
        )


def _events(merchant, now, membership, limit):
    can_replay = has_permission(membership, "event.replay")
    for event in events_needing_attention(merchant)[:limit]:
        href = reverse("providers:event-detail", args=[event.pk])
        if event.status == "WAITING":
            reason = f"Waiting for {event.waiting_for_type} {event.waiting_for_id}"
            since = event.waiting_since or event.received_at
            action = Action("Open event", href)
        else:
            reason = f"Failed: {event.error}" if event.error else "Failed"
            since = event.processed_at or event.received_at
            action = (
                Action("Replay event", reverse("providers:event-replay", args=[event.pk]), "replay")
                if can_replay
                else Action("Open event", href)
            )
        yield Row(
            AttentionKind.EVENT,
            str(event.pk),
            f"{event.type} {event.provider_event_id}",
            reason,
            since,
            href,
            action,
        )


def _disputes(merchant, now, membership, limit):
    can_respond = has_permission(membership, "dispute.respond")
    for dispute in disputes_due_within(merchant, now, within=DISPUTE_WITHIN)[:limit]:
        href = _txn_url(dispute.transaction_id)
        action = (
            Action("Respond", reverse("transactions:dispute-respond", args=[dispute.pk]), "modal")
            if can_respond
            else Action("Open dispute", href)
        )
        yield Row(
            AttentionKind.DISPUTE,
            str(dispute.pk),
            f"Dispute {dispute.provider_id}",
            "Evidence due",
            dispute.due_by,
            href,
            action,
            dispute.transaction.customer,
        )


def _repayments(merchant, now, membership, limit):
    for repayment in repayment_links_expiring(merchant, now, within=REPAYMENT_WITHIN)[:limit]:
        href = _txn_url(repayment.chargeback_id)
        yield Row(
            AttentionKind.REPAYMENT,
            str(repayment.pk),
            f"Repayment link for {repayment.chargeback.provider_id or repayment.chargeback_id}",
            "Link expires soon, not paid",
            repayment.expires_at,
            href,
            Action("Open chargeback", href),
            repayment.chargeback.customer,
        )


def _blocked_payments(merchant, now, membership, limit):
    for txn in blocked_detail_payments(merchant)[:limit]:
        href = _txn_url(txn.pk)
        yield Row(
            AttentionKind.BLOCKED_PAYMENT,
            str(txn.pk),
            f"Payment {txn.provider_id or txn.pk}",
            "Paid with a blocked detail (not refunded)",
            txn.occurred_at,
            href,
            Action("Open transaction", href),
            txn.customer,
        )


def linked_to_blocked(merchant):
    """Customers not blocked who share a card, an email or a Telegram account with a blocked customer."""
    by_detail = customers_linked_to_blocked(merchant).order_by().values("id")
    by_telegram = customers_sharing_telegram_with_blocked(merchant).order_by().values("id")
    return Customer.objects.for_merchant(merchant).filter(pk__in=by_detail.union(by_telegram))


def _linked_customers(merchant, now, membership, limit):
    """Card or email first (the stronger link), then Telegram accounts; each customer once."""
    seen: set[int] = set()
    sources = (
        (customers_linked_to_blocked(merchant), "Shares a card or an email with a blocked customer"),
        (
            customers_sharing_telegram_with_blocked(merchant),
            "Shares a Telegram account with a blocked customer",
        ),
    )
    for queryset, why in sources:
        for customer in queryset[:limit]:
            if customer.pk in seen or len(seen) >= limit:
                continue
            seen.add(customer.pk)
            href = _customer_url(customer)
            yield Row(
                AttentionKind.LINKED_CUSTOMER,
                str(customer.pk),
                customer.name or customer.email or customer.public_id,
                why,
                customer.first_purchase_at,
                href,
                Action("Open customer", href),
                customer,
            )


SOURCES = {
    AttentionKind.REMOVAL: _removals,
    AttentionKind.CREDIT: _credits,
    AttentionKind.EVENT: _events,
    AttentionKind.DISPUTE: _disputes,
    AttentionKind.REPAYMENT: _repayments,
    AttentionKind.BLOCKED_PAYMENT: _blocked_payments,
    AttentionKind.LINKED_CUSTOMER: _linked_customers,
}

# The queryset behind each kind, for the navigation's count (ids only, no joins).
COUNTERS = {
    AttentionKind.REMOVAL: lambda merchant, now: removals_pending(merchant),
    AttentionKind.CREDIT: lambda merchant, now: credits_pending(merchant),
    AttentionKind.EVENT: lambda merchant, now: events_needing_attention(merchant),
    AttentionKind.DISPUTE: lambda merchant, now: disputes_due_within(merchant, now, within=DISPUTE_WITHIN),
    AttentionKind.REPAYMENT: lambda merchant, now: repayment_links_expiring(
        merchant, now, within=REPAYMENT_WITHIN
    ),
    AttentionKind.BLOCKED_PAYMENT: lambda merchant, now: blocked_detail_payments(merchant),
    AttentionKind.LINKED_CUSTOMER: lambda merchant, now: linked_to_blocked(merchant),
}


def attention_rows(*, merchant, membership, now: datetime, kind: str = "", mine=None, limit: int = PER_KIND):
    """The queue's rows (oldest "since" first), with their claims. `kind` keeps one kind; `mine` (a user)
    keeps the rows that user has taken. Returns (rows, truncated kinds)."""
    rows: list[Row] = []
    truncated: list[str] = []
    for name, source in SOURCES.items():
        if kind and name != kind:
            continue
        found = list(source(merchant, now, membership, limit + 1))
        if len(found) > limit:
            truncated.append(name)
            found = found[:limit]
        rows.extend(found)
    if rows:
        claims = AttentionClaim.objects.filter(
            merchant=merchant, kind__in={r.kind for r in rows}, key__in={r.key for r in rows}
        ).select_related("claimed_by")
        by_key = {(c.kind, c.key): c for c in claims}
        for row in rows:
            row.claim = by_key.get((row.kind, row.key))
    if mine is not None:
        rows = [r for r in rows if r.claim and r.claim.claimed_by_id == mine.pk]
    far = datetime.max.replace(tzinfo=now.tzinfo)
    rows.sort(key=lambda r: r.since or far)
    return rows, truncated


def attention_count(merchant, now: datetime, *, cap: int = NAV_CAP) -> int:
    """How many rows the queue has, up to cap + 1 (the navigation shows "99+"): one id-only query of at
    most cap + 1 ids per kind, always all of them (the same statements on every page)."""
    total = 0
    for counter in COUNTERS.values():
        total += len(list(counter(merchant, now).order_by().values_list("id", flat=True)[: cap + 1]))
    return min(total, cap + 1)


def row_exists(*, merchant, kind: str, key: str, now: datetime) -> bool:
    """Whether (kind, key) names a row of this merchant's queue now (a claim can only take a live row)."""
    if kind not in COUNTERS or not key.isdigit() or len(key) > 18:
        return False
    return COUNTERS[kind](merchant, now).filter(pk=int(key)).exists()
