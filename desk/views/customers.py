from django.shortcuts import render

from common.filtering import ignored_filter_notes, tidy_url
from common.params import CursorForm, query_params
from merchants.guards import merchant_required

from ..filters import CustomerFilter
from ..selectors import customer_list as selectors

RESULTS_ID = "customer-results"


@merchant_required()
@query_params(CustomerFilter, CursorForm)
def customer_list(request):
    """Search, filters and sort live in the URL; an HTMX request gets only the results table."""
    filterset, page = selectors.customer_list(request=request)
    context = {
        "filter": filterset,
        "page": page,
        "notes": ignored_filter_notes(filterset) + filterset.search_notes,
    }
    template = "customers/customer_list.html"
    if request.htmx and request.htmx.target == RESULTS_ID:
        response = render(request, f"{template}#results", context)
        response["HX-Push-Url"] = tidy_url(request)
        return response
    return render(request, template, context)
