"""Page-shaped reads of transactions. The table runs a fixed number of queries whatever the page holds."""

from common.pagination import Keyset, KeysetPage, keyset_paginate

from .filters import TransactionFilter
from .models import Transaction

TRANSACTION_LIST_PAGE_SIZE = 30
NEWEST_FIRST = Keyset("occurred_at", descending=True)


def transaction_list(*, request) -> tuple[TransactionFilter, KeysetPage]:
    """The filter form (bound to the URL) and the page of the merchant's transactions it selects."""
    base = Transaction.objects.for_merchant(request.merchant).select_related("customer", "purchase__product")
    filterset = TransactionFilter(request.GET or None, queryset=base, request=request)
    page = keyset_paginate(filterset.qs, request, NEWEST_FIRST, per_page=TRANSACTION_LIST_PAGE_SIZE)
    return filterset, page
