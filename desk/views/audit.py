"""The Audit page (owners and managers). Its CSV export is the exports app's (kind "audit"), which binds
the same AuditFilterForm to the same filters."""

from django.shortcuts import render

from audit import selectors
from audit.forms import AuditFilterForm
from common.params import CursorForm, query_params
from merchants.guards import merchant_required

TEMPLATE = "audit/auditevent_list.html"


def _filtered(request):
    form = AuditFilterForm(
        request.GET or None, merchant=request.merchant, actions=selectors.action_choices(request.merchant)
    )
    filters = form.filters() if form.is_bound else {}
    return form, filters, selectors.audit_events(request.merchant, **filters)


@merchant_required("audit.view")
@query_params(AuditFilterForm, CursorForm)
def audit_list(request):
    form, filters, qs = _filtered(request)
    page = selectors.keyset_page(qs, request.GET.copy(), after=request.query["after"] or "")
    for event in page.items:
        event.diff = selectors.diff_rows(event.data)
    ctx = {"form": form, "page": page, "is_filtered": bool(filters)}
    return render(request, f"{TEMPLATE}#results" if request.htmx else TEMPLATE, ctx)
