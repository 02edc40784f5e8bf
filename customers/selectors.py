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
