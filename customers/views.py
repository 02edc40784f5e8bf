"""The "Manage customer details" modal: block / unblock a customer's details (issue 5).

GET shows the modal (a full page without HTMX); POST validates the form and makes ONE service call:
save the toggles, block all, unblock all, or retry the Radar mirror of a detail.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from common.htmx import hx_trigger_response, modal_base
from merchants.guards import get_for_merchant, merchant_required
from merchants.permissions import has_permission

from . import services
from .blocking_selectors import manage_details
from .forms import IdentifiersManageForm
from .models import Customer

TEMPLATE = "customers/identifier_manage_modal.html"


@merchant_required("identifier.block")
def identifiers_manage(request, public_id):
    customer = get_for_merchant(Customer, request, public_id=public_id)
    details = manage_details(customer)
    form = IdentifiersManageForm(request.POST if request.method == "POST" else None, identifiers=details)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            message = _act(request, customer, form)
        except services.UnblockNotAllowed as exc:
            form.add_error(None, exc.message)
            status = 403
        except services.BlockingError as exc:
            form.add_error(None, exc.message)
        else:
            return _done(request, customer, message)
    return _render(request, customer, form, details, status=status)


def _act(request, customer, form) -> str:
    """The one service call this POST asks for; returns the toast message."""
    data, actor, now = form.cleaned_data, request.user, timezone.now()
    reason = {"reason": data["reason"], "reason_text": data["reason_text"].strip()}
    action = data["action"]
    if action == form.BLOCK_ALL:
        events = services.customer_block_all(
            actor=actor,
            now=now,
            customer=customer,
            cancel_subscriptions=data["cancel_subscriptions"],
            **reason,
        )
        extra = " Live subscriptions are being canceled." if data["cancel_subscriptions"] else ""
        return f"Blocked all details ({len(events)} changed).{extra}"
    if action == form.UNBLOCK_ALL:
        events = services.customer_unblock_all(actor=actor, now=now, customer=customer, **reason)
        return f"Unblocked all details ({len(events)} changed)."
    if action == form.RADAR_RETRY:
        identifier = customer.identifiers.get(pk=data["radar_retry"])
        services.identifier_radar_retry(actor=actor, now=now, identifier=identifier)
        return "Sending the detail to Stripe Radar again."
    events = services.identifiers_apply(
        actor=actor, now=now, customer=customer, changes=form.changes(), **reason
    )
    return _summary(events)


def _summary(events) -> str:
    if not events:
        return "Nothing changed."
    blocked = sum(1 for e in events if e.action == e.Action.BLOCK)
    parts = [f"{n} {word}" for n, word in ((blocked, "blocked"), (len(events) - blocked, "unblocked")) if n]
    return "Details saved: " + ", ".join(parts) + "."


def _done(request, customer, message: str):
    if request.htmx:
        return hx_trigger_response("customer:identifiers-changed", "customer:changed", message=message)
    messages.success(request, message)
    return redirect(reverse("customers:detail", args=[customer.public_id]) + "?tab=info")


def _render(request, customer, form, details, *, status=200):
    # After a form error the switches show what the user chose, not what is stored.
    checked = set(request.POST.getlist("blocked")) if form.is_bound else None
    for detail in details:
        detail.checked = str(detail.pk) in checked if checked is not None else detail.is_blocked
    may_unblock = has_permission(request.membership, "identifier.unblock")
    context = {
        "base_template": modal_base(request, "customers/identifier_manage.html"),
        "customer": customer,
        "form": form,
        "details": details,
        "may_unblock": may_unblock,
        "any_blocked": any(d.is_blocked for d in details),
        "any_active": any(not d.is_blocked for d in details),
        "action_url": reverse("customers:identifiers-manage", args=[customer.public_id]),
        "back_url": reverse("customers:detail", args=[customer.public_id]) + "?tab=info",
    }
    response = render(request, TEMPLATE, context, status=status)
    if request.htmx:
        # The buttons that open the modal sit inside panels that swap outerHTML; hx-swap is inherited, so
        # say explicitly that the modal goes *into* #modal.
        response["HX-Reswap"] = "innerHTML"
    return response
