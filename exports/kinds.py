"""What each export is: the list's own filter class bound to the list's filters, the list's order, columns.

An export selects exactly what its list shows (every page of it): the same FilterSet / form, bound to the
same parameter names, the same base queryset and the same ordering. Cursor and page parameters are not
filters and are never kept. Nothing here reads a request: a background job rebuilds the rows from the
stored filters with `FilterContext(merchant)` standing in for the request the filters ask for.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.http import QueryDict

from audit import selectors as audit_selectors
from audit.forms import AuditFilterForm
from common.money import to_major
from common.pagination import Keyset
from customers.models import Customer
from desk.filters import CustomerFilter
from purchases import selectors as purchase_selectors
from purchases.forms import AccessCodeFilterForm
from transactions.filters import TransactionFilter
from transactions.forms import REASONS, DisputeFilter
from transactions.models import Dispute, Transaction
from transactions.selectors import NEWEST_FIRST, SOONEST_DUE_FIRST

from .models import ExportKind


@dataclass(frozen=True)
class FilterContext:
    """What the list filters read from a request: only the merchant (`request.merchant`)."""

    merchant: object


@dataclass(frozen=True)
class Kind:
    kind: str  # ExportKind value
    slug: str  # in URLs and file names
    permission: str  # besides "export": the permission that opens the list
    list_url: str  # the list page's URL name
    header: list[str]
    # bind(data, merchant) -> the list's form / FilterSet bound to the filters
    bind: Callable[[QueryDict, object], object]
    # rows(bound, merchant, now) -> the ordered queryset of everything the list shows
    rows: Callable[[object, object, datetime], QuerySet]
    row: Callable[[object], list]
    chunk_size: int = 2000

    def form_of(self, bound):
        """The Django form holding the fields and their errors (a FilterSet keeps it in `.form`)."""
        return getattr(bound, "form", bound)

    def csv_rows(self, queryset: QuerySet) -> Iterable[list]:
        return (self.row(obj) for obj in queryset.iterator(chunk_size=self.chunk_size))


def _iso(value) -> str:
    return value.isoformat() if value else ""


def _money(amount, currency) -> str:
    return str(to_major(amount, currency)) if amount is not None and currency else ""


def _yes(value) -> str:
    return "yes" if value else "no"


# --- Customers -------------------------------------------------------------------------------------------


def _customers_bind(data, merchant):
    base = Customer.objects.for_merchant(merchant)
    return CustomerFilter(data, queryset=base, request=FilterContext(merchant))


def _customers_rows(filterset, merchant, now):
    keyset = Keyset("first_purchase_at", descending=not filterset.is_oldest_first)
    return filterset.qs.order_by(*keyset.order_by())


def _customer_row(c) -> list:
    return [
        c.public_id,
        c.name,
        c.email,
        c.provider_customer_id or "",
        "; ".join(c.providers_used or []),
        _yes(c.is_blocked),
        _yes(c.used_access_code),
        _iso(c.first_purchase_at),
    ]


# --- Transactions ----------------------------------------------------------------------------------------


def _transactions_bind(data, merchant):
    base = Transaction.objects.for_merchant(merchant).select_related("customer", "purchase__product")
    return TransactionFilter(data, queryset=base, request=FilterContext(merchant))


def _transactions_rows(filterset, merchant, now):
    return filterset.qs.order_by(*NEWEST_FIRST.order_by())


def _transaction_row(t) -> list:
    product = t.purchase.product.name if t.purchase_id and t.purchase.product_id else ""
    return [
        _iso(t.occurred_at),
        t.provider_id or "",
        t.kind,
        t.status,
        _money(t.amount, t.currency),
        t.currency.upper(),
        _money(t.refunded_amount, t.currency),
        t.customer.public_id if t.customer_id else "",
        t.customer.email if t.customer_id else "",
        product,
        t.method_type,
        t.method_brand,
        _yes(t.blocked_detail_used),
        t.reason,
    ]


# --- Disputes --------------------------------------------------------------------------------------------


def _disputes_bind(data, merchant):
    base = Dispute.objects.for_merchant(merchant).select_related("transaction__customer")
    return DisputeFilter(data, queryset=base, request=FilterContext(merchant))


def _disputes_rows(filterset, merchant, now):
    return filterset.qs.order_by(*SOONEST_DUE_FIRST.order_by())


def _dispute_row(d) -> list:
    customer = d.transaction.customer
    return [
        d.provider_id,
        d.status,
        REASONS.get(d.reason, d.reason),
        _money(d.amount, d.currency),
        d.currency.upper(),
        _iso(d.due_by),
        _yes(d.has_evidence),
        d.submission_count,
        d.transaction.provider_id or "",
        customer.public_id if customer else "",
        customer.email if customer else "",
    ]


# --- Access codes ----------------------------------------------------------------------------------------


def _codes_bind(data, merchant):
    return AccessCodeFilterForm(data, merchant=merchant)


def _codes_rows(form, merchant, now):
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    return purchase_selectors.access_code_list(
        merchant=merchant,
        now=now,
        status=data.get("status", ""),
        product=data.get("product"),
        batch=data.get("batch", ""),
        q=data.get("q", ""),
    ).select_related("redeemed_by")


def _code_row(code) -> list:
    return [
        code.code,
        "; ".join(p.name for p in code.products.all()),
        code.duration_label,
        code.batch,
        purchase_selectors.access_code_state(code),
        code.redeemed_by.email if code.redeemed_by else "",
        _iso(code.redeemed_at),
        _iso(code.created_at),
    ]


# --- Audit -----------------------------------------------------------------------------------------------


def _audit_bind(data, merchant):
    return AuditFilterForm(data, merchant=merchant, actions=audit_selectors.action_choices(merchant))


def _audit_rows(form, merchant, now):
    filters = form.filters() if form.is_bound else {}
    return audit_selectors.audit_events(merchant, **filters)


def _audit_row(event) -> list:
    return [
        event.created_at.isoformat(),
        event.actor.email if event.actor else "system",
        event.action,
        event.target_type,
        event.target_id,
        event.target_repr,
        event.customer.public_id if event.customer else "",
        json.dumps(event.data, default=str, ensure_ascii=False, sort_keys=True),
        event.request_id,
    ]


KINDS: dict[str, Kind] = {
    k.slug: k
    for k in (
        Kind(
            ExportKind.CUSTOMERS,
            "customers",
            "view",
            "customers:list",
            [
                "customer_id",
                "name",
                "email",
                "provider_customer_id",
                "providers",
                "blocked",
                "used_access_code",
                "customer_since",
            ],
            _customers_bind,
            _customers_rows,
            _customer_row,
        ),
        Kind(
            ExportKind.TRANSACTIONS,
            "transactions",
            "view",
            "transactions:list",
            [
                "occurred_at",
                "transaction_id",
                "type",
                "status",
                "amount",
                "currency",
                "refunded",
                "customer_id",
                "customer_email",
                "product",
                "payment_method",
                "brand",
                "blocked_detail_used",
                "reason",
            ],
            _transactions_bind,
            _transactions_rows,
            _transaction_row,
        ),
        Kind(
            ExportKind.DISPUTES,
            "disputes",
            "view",
            "transactions:disputes",
            [
                "dispute_id",
                "status",
                "reason",
                "amount",
                "currency",
                "evidence_due_by",
                "has_evidence",
                "submissions",
                "charge_id",
                "customer_id",
                "customer_email",
            ],
            _disputes_bind,
            _disputes_rows,
            _dispute_row,
        ),
        Kind(
            ExportKind.ACCESS_CODES,
            "access-codes",
            "view",
            "purchases:access-codes",
            ["code", "products", "duration", "batch", "status", "redeemed_by", "redeemed_at", "created_at"],
            _codes_bind,
            _codes_rows,
            _code_row,
            chunk_size=500,
        ),
        Kind(
            ExportKind.AUDIT,
            "audit",
            "audit.view",
            "audit:list",
            [
                "time",
                "actor",
                "action",
                "target_type",
                "target_id",
                "target",
                "customer",
                "data",
                "request_id",
            ],
            _audit_bind,
            _audit_rows,
            _audit_row,
            chunk_size=500,
        ),
    )
}
BY_KIND: dict[str, Kind] = {k.kind: k for k in KINDS.values()}


def filter_data(kind: Kind, params: QueryDict | dict) -> QueryDict:
    """Only the list's own filter fields (no cursor, page or token), each value kept as given."""
    data = QueryDict(mutable=True)
    getlist = params.getlist if hasattr(params, "getlist") else (lambda n: list(params.get(n) or []))
    for name in field_names(kind):
        values = [v for v in getlist(name) if isinstance(v, str) and v != ""]
        if values:
            data.setlist(name, values)
    return data


_FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "customers": tuple(CustomerFilter.base_filters),
    "transactions": tuple(TransactionFilter.base_filters),
    "disputes": tuple(DisputeFilter.base_filters),
    "access-codes": tuple(AccessCodeFilterForm.base_fields),
    "audit": tuple(AuditFilterForm.base_fields),
}


def field_names(kind: Kind) -> tuple[str, ...]:
    return _FIELD_NAMES[kind.slug]
