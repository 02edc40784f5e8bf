"""Cancel / Cancel now / Recover a subscription, Cancel purchase (typed confirmation), access retry, access
codes.

Modals render into #modal on an HTMX request and as a plain page otherwise (pages work without JS).
Success answers 204 + HX-Trigger "customer:changed" (HTMX) or redirects to the customer (plain POST).
Domain and provider errors re-render the modal with the message; nothing changed.
"""

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from common.csv import csv_stream
from common.htmx import hx_trigger_response, modal_base
from common.params import PageForm, query_params, safe_next
from merchants.guards import get_for_merchant, merchant_required
from merchants.permissions import has_permission
from payments.base import ProviderError

from . import selectors, services
from .forms import (
    AccessCodeFilterForm,
    AccessCodeGenerateForm,
    ConfirmForm,
    PurchaseCancelForm,
    SubscriptionCancelForm,
)
from .models import AccessCode, Purchase


def _purchase(request, pk) -> Purchase:
    qs = Purchase.objects.select_related("customer", "product", "merchant")
    return get_for_merchant(qs, request, pk=pk)


def _customer_url(purchase: Purchase) -> str:
    return reverse("customers:detail", args=[purchase.customer.public_id])


def _render_modal(request, template: str, purchase: Purchase, form, action_url: str, **extra):
    context = {
        "base_template": modal_base(request),
        "purchase": purchase,
        "form": form,
        "action_url": action_url,
        "back_url": _customer_url(purchase),
        "period_end": purchase.cancel_at or purchase.current_period_end_at,
        **extra,
    }
    return render(request, template, context)


def _done(request, purchase: Purchase, message: str):
    if request.htmx:
        return hx_trigger_response("customer:changed", message=message)
    messages.success(request, message)
    return redirect(_customer_url(purchase))


def _modal_view(request, pk, *, template, form_class, url_name, act, precheck=None, form_kwargs=None):
    """The shared shape of every modal: GET shows it, POST validates, calls ONE service, maps errors."""
    purchase = _purchase(request, pk)
    kwargs = form_kwargs(purchase) if form_kwargs else {}
    form = form_class(request.POST if request.method == "POST" else None, **kwargs)
    action_url = reverse(f"purchases:{url_name}", args=[purchase.pk])
    blocked = precheck(purchase) if precheck else ""
    if request.method == "POST" and not blocked and form.is_valid():
        try:
            result = act(request, purchase, form.cleaned_data)
        except (services.PurchaseError, ProviderError) as error:
            form.add_error(None, error.message)
        else:
            return _done(request, purchase, result.message)
    return _render_modal(request, template, purchase, form, action_url, blocked=blocked)


def _not_live(purchase: Purchase) -> str:
    if not purchase.is_live:
        return f"This purchase is {purchase.current_status_label.lower()}; there is nothing to cancel."
    return ""


def _not_live_subscription(purchase: Purchase) -> str:
    if purchase.kind != Purchase.Kind.SUBSCRIPTION:
        return "Only subscriptions have this action."
    return _not_live(purchase)


def _not_scheduled(purchase: Purchase) -> str:
    if not purchase.is_scheduled_to_cancel:
        return _not_live_subscription(purchase) or "This subscription is not scheduled to cancel."
    return ""


@merchant_required("purchase.cancel")
@require_http_methods(["GET", "POST"])
def subscription_cancel(request, pk):
    return _modal_view(
        request,
        pk,
        template="purchases/purchase_subscription_cancel_modal.html",
        form_class=SubscriptionCancelForm,
        url_name="subscription-cancel",
        precheck=_not_live_subscription,
        act=lambda request, purchase, data: services.subscription_cancel(
            actor=request.user, now=timezone.now(), purchase=purchase, at_period_end=data["keep_active"]
        ),
    )


@merchant_required("purchase.cancel")
@require_http_methods(["GET", "POST"])
def subscription_cancel_now(request, pk):
    return _modal_view(
        request,
        pk,
        template="purchases/purchase_subscription_cancel_now_modal.html",
        form_class=ConfirmForm,
        url_name="subscription-cancel-now",
        precheck=_not_live_subscription,
        act=lambda request, purchase, data: services.subscription_cancel_now(
            actor=request.user, now=timezone.now(), purchase=purchase
        ),
    )


@merchant_required("subscription.recover")
@require_http_methods(["GET", "POST"])
def subscription_recover(request, pk):
    return _modal_view(
        request,
        pk,
        template="purchases/purchase_subscription_recover_modal.html",
        form_class=ConfirmForm,
        url_name="subscription-recover",
        precheck=_not_scheduled,
        act=lambda request, purchase, data: services.subscription_recover(
            actor=request.user, now=timezone.now(), purchase=purchase
        ),
    )


