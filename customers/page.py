"""Reads for the customer page (/customers/<public_id>/): one function per panel, a fixed number of queries.

Every function takes an already merchant-scoped `customer`; nothing here loops over a customer's rows in
Python beyond the page-sized slices it fetched, so a customer with 10,000 transactions costs the same number
of queries as one with 10 (tests/customers/test_customer_detail_queries.py holds us to it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Case, Count, F, Max, Min, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import TruncMonth

from access.models import AccessGrant
from audit.models import AuditAction, AuditEvent
from common.money import format_money
from providers.models import ProviderEvent
from purchases.models import Purchase
from transactions.models import Dispute, Note, Transaction
from transactions.rules import with_formal_dispute

from .activity import block_sentence, event_sentence, fold_notifications, staff_sentence
from .models import BlockEvent, Customer, CustomerIdentifier, PaymentMethod, ProviderKind

TABS = ("details", "transactions", "stats", "info", "activity")
TRANSACTIONS_PAGE_SIZE = 30
PRODUCTS_PAGE_SIZE = 10
PRODUCT_TRANSACTIONS_PAGE_SIZE = 20
ACTIVITY_PAGE_SIZE = 25
CHART_MONTHS = 12


# Header ------------------------------------------------------------------------------------------------


def header_context(customer: Customer) -> dict:
    """Header facts beyond the row: provider labels, whether a blocked detail was used, open disputes."""
    labels = dict(ProviderKind.choices)
    return {
        "providers": [labels.get(p, p) for p in customer.providers_used or []],
        "blocked_detail_used": Transaction.objects.filter(
            customer=customer, blocked_detail_used=True
        ).exists(),
        # Open disputes stay in view with their deadline, whatever repayment was recorded on the chargeback.
        "open_disputes": list(
            Dispute.objects.filter(transaction__customer=customer, status__in=Dispute.OPEN_STATUSES)
            .select_related("transaction")
            .order_by("due_by", "id")[:10]
        ),
    }


# Details tab --------------------------------------------------------------------------------------------


def last_transaction(customer: Customer) -> Transaction | None:
    """The customer's newest transaction with its product (1 query, served by txn_customer_recent_idx)."""
    return (
        Transaction.objects.filter(customer=customer)
        .select_related("purchase__product")
        .order_by("-occurred_at", "-id")
        .first()
    )


# Transactions tab ---------------------------------------------------------------------------------------


def customer_transactions(customer: Customer, *, request):
    """The filter form and one keyset page of the customer's transactions, newest first (1 query: the
    (customer, occurred_at, id) index walks in order and stops after a page, even for a whale)."""
    from common.pagination import Keyset, keyset_paginate

    from .filters import CustomerTransactionFilter

    base = Transaction.objects.filter(customer=customer).select_related("purchase__product", "dispute")
    filterset = CustomerTransactionFilter(request.GET or None, queryset=base, request=request)
    page = keyset_paginate(
        filterset.qs, request, Keyset("occurred_at", descending=True), per_page=TRANSACTIONS_PAGE_SIZE
    )
    return filterset, page


# Stats tab ----------------------------------------------------------------------------------------------


@dataclass
class CurrencyStats:
    currency: str
    sales: int = 0
    refunds: int = 0
    chargebacks: int = 0
    reversals: int = 0
    repayments: int = 0
    payments_count: int = 0
    refunds_count: int = 0
    chargebacks_count: int = 0

    @property
    def net(self) -> int:
        return self.sales - self.refunds - self.chargebacks + self.reversals + self.repayments

    @property
    def average_order(self) -> int | None:
        return round(self.sales / self.payments_count) if self.payments_count else None

    @property
    def refund_ratio(self) -> float:
        """Refunded amount over sales amount: a charge refunded in two parts is 100%, not 200% (a count
        ratio would count the parts)."""
        return 100 * self.refunds / self.sales if self.sales else 0.0

    @property
    def chargeback_ratio(self) -> float:
        return 100 * self.chargebacks_count / self.payments_count if self.payments_count else 0.0


@dataclass
class ChartBar:
    label: str
    month: datetime
    sales: int
    refunds: int
    x: float = 0
    sales_y: float = 0
    sales_h: float = 0
    refunds_x: float = 0
    refunds_y: float = 0
    refunds_h: float = 0
    label_x: float = 0


@dataclass
class Chart:
    currency: str
    bars: list[ChartBar] = field(default_factory=list)
    max_value: int = 0
    width: int = 1100
    height: int = 230
    plot_top: int = 14
    plot_bottom: int = 200
    bar_width: float = 0

    @property
    def is_empty(self) -> bool:
        return not any(b.sales or b.refunds for b in self.bars)

    @property
    def gridlines(self) -> list[dict]:
        span = self.plot_bottom - self.plot_top
        return [{"y": self.plot_bottom - span * f, "value": round(self.max_value * f)} for f in (0, 0.5, 1)]


