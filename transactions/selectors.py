"""Page-shaped reads of transactions. The table runs a fixed number of queries whatever the page holds."""

from datetime import timedelta

from common.pagination import Keyset, KeysetPage, keyset_paginate

from .filters import TransactionFilter
from .forms import DisputeFilter
from .models import Dispute, Transaction

TRANSACTION_LIST_PAGE_SIZE = 30
NEWEST_FIRST = Keyset("occurred_at", descending=True)


def transaction_list(*, request) -> tuple[TransactionFilter, KeysetPage]:
    """The filter form (bound to the URL) and the page of the merchant's transactions it selects."""
    base = Transaction.objects.for_merchant(request.merchant).select_related(
        "customer", "purchase__product", "dispute"
    )
    filterset = TransactionFilter(request.GET or None, queryset=base, request=request)
    page = keyset_paginate(filterset.qs, request, NEWEST_FIRST, per_page=TRANSACTION_LIST_PAGE_SIZE)
    return filterset, page


DISPUTES_PAGE_SIZE = 30
SOONEST_DUE_FIRST = Keyset("due_by", descending=False)
DUE_SOON_HOURS = 72


def dispute_list(*, request):
    """The filter form and the page of the merchant's disputes it selects, soonest evidence deadline first."""

    base = Dispute.objects.for_merchant(request.merchant).select_related(
        "transaction__customer", "transaction__purchase__product"
    )
    filterset = DisputeFilter(request.GET or None, queryset=base, request=request)
    page = keyset_paginate(filterset.qs, request, SOONEST_DUE_FIRST, per_page=DISPUTES_PAGE_SIZE)
    return filterset, page


def disputes_due_soon(merchant, now, *, cap: int = 99) -> int:
    """Disputes still waiting for the merchant's answer whose evidence is due within 72 hours (not past).

    No COUNT (lists never count): at most cap + 1 ids off the (merchant, status, due_by) index; the
    navigation shows "99+" beyond the cap."""

    ids = (
        Dispute.objects.for_merchant(merchant)
        .filter(
            status__in=Dispute.RESPONDABLE_STATUSES,
            past_due=False,
            due_by__gt=now,
            due_by__lte=now + timedelta(hours=DUE_SOON_HOURS),
        )
        .order_by()
        .values_list("id", flat=True)[: cap + 1]
    )
    return len(list(ids))


def disputes_due_within(merchant, now, *, within):
    """Disputes waiting for the merchant's answer whose evidence is due between now and now + `within`."""
    return (
        Dispute.objects.for_merchant(merchant)
        .filter(
            status__in=Dispute.RESPONDABLE_STATUSES,
            past_due=False,
            due_by__gt=now,
            due_by__lte=now + within,
        )
        .select_related("transaction__customer")
        .order_by("due_by", "id")
    )


def blocked_detail_payments(merchant):
    """Charges paid with a detail that is blocked (the list's "Blocked detail" filter) and not refunded yet.

    Newest first, off the partial index `txn_blocked_recent` (PostgreSQL): blocked payments are rare."""
    return (
        Transaction.objects.for_merchant(merchant)
        .filter(
            blocked_detail_used=True,
            kind=Transaction.Kind.CHARGE,
            status__in=(Transaction.Status.SUCCEEDED, Transaction.Status.PARTIALLY_REFUNDED),
        )
        .select_related("customer")
        .order_by("-occurred_at", "-id")
    )