@merchant_required("purchase.cancel")
@require_http_methods(["GET", "POST"])
def purchase_cancel(request, pk):
    return _modal_view(
        request,
        pk,
        template="purchases/purchase_cancel_modal.html",
        form_class=PurchaseCancelForm,
        url_name="purchase-cancel",
        precheck=_not_live,
        form_kwargs=lambda purchase: {"purchase": purchase},
        act=lambda request, purchase, data: services.purchase_cancel(
            actor=request.user,
            now=timezone.now(),
            purchase=purchase,
            when=data["when"],
            confirmation=data["confirmation"],
        ),
    )


# --------------------------------------------------------------------------------------------------
# Access codes


@merchant_required("view")
@require_http_methods(["GET", "POST"])
@query_params(AccessCodeFilterForm, PageForm)
def access_codes(request):
    can_manage = has_permission(request.membership, "access_code.manage")
    generate_form = AccessCodeGenerateForm(merchant=request.merchant)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Your role does not allow generating access codes.")
        generate_form = AccessCodeGenerateForm(request.POST, merchant=request.merchant)
        if generate_form.is_valid():
            try:
                batch = _generate(request, generate_form.cleaned_data)
            except services.AccessCodeError as error:
                generate_form.add_error(None, error.message)
            else:
                messages.success(request, f"Generated {len(batch.codes)} code(s) in batch {batch.batch}.")
                return redirect(f"{reverse('purchases:access-codes')}?batch={batch.batch}")
    return _render_access_codes(request, generate_form, can_manage)


def _generate(request, data):
    return services.access_codes_generate(
        actor=request.user,
        now=timezone.now(),
        merchant=request.merchant,
        products=list(data["products"]),
        quantity=data["quantity"],
        duration=data["duration"],
        duration_count=data["duration_count"],
    )


def _render_access_codes(request, generate_form, can_manage):
    filters = AccessCodeFilterForm(request.GET or None, merchant=request.merchant)
    filters.is_valid()
    data = getattr(filters, "cleaned_data", {})  # the fields that validated; a bad one is left out
    codes = selectors.access_code_list(
        merchant=request.merchant,
        now=timezone.now(),
        status=data.get("status", ""),
        product=data.get("product"),
        batch=data.get("batch", ""),
        q=data.get("q", ""),
    )
    page = Paginator(codes, 50).get_page(request.query["page"])
    for code in page:
        code.state = selectors.access_code_state(code)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "purchases/access_code_list.html",
        {
            "generate_form": generate_form,
            "filters": filters,
            "page_obj": page,
            "can_manage": can_manage,
            "batch": data.get("batch", ""),
            "query": query.urlencode(),
            "status": data.get("status", ""),
            "status_choices": AccessCodeFilterForm.STATUS_CHOICES,
        },
    )


@merchant_required("access_code.manage")
@require_POST
@transaction.atomic  # no provider call here: anything failing after the delete rolls it back
def access_code_delete(request, pk):
    code = get_for_merchant(AccessCode, request, pk=pk)
    # Where to go back to is decided before anything is written: a bad target cannot fail after the delete.
    back = safe_next(request, request.POST.get("next", ""), reverse("purchases:access-codes"))
    try:
        services.access_code_delete(actor=request.user, now=timezone.now(), code=code)
    except services.AccessCodeError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Code {code.code} deleted.")
    return redirect(back)


@merchant_required("access_code.manage")
def access_codes_csv(request, batch):
    # A batch this merchant never generated (or one of another merchant) is not found, not an empty file.
    if not selectors.access_code_batch_exists(merchant=request.merchant, batch=batch):
        raise Http404("No such batch.")
    codes = selectors.access_code_list(merchant=request.merchant, now=timezone.now(), batch=batch)
    header = ["code", "products", "duration", "batch", "status", "redeemed_by", "redeemed_at", "created_at"]
    rows = (
        [
            code.code,
            "; ".join(p.name for p in code.products.all()),
            code.duration_label,
            code.batch,
            selectors.access_code_state(code),
            code.redeemed_by.email if code.redeemed_by else "",
            code.redeemed_at.isoformat() if code.redeemed_at else "",
            code.created_at.isoformat(),
        ]
        for code in codes
    )
    response = HttpResponse("".join(csv_stream(header, rows)), content_type="text/csv")
    safe_name = re.sub(r"[^A-Za-z0-9-]", "", batch)[:32]
    response["Content-Disposition"] = f'attachment; filename="access-codes-{safe_name}.csv"'
    return response