_SUCCESS = Q(status__in=Transaction.SUCCESSFUL_STATUSES)


_TOTALS = (
    "sales",
    "payments_count",
    "refunds",
    "refunds_count",
    "chargebacks",
    "chargebacks_count",
    "reversals",
    "repayments",
)


def _monthly_totals(customer: Customer) -> list[dict]:
    """ONE aggregate query: every total per (currency, month). The rows are groups, not transactions: at most
    currencies x months of history, which the callers fold into per-currency totals and the chart."""
    K = Transaction.Kind
    charge = Q(kind=K.CHARGE) & _SUCCESS
    refund = Q(kind=K.REFUND, status=Transaction.Status.SUCCEEDED)
    return list(
        Transaction.objects.filter(customer=customer)
        .annotate(month=TruncMonth("occurred_at"))
        .values("currency", "month")
        .annotate(
            sales=Sum("amount", filter=charge, default=0),
            payments_count=Count("id", filter=charge),
            refunds=Sum("amount", filter=refund, default=0),
            refunds_count=Count("id", filter=refund),
            chargebacks=Sum("amount", filter=Q(kind=K.CHARGEBACK), default=0),
            chargebacks_count=Count("id", filter=Q(kind=K.CHARGEBACK)),
            reversals=Sum("amount", filter=Q(kind=K.CHARGEBACK_REVERSAL) & _SUCCESS, default=0),
            repayments=Sum("amount", filter=Q(kind=K.REPAYMENT) & _SUCCESS, default=0),
            first=Min("occurred_at", filter=charge),
            last=Max("occurred_at", filter=charge),
        )
        .order_by()
    )


def stats_context(customer: Customer, now: datetime) -> dict:
    """Per-currency totals, first/last purchase and the chart from one GROUP BY; live subscriptions (1)."""
    groups = _monthly_totals(customer)
    by_currency: dict[str, CurrencyStats] = {}
    for row in groups:
        stats = by_currency.setdefault(row["currency"], CurrencyStats(currency=row["currency"]))
        for name in _TOTALS:
            setattr(stats, name, getattr(stats, name) + row[name])
    per_currency = sorted(by_currency.values(), key=lambda c: (-c.sales, c.currency))
    firsts = [r["first"] for r in groups if r["first"]]
    lasts = [r["last"] for r in groups if r["last"]]
    active_subscriptions = Purchase.objects.filter(
        customer=customer, kind=Purchase.Kind.SUBSCRIPTION, status__in=Purchase.LIVE_STATUSES
    ).count()
    main = per_currency[0].currency if per_currency else None
    return {
        "per_currency": per_currency,
        "first_purchase_at": min(firsts, default=None),
        "last_purchase_at": max(lasts, default=None),
        "active_subscriptions": active_subscriptions,
        "chart": monthly_chart([r for r in groups if r["currency"] == main], main, now) if main else None,
    }


def _month_starts(now: datetime, months: int) -> list[datetime]:
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = [first]
    for _ in range(months - 1):
        starts.append((starts[-1] - timedelta(days=1)).replace(day=1))
    return list(reversed(starts))


def monthly_chart(groups: list[dict], currency: str, now: datetime) -> Chart:
    """Monthly sales and refunds of one currency over the last CHART_MONTHS months (from the groups)."""
    by_month = {(r["month"].year, r["month"].month): r for r in groups}
    chart = Chart(currency=currency)
    for start in _month_starts(now, CHART_MONTHS):
        row = by_month.get((start.year, start.month), {})
        chart.bars.append(ChartBar(start.strftime("%b"), start, row.get("sales", 0), row.get("refunds", 0)))
    _layout(chart)
    return chart


def _layout(chart: Chart) -> None:
    """Bar geometry in SVG user units, so the template only prints numbers."""
    left, right = 64, 8
    slot = (chart.width - left - right) / len(chart.bars)
    chart.bar_width = round(slot * 0.34, 1)
    chart.max_value = max([max(b.sales, b.refunds) for b in chart.bars] + [1])
    span = chart.plot_bottom - chart.plot_top
    for i, bar in enumerate(chart.bars):
        bar.x = round(left + i * slot + slot * 0.14, 1)
        bar.refunds_x = round(bar.x + chart.bar_width + 2, 1)
        bar.label_x = round(bar.x + chart.bar_width + 1, 1)
        bar.sales_h = round(span * bar.sales / chart.max_value, 1)
        bar.refunds_h = round(span * bar.refunds / chart.max_value, 1)
        bar.sales_y = round(chart.plot_bottom - bar.sales_h, 1)
        bar.refunds_y = round(chart.plot_bottom - bar.refunds_h, 1)


# Info tab -----------------------------------------------------------------------------------------------


