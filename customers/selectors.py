"""Page-shaped reads of customers. The list runs a fixed number of queries whatever the page holds."""

from common.pagination import Keyset, KeysetPage, keyset_paginate

from .filters import CustomerFilter
from .models import Customer

CUSTOMER_LIST_PAGE_SIZE = 25


def customer_list(*, request) -> tuple[CustomerFilter, KeysetPage]:
    """The filter form (bound to the URL) and the page of the signed-in merchant's customers it selects."""
    base = Customer.objects.for_merchant(request.merchant).only(
        "id",
        "public_id",
        "name",
        "email",
        "avatar_url",
        "providers_used",
        "is_blocked",
        "used_access_code",
        "first_purchase_at",
        "provider_customer_id",
    )
    filterset = CustomerFilter(request.GET or None, queryset=base, request=request)
    keyset = Keyset("first_purchase_at", descending=not filterset.is_oldest_first)
    page = keyset_paginate(filterset.qs, request, keyset, per_page=CUSTOMER_LIST_PAGE_SIZE)
    return filterset, page


BLOCKED_SCAN = 200  # blocked customers looked at per read (blocked customers are rare: partial index)


def customers_linked_to_blocked(merchant):
    """Customers not blocked who share a card fingerprint or an email with a blocked customer (a queryset).

    Starts from at most BLOCKED_SCAN blocked customers (`customer_blocked_since` on PostgreSQL), their card
    and email details, then the other customers linked to those details. Telegram accounts are not read."""
    from .models import CustomerIdentifier, Identifier

    blocked = (
        Customer.objects.for_merchant(merchant).filter(is_blocked=True).order_by().values("id")[:BLOCKED_SCAN]
    )
    shared = CustomerIdentifier.objects.filter(
        customer_id__in=blocked, identifier__kind__in=(Identifier.Kind.CARD, Identifier.Kind.EMAIL)
    ).values("identifier_id")
    return (
        Customer.objects.for_merchant(merchant)
        .filter(is_blocked=False, identifier_links__identifier_id__in=shared)
        .distinct()
        .order_by("-first_purchase_at", "-id")
    )
