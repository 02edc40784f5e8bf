"""The "Block all linked" confirmation of the customer page: GET lists the linked customers not blocked yet
(with what each shares), POST blocks those left ticked through desk.linked.block_linked."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from common.htmx import hx_trigger_response, modal_base
from customers.models import Customer
from customers.services import BlockingError
from merchants.guards import get_for_merchant, merchant_required

from ..forms import BlockLinkedForm
from ..linked import block_linked, linked_customers

TEMPLATE = "desk/linked_block_modal.html"


@merchant_required("identifier.block")
def linked_block(request, public_id):
    customer = get_for_merchant(Customer, request, public_id=public_id)
    linked = linked_customers(customer)
    rows = linked.unblocked
    form = BlockLinkedForm(
        request.POST if request.method == "POST" else None,
        choices=[row.customer.pk for row in rows],
        initial={"customers": [row.customer.pk for row in rows]},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            blocked = block_linked(
                actor=request.user,
                now=timezone.now(),
                customer=customer,
                chosen=set(data["customers"]),
                reason=data["reason"],
                reason_text=data["reason_text"].strip(),
            )
        except BlockingError as exc:
            form.add_error(None, exc.message)
        else:
            plural = "s" if len(blocked) != 1 else ""
            return _done(request, customer, f"Blocked {len(blocked)} linked customer{plural}.")
    return _render(request, customer, form, rows, more=linked.more)


def _done(request, customer, message: str):
    if request.htmx:
        return hx_trigger_response("customer:identifiers-changed", "customer:changed", message=message)
    messages.success(request, message)
    return redirect(reverse("customers:detail", args=[customer.public_id]) + "?tab=info")


def _render(request, customer, form, rows, *, more: bool):
    ticked = set(form["customers"].value() or []) if form.is_bound else None
    for row in rows:
        row.ticked = ticked is None or str(row.customer.pk) in {str(v) for v in ticked}
    context = {
        "base_template": modal_base(request, "customers/identifier_manage.html"),
        "customer": customer,
        "form": form,
        "rows": rows,
        "more": more,
        "action_url": reverse("customers:linked-block", args=[customer.public_id]),
        "back_url": reverse("customers:detail", args=[customer.public_id]) + "?tab=info",
    }
    response = render(request, TEMPLATE, context)
    if request.htmx:
        response["HX-Reswap"] = "innerHTML"
    return response
