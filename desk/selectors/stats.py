"""The customer page's Stats tab: totals per currency and the monthly chart from one GROUP BY."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncMonth

from customers.models import Customer
from purchases.models import Purchase
from transactions.models import Transaction

from ..charts import monthly_chart


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
