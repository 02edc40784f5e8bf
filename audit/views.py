"""The Audit page (owners and managers) and its streaming CSV export, both behind the same filters."""

import json

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from common.csv import csv_stream
from common.params import CursorForm, query_params
from common.views import merchant_required

from . import selectors
from .forms import AuditFilterForm

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
    ctx = {"form": form, "page": page, "is_filtered": bool(filters), "export_query": _export_query(request)}
    return render(request, f"{TEMPLATE}#results" if request.htmx else TEMPLATE, ctx)


def _export_query(request) -> str:
    params = request.GET.copy()
    params.pop("after", None)
    return params.urlencode()


CSV_HEADER = [
    "time",
    "actor",
    "action",
    "target_type",
    "target_id",
    "target",
    "customer",
    "data",
    "request_id",
]


def _csv_row(event) -> list:
    return [
        event.created_at.isoformat(),
        event.actor.email if event.actor else "system",
        event.action,
        event.target_type,
        event.target_id,
        event.target_repr,
        event.customer.public_id if event.customer else "",
        json.dumps(event.data, default=str, ensure_ascii=False, sort_keys=True),
        event.request_id,
    ]


@merchant_required("audit.view")
@query_params(AuditFilterForm)
def audit_export(request):
    """Every matching event as CSV, streamed in chunks so a large export never sits in memory."""
    _, _, qs = _filtered(request)
    rows = (_csv_row(e) for e in qs.iterator(chunk_size=500))
    response = StreamingHttpResponse(csv_stream(CSV_HEADER, rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f'attachment; filename="teller-audit-{request.merchant.slug}-{stamp}.csv"'
    )
    return response
