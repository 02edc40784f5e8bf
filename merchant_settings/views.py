"""Settings (owner only): the Stripe connection, the history import, business settings.

Every change is a POST (CSRF) that calls one service; a SettingsError becomes the form's message and
nothing is saved. Keys and secrets are never put into a page.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from merchants.guards import merchant_required

from . import selectors, services
from .forms import BusinessSettingsForm, StripeKeyForm

PERMISSION = "settings.manage"


def _stripe_page(request, form=None, status=200):
    now = timezone.now()
    merchant = request.merchant
    ctx = {
        "form": form or StripeKeyForm(),
        "health": selectors.endpoint_health(merchant, now=now) if merchant.is_connected else None,
        "webhook_url": services.stripe_api.webhook_url(merchant),
        "event_count": len(services.stripe_api.WEBHOOK_EVENT_TYPES),
        **selectors.import_view(selectors.latest_import(merchant), now=now),
    }
    return render(request, "merchant_settings/stripe.html", ctx, status=status)


@require_GET
@merchant_required(PERMISSION)
def settings_home(request):
    return redirect("settings:stripe")


@require_GET
@merchant_required(PERMISSION)
def stripe_settings(request):
    return _stripe_page(request)


@require_POST
@merchant_required(PERMISSION)
def stripe_connect(request):
    form = StripeKeyForm(request.POST)
    if form.is_valid():
        try:
            services.stripe_connect(
                merchant=request.merchant,
                key=form.cleaned_data["key"],
                actor=request.user,
                now=timezone.now(),
            )
        except services.SettingsError as exc:
            form.add_error("key", str(exc))
        else:
            messages.success(request, "Stripe is connected. Teller is importing the account's history.")
            return redirect("settings:stripe")
    return _stripe_page(request, _without_value(form), status=400)


def _without_value(form):
    """The refused form keeps its errors; the key itself is not echoed back into the page."""
    form.data = form.data.copy()
    form.data.pop("key", None)
    return form


def _simple_action(request, service, done_message):
    try:
        service(merchant=request.merchant, actor=request.user, now=timezone.now())
    except services.SettingsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done_message)
    return redirect("settings:stripe")


@require_POST
@merchant_required(PERMISSION)
def stripe_rotate(request):
    return _simple_action(request, services.stripe_secret_rotate, "The webhook signing secret was replaced.")


@require_POST
@merchant_required(PERMISSION)
def stripe_disconnect(request):
    return _simple_action(
        request, services.stripe_disconnect, "Stripe is disconnected. Customers and payments stay in Teller."
    )


@require_POST
@merchant_required(PERMISSION)
def import_resync(request):
    return _simple_action(request, services.import_start, "Resync started.")


@require_GET
@merchant_required(PERMISSION)
def import_progress(request):
    """The progress partial polled by HTMX while an import runs (the whole page without HTMX)."""
    if not request.htmx:
        return _stripe_page(request)
    ctx = selectors.import_view(selectors.latest_import(request.merchant), now=timezone.now())
    return render(request, "merchant_settings/stripe.html#import-progress", ctx)


@require_http_methods(["GET", "POST"])
@merchant_required(PERMISSION)
def business_settings(request):
    form = BusinessSettingsForm.for_merchant(
        request.merchant, request.POST if request.method == "POST" else None
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                changed = services.business_settings_update(
                    merchant=request.merchant, actor=request.user, now=timezone.now(), **form.cleaned_data
                )
            except services.SettingsError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Saved." if changed else "Nothing changed.")
                return redirect("settings:business")
        status = 400
    return render(request, "merchant_settings/business.html", {"form": form}, status=status)
