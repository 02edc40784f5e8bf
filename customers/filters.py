"""What a customer search term matches (`search_q`), shared by the customers list (`desk/filters.py`), the
transactions list and the global search. The list's filter set itself is `desk.filters.CustomerFilter`."""

import re

import django_filters
from django import forms
from django.db.models import Q

import common.lookups  # noqa: F401 - registers __ilike_contains

from .models import CustomerIdentifier, Identifier

SEARCH_MAX_LENGTH = 200
MIN_SUBSTRING_LENGTH = 3  # pg_trgm indexes need three characters
MERGED_CUSTOMERS_MAX = 1000
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PUBLIC_ID_RE = re.compile(r"^(?=.*\d)[A-Z0-9]{12}$")
PROVIDER_CUSTOMER_ID_RE = re.compile(r"^cus_[A-Za-z0-9]+$")


def search_q(term: str, merchant=None) -> Q:
    """What a search term matches: exact ids and emails take an indexed path, the rest is a substring."""
    term = term.strip()
    if PROVIDER_CUSTOMER_ID_RE.match(term):
        # The customers linked to that Stripe id, looked up first (one indexed query): an EXISTS inside the OR
        # would be checked row by row over the whole list, while "= id OR pk IN (ids)" is two index probes.
        merged = CustomerIdentifier.objects.filter(
            identifier__merchant=merchant,
            identifier__kind=Identifier.Kind.CUSTOMER_ID,
            identifier__value=term,
        ).values_list("customer_id", flat=True)[:MERGED_CUSTOMERS_MAX]
        return Q(provider_customer_id=term) | Q(pk__in=list(merged))
    if PUBLIC_ID_RE.match(term.upper()):
        return Q(public_id=term.upper())
    if EMAIL_RE.match(term):
        return Q(email__iexact=term)
    if len(term) < MIN_SUBSTRING_LENGTH:
        # Too short for the trigram indexes (and "a" is in nearly every name): names and emails that START
        # with it, served by the prefix indexes (common/migrations/0002_scale_indexes.py).
        return Q(name__istartswith=term) | Q(email__istartswith=term)
    return Q(name__ilike_contains=term) | Q(email__ilike_contains=term)


def search_filter(*, placeholder: str, aria_label: str) -> django_filters.CharFilter:
    """The `q` box of a list's filter bar (customers, transactions): bounded, no autocomplete; the FilterSet
    gives the `filter_search` method that reads it."""
    return django_filters.CharFilter(
        method="filter_search",
        label="Search",
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": placeholder,
                "autocomplete": "off",
                "aria-label": aria_label,
            }
        ),
    )
