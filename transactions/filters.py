"""The transactions table's search and filters (django-filter). Values come from the URL: one that does not
validate (an unknown status, a malformed date, a huge string) is ignored with a note, never an error page."""

import re
from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from customers import filters as customer_filters
from customers.filters import search_filter
from customers.models import Customer

from .models import Transaction

CUSTOMERS_MAX = 100
PROVIDER_ID_RE = re.compile(r"^(ch|py|re|dp|pi|pyr|du|txn)_[A-Za-z0-9_]+$")


def search_q(term: str, merchant=None) -> Q:
    """A provider id (ch_, py_, re_, dp_, pi_ ...) matches exactly; anything else finds the customers the
    customers list would (`customers.filters.search_q`: public id, email, cus_ id, name or email fragment,
    short prefixes) and then their transactions.

    The customers come first, one indexed query capped at CUSTOMERS_MAX: "customer_id IN (…)" then walks
    (customer, occurred_at) in order and stops after a page, where a join would sort all of a big customer's
    transactions, or walk the merchant's whole table to find a rare name."""
    term = term.strip()
    if PROVIDER_ID_RE.match(term):
        return Q(provider_id=term)
    customers = Customer.objects.filter(merchant=merchant).filter(customer_filters.search_q(term, merchant))
    ids = list(customers.order_by().values_list("pk", flat=True)[:CUSTOMERS_MAX])
    return Q(customer_id__in=ids)


def start_of_day(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


class TransactionFilter(django_filters.FilterSet):
    q = search_filter(
        placeholder="Customer name, email, ID or ch_ / re_ / dp_ id", aria_label="Search transactions"
    )
    type = django_filters.ChoiceFilter(
        field_name="kind", choices=Transaction.Kind.choices, label="Type", empty_label="All types"
    )
    status = django_filters.ChoiceFilter(
        choices=Transaction.Status.choices, label="Status", empty_label="All statuses"
    )
    method = django_filters.ChoiceFilter(
        field_name="method_type",
        choices=Transaction.MethodType.choices,
        label="Payment method",
        empty_label="All methods",
    )
    date_from = django_filters.DateFilter(
        method="filter_from", label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        method="filter_to", label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    blocked = django_filters.ChoiceFilter(
        choices=[("yes", "Used"), ("no", "Not used")],
        method="filter_blocked",
        label="Blocked detail",
        empty_label="Any",
    )

    class Meta:
        model = Transaction
        fields = []

    def filter_search(self, queryset, name, value):
        merchant = getattr(self.request, "merchant", None)
        return queryset.filter(search_q(value, merchant)) if value.strip() else queryset

    # Whole days in the time zone, as a range on occurred_at so the (merchant, occurred_at) index serves it.
    def filter_from(self, queryset, name, value):
        try:
            return queryset.filter(occurred_at__gte=start_of_day(value))
        except OverflowError:  # year 1: nothing is earlier
            return queryset

    def filter_to(self, queryset, name, value):
        try:
            return queryset.filter(occurred_at__lt=start_of_day(value + timedelta(days=1)))
        except OverflowError:  # 9999-12-31: nothing is later
            return queryset

    def filter_blocked(self, queryset, name, value):
        return queryset.filter(blocked_detail_used=(value == "yes"))

    @property
    def inverted_range_note(self) -> str:
        """Said aloud when From is after To: such a range matches nothing, which an empty list alone hides."""
        data = getattr(self.form, "cleaned_data", None) if self.form.is_valid() else None
        start, end = (data or {}).get("date_from"), (data or {}).get("date_to")
        if start and end and start > end:
            return (
                f"The date range is inverted: From ({start:%Y-%m-%d}) is after To ({end:%Y-%m-%d}). "
                "Swap the dates."
            )
        return ""

    @property
    def is_filtered(self) -> bool:
        self.form.errors  # noqa: B018 - runs validation
        return any(getattr(self.form, "cleaned_data", {}).values())
