from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from common.params import query_params
from merchants.guards import merchant_required

from . import selectors, services
from .forms import AttentionFilterForm, ClaimForm


@merchant_required("view")
@query_params(AttentionFilterForm)
def attention_list(request):
    """Everything someone must act on, computed from the live state; filters: kind, assigned to me."""
    kind = request.query.get("kind") or ""
    mine = bool(request.query.get("mine"))
    rows, truncated = selectors.attention_rows(
        merchant=request.merchant,
        membership=request.membership,
        now=timezone.now(),
        kind=kind,
        mine=request.user if mine else None,
    )
    context = {
        "rows": rows,
        "truncated": truncated,
        "filter_form": AttentionFilterForm(request.GET or None),
        "kind": kind,
        "mine": mine,
        "per_kind": selectors.PER_KIND,
        "notes": request.query_notes,
    }
    if request.htmx and request.htmx.target == "attention-results":
        return render(request, "attention/attention_list.html#results", context)
    return render(request, "attention/attention_list.html", context)


@merchant_required("view")
def attention_count_view(request):
    """The navigation's badge, loaded after the page (hx-trigger="load"): the queue's count costs a query per
    kind, which no page should pay while it renders."""
    n = selectors.attention_count(request.merchant, timezone.now())
    return render(request, "attention/_nav_count.html", {"n": n})


def _back(request):
    return redirect(reverse("attention:list"))


@merchant_required("attention.claim")
@require_POST
def attention_claim_view(request):
    form = ClaimForm(request.POST)
    now = timezone.now()
    if not form.is_valid() or not selectors.row_exists(
        merchant=request.merchant, now=now, kind=form.cleaned_data["kind"], key=form.cleaned_data["key"]
    ):
        messages.error(request, "This row is no longer in the queue (it may have been resolved).")
        return _back(request)
    try:
        services.attention_claim(merchant=request.merchant, actor=request.user, now=now, **form.cleaned_data)
    except services.AlreadyClaimed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "You have taken this row.")
    return _back(request)


@merchant_required("attention.claim")
@require_POST
def attention_release_view(request):
    form = ClaimForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not a queue row.")
        return _back(request)
    try:
        released = services.attention_release(
            merchant=request.merchant, actor=request.user, now=timezone.now(), **form.cleaned_data
        )
    except services.AlreadyClaimed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Released." if released else "Nobody had taken this row.")
    return _back(request)
