from django.shortcuts import render

from common.filtering import ignored_filter_notes, tidy_url
from common.params import CursorForm, query_params
from merchants.guards import merchant_required

from .. import selectors
from ..filters import TransactionFilter

RESULTS_ID = "transaction-results"


@merchant_required()
@query_params(TransactionFilter, CursorForm)
def transaction_list(request):
    """Newest first; filters and search live in the URL; an HTMX request gets only the results table."""
    filterset, page = selectors.transaction_list(request=request)
    notes = ignored_filter_notes(filterset)
    if filterset.inverted_range_note:
        notes.append(filterset.inverted_range_note)
    context = {"filter": filterset, "page": page, "notes": notes}
    template = "transactions/transaction_list.html"
    if request.htmx and request.htmx.target == RESULTS_ID:
        response = render(request, f"{template}#results", context)
        response["HX-Push-Url"] = tidy_url(request)
        return response
    return render(request, template, context)
