from django import forms
from django.shortcuts import redirect, render

from common.pagination import Keyset, keyset_paginate
from common.params import CursorForm, QueryForm, query_params
from merchants.guards import merchant_required
from transactions.models import Transaction

from . import selectors
from .query import MAX_LENGTH, QueryError, parse

GROUP_SIZE = 20
PAGE_SIZE = 30
KINDS = {
    "customers": Keyset("first_purchase_at", descending=True),
    "transactions": Keyset("occurred_at", descending=True),
}


class SearchForm(QueryForm):
    # Length is checked by the parser (a clear message, not a silently dropped value).
    q = forms.CharField(required=False, strip=False, max_length=MAX_LENGTH * 50)
    kind = forms.ChoiceField(required=False, choices=[("", "All"), *((k, k) for k in KINDS)])


@merchant_required()  # what the customers and transactions lists need
@query_params(SearchForm, CursorForm)
def search(request):
    """Customers and transactions matching the query, grouped; an exact id that names one object opens it.

    With kind=customers or kind=transactions, that group alone, keyset-paginated (the group's "all" link)."""
    raw = request.query.get("q") or ""
    kind = request.query.get("kind") or ""
    context = {"q": raw, "kind": kind, "error": "", "groups": [], "searched": bool(raw.strip())}
    if "q" in request.query_invalid:  # a NUL character, or far too long for the form field
        context["error"] = (
            "This search cannot be read: remove control characters and keep it under "
            f"{MAX_LENGTH} characters."
        )
        return render(request, "search/results.html", context)
    if not raw.strip():
        return render(request, "search/results.html", context)
    try:
        query = parse(raw, statuses=dict(Transaction.Status.choices))
    except QueryError as error:
        context["error"] = str(error)
        return render(request, "search/results.html", context, status=200)
    if not kind and (target := selectors.exact_target(query, request.merchant)):
        return redirect(target)
    found = {
        "customers": selectors.customers_for(query, request.merchant),
        "transactions": selectors.transactions_for(query, request.merchant),
    }
    for name, queryset in found.items():
        if kind and name != kind:
            continue
        if queryset is None:
            if kind:
                context["groups"].append({"kind": name, "skipped": True, "items": []})
            continue
        if kind:
            page = keyset_paginate(queryset, request, KINDS[name], per_page=PAGE_SIZE)
            context["groups"].append({"kind": name, "items": page.items, "page": page})
        else:
            rows = list(queryset.order_by(*KINDS[name].order_by())[: GROUP_SIZE + 1])
            context["groups"].append(
                {"kind": name, "items": rows[:GROUP_SIZE], "more": len(rows) > GROUP_SIZE}
            )
    context["query_text"] = query.text
    return render(request, "search/results.html", context)
