"""Reads for the customer page (/customers/<public_id>/): one function per panel, a fixed number of queries.

Every function takes an already merchant-scoped `customer`; nothing here loops over a customer's rows in
Python beyond the page-sized slices it fetched, so a customer with 10,000 transactions costs the same number
of queries as one with 10 (tests/customers/test_customer_detail_queries.py holds us to it).
"""

from __future__ import annotations

from django.db.models import Case, Count, OuterRef, Q, Subquery, Value, When

from access.models import AccessGrant
from common.pagination import Keyset, keyset_paginate
from customers.models import BlockEvent, Customer, CustomerIdentifier, PaymentMethod, ProviderKind
from purchases.models import Purchase
from transactions.models import Dispute, Transaction
from transactions.rules import with_formal_dispute

from ..filters import CustomerTransactionFilter

_SUCCESS = Q(status__in=Transaction.SUCCESSFUL_STATUSES)
TABS = ("details", "transactions", "stats", "info", "activity")
TRANSACTIONS_PAGE_SIZE = 30
PRODUCTS_PAGE_SIZE = 10
PRODUCT_TRANSACTIONS_PAGE_SIZE = 20


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
    base = Transaction.objects.filter(customer=customer).select_related("purchase__product", "dispute")
    filterset = CustomerTransactionFilter(request.GET or None, queryset=base, request=request)
    page = keyset_paginate(
        filterset.qs, request, Keyset("occurred_at", descending=True), per_page=TRANSACTIONS_PAGE_SIZE
    )
    return filterset, page


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
