"""The Disputes page and answering a dispute (evidence draft / submit, accept). Thin: the writes are in
transactions/disputes.py, the reads in transactions/selectors.py."""

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from common.filtering import ignored_filter_notes, tidy_url
from common.htmx import hx_trigger_response, modal_base
from common.params import CursorForm, query_params
from merchants.guards import get_for_merchant, merchant_required
from merchants.permissions import PERMISSIONS
from payments.base import ProviderError

from .. import selectors
from ..disputes import DisputeRefused, EvidenceFile, dispute_accept, dispute_respond
from ..forms import AcceptForm, DisputeFilter, EvidenceForm
from ..models import Dispute

RESULTS_ID = "dispute-results"
MODAL = "transactions/dispute_respond_modal.html"
CHANGED_EVENTS = ("disputes:changed", "customer:changed")


@merchant_required()
@query_params(DisputeFilter, CursorForm)
def dispute_list(request):
    """Open disputes, soonest evidence deadline first; status and reason filters live in the URL."""
    filterset, page = selectors.dispute_list(request=request)
    context = {
        "filter": filterset,
        "page": page,
        "notes": ignored_filter_notes(filterset),
        "now": timezone.now(),
        "can_respond": request.membership.role in _responders(),
    }
    template = "transactions/dispute_list.html"
    if request.htmx and request.htmx.target == RESULTS_ID:
        response = render(request, f"{template}#results", context)
        response["HX-Push-Url"] = tidy_url(request)
        return response
    return render(request, template, context)


def _responders():

    return PERMISSIONS["dispute.respond"]


def _dispute(request, pk) -> Dispute:
    qs = Dispute.objects.select_related("transaction__customer", "transaction__parent", "merchant")
    return get_for_merchant(qs, request, pk=pk)


def _render(request, dispute, *, form=None, accept_form=None, error="", saved="", status=200):
    context = {
        "base_template": modal_base(request),
        "dispute": dispute,
        "chargeback": dispute.transaction,
        "form": form or EvidenceForm(dispute=dispute),
        "accept_form": accept_form or AcceptForm(),
        "refusal": dispute.refusal(timezone.now()),
        "error": error,
        "saved": saved,
        "respond_url": reverse("transactions:dispute-respond", args=[dispute.pk]),
        "accept_url": reverse("transactions:dispute-accept", args=[dispute.pk]),
        "back_url": reverse("transactions:disputes"),
    }
    return render(request, MODAL, context, status=status)


def _done(request, message: str):
    if request.htmx:
        return hx_trigger_response(*CHANGED_EVENTS, message=message)
    messages.success(request, message)
    return redirect("transactions:disputes")


@merchant_required("dispute.respond")
def dispute_respond_view(request, pk):
    """GET: the evidence form for the dispute's reason. POST: save as draft (action=draft) or submit."""
    dispute = _dispute(request, pk)
    if request.method == "GET":
        return _render(request, dispute)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    form = EvidenceForm(request.POST, request.FILES, dispute=dispute)
    submit = request.POST.get("action") == "submit"
    if not form.is_valid():
        return _render(request, dispute, form=form, status=400)
    files = {
        name: EvidenceFile(filename=upload.name[:200], content=upload.read())
        for name, upload in form.cleaned_data.items()
        if name in form.fields and hasattr(upload, "read") and upload
    }
    try:
        result = dispute_respond(
            actor=request.user,
            membership=request.membership,
            now=timezone.now(),
            dispute=dispute,
            evidence=form.text_evidence(),
            files=files,
            submit=submit,
        )
    except DisputeRefused as exc:
        if exc.field and exc.field in form.fields:
            form.add_error(exc.field, exc.message)
            return _render(request, dispute, form=form, status=400)
        return _render(request, dispute, form=form, error=exc.message, status=400)
    except ProviderError as exc:
        return _render(request, dispute, form=form, error=f"Stripe refused: {exc.message}", status=400)
    if submit:
        return _done(request, result.message)
    return _render(request, result.dispute, saved=result.message)


@merchant_required("dispute.respond")
@require_POST
def dispute_accept_view(request, pk):
    dispute = _dispute(request, pk)
    accept_form = AcceptForm(request.POST)
    if not accept_form.is_valid():
        return _render(request, dispute, accept_form=accept_form, status=400)
    try:
        result = dispute_accept(
            actor=request.user,
            membership=request.membership,
            now=timezone.now(),
            dispute=dispute,
            confirmation=accept_form.cleaned_data["confirmation"],
        )
    except DisputeRefused as exc:
        if exc.field:
            accept_form.add_error(exc.field, exc.message)
            return _render(request, dispute, accept_form=accept_form, status=400)
        return _render(request, dispute, accept_form=accept_form, error=exc.message, status=400)
    except ProviderError as exc:
        return _render(
            request, dispute, accept_form=accept_form, error=f"Stripe refused: {exc.message}", status=400
        )
    return _done(request, result.message)