def identifier_links(customer: Customer) -> list[CustomerIdentifier]:
    """Every detail of the customer with how many OTHER customers share it (1 query, count as subquery)."""
    others = (
        CustomerIdentifier.objects.filter(identifier=OuterRef("identifier"))
        .exclude(customer=customer)
        .order_by()
        .values("identifier")
        .annotate(n=Count("id"))
        .values("n")
    )
    return list(
        CustomerIdentifier.objects.filter(customer=customer)
        .select_related("identifier")
        .annotate(shared_with=Subquery(others))
        .order_by("identifier__kind", "identifier__display", "identifier_id")
    )


def identifier_log(identifier) -> list[BlockEvent]:
    return list(
        identifier.block_events.select_related("actor", "customer").order_by("-created_at", "-id")[:200]
    )


# Activity tab -------------------------------------------------------------------------------------------


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


# Products -----------------------------------------------------------------------------------------------

PRODUCT_GROUPS = (
    (Purchase.Kind.SUBSCRIPTION, "Subscriptions"),
    (Purchase.Kind.ONE_TIME, "One-time payments"),
    (Purchase.Kind.ACCESS_CODE, "Access codes"),
)


def _newest_txn(successful: bool = False):
    qs = Transaction.objects.filter(purchase=OuterRef("pk"))
    if successful:
        qs = qs.filter(kind=Transaction.Kind.CHARGE).filter(_SUCCESS)
    return Subquery(qs.order_by("-occurred_at", "-id").values("id")[:1])


def products(customer: Customer, *, page: int = 1) -> dict:
    """One page of purchases, grouped by kind, each with its last action and last successful payment.

    3 queries whatever the size: purchases (+ newest / newest successful transaction ids as subqueries),
    those transactions in one IN query, and the pending access removals.
    """
    page = max(page, 1)
    offset = (page - 1) * PRODUCTS_PAGE_SIZE
    kind_order = {k: i for i, (k, _) in enumerate(PRODUCT_GROUPS)}
    rows = list(
        Purchase.objects.filter(customer=customer)
        .select_related("product")
        .annotate(last_txn_id=_newest_txn(), last_success_id=_newest_txn(successful=True))
        .annotate(group=Case(*[When(kind=k, then=Value(i)) for k, i in kind_order.items()], default=Value(9)))
        .order_by("group", "-started_at", "-id")[offset : offset + PRODUCTS_PAGE_SIZE + 1]
    )
    has_next = len(rows) > PRODUCTS_PAGE_SIZE
    rows = rows[:PRODUCTS_PAGE_SIZE]
    ids = {p.last_txn_id for p in rows} | {p.last_success_id for p in rows}
    txns = with_formal_dispute(Transaction.objects).in_bulk([i for i in ids if i]) if rows else {}
    pending = _pending_removals([p.pk for p in rows])
    for p in rows:
        p.last_txn = txns.get(p.last_txn_id)
        p.last_success = txns.get(p.last_success_id)
        p.pending_grants = pending.get(p.pk, [])
        for txn in (p.last_txn, p.last_success):
            if txn is not None:
                txn.purchase = p  # the payment details print its product: no query per row
    groups = [(label, [p for p in rows if p.kind == k]) for k, label in PRODUCT_GROUPS]
    return {
        "groups": [g for g in groups if g[1]],
        "page": page,
        "has_next": has_next,
        "has_previous": page > 1,
        "is_empty": not rows and page == 1,
    }


def _pending_removals(purchase_ids: list[int]) -> dict[int, list[AccessGrant]]:
    if not purchase_ids:
        return {}
    out: dict[int, list[AccessGrant]] = {}
    grants = AccessGrant.objects.filter(
        purchase_id__in=purchase_ids, status=AccessGrant.Status.REVOKE_PENDING
    )
    for g in grants.select_related("chat"):
        out.setdefault(g.purchase_id, []).append(g)
    return out


def purchase_transactions(purchase: Purchase, *, page: int = 1) -> dict:
    """One page of a purchase's transactions, newest first (1 query; one extra row tells if there is more)."""
    page = max(page, 1)
    offset = (page - 1) * PRODUCT_TRANSACTIONS_PAGE_SIZE
    rows = list(
        with_formal_dispute(Transaction.objects.filter(purchase=purchase)).order_by("-occurred_at", "-id")[
            offset : offset + PRODUCT_TRANSACTIONS_PAGE_SIZE + 1
        ]
    )
    return {
        "transactions": rows[:PRODUCT_TRANSACTIONS_PAGE_SIZE],
        "page": page,
        "has_next": len(rows) > PRODUCT_TRANSACTIONS_PAGE_SIZE,
        "has_previous": page > 1,
    }


# Payment methods ----------------------------------------------------------------------------------------


def payment_methods(customer: Customer) -> list[PaymentMethod]:
    """Methods on file (not detached) with their identifier's blocked state (1 query)."""
    return list(
        PaymentMethod.objects.filter(customer=customer, detached_at__isnull=True)
        .select_related("identifier")
        .order_by("-is_default", "-created_at", "-id")[:50]
    )
