"""The "What will happen" box of the money, access and blocking modals (HTMX GET, reloaded on every change of
the modal's form; read-only). Each view checks the permission of the action it previews."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from customers.forms import IdentifiersManageForm
from customers.models import Customer
from customers.plans import customer_identifiers
from merchants.guards import get_for_merchant, merchant_required
from merchants.permissions import has_permission
from purchases.models import Purchase
from refunds.forms import CreditForm
from transactions.models import Transaction

from .. import consequences

TEMPLATE = "desk/_consequences.html"
CANCEL_MODALS = ("purchase-cancel", "subscription-cancel", "subscription-cancel-now")


@merchant_required("credit.create")
@require_GET
def credit_preview(request, pk):
    charge = get_for_merchant(Transaction.objects.select_related("customer", "merchant"), request, pk=pk)
    form = CreditForm(request.GET, charge=charge)
    form.is_valid()  # the reason is not needed to say what happens; the amount and Block all are
    data = form.cleaned_data
    amount_error = ""
    if data.get("mode") == CreditForm.PARTIAL and not charge.is_wire:
        amount_error = (form.errors.get("amount") or [""])[0]
    plan = None
    if not amount_error:
        plan = consequences.credit_consequences(
            charge=charge,
            amount=data.get("amount") if data.get("mode") == CreditForm.PARTIAL else None,
            block_all=bool(data.get("block_all")),
            membership=request.membership,
        )
    return render(request, f"{TEMPLATE}#credit", {"plan": plan, "amount_error": amount_error})


@merchant_required("purchase.cancel")
@require_GET
def cancel_preview(request, pk):
    purchase = get_for_merchant(Purchase.objects.select_related("customer", "product"), request, pk=pk)
    modal = request.GET.get("modal")
    modal = modal if modal in CANCEL_MODALS else "purchase-cancel"
    when = consequences.cancel_when(purchase, modal, request.GET)
    result = None
    if when is not None:
        result = consequences.cancel_consequences(purchase=purchase, when=when, now=timezone.now())
    return render(request, f"{TEMPLATE}#cancel", {"c": result})


@merchant_required("identifier.block")
@require_GET
def details_preview(request, public_id):
    customer = get_for_merchant(Customer, request, public_id=public_id)
    form = IdentifiersManageForm(request.GET, identifiers=customer_identifiers(customer).only("pk"))
    valid = form.is_valid()
    changes = form.changes() if valid else {}
    cancel_subscriptions = bool(valid and form.cleaned_data["cancel_subscriptions"])
    context = {
        "customer": customer,
        "cancel_subscriptions": cancel_subscriptions,
        "toggles": consequences.toggles_consequences(customer=customer, changes=changes),
        "block_all": consequences.block_all_consequences(
            customer=customer,
            cancel_subscriptions=cancel_subscriptions,
            now=timezone.now(),
        ),
        "unblock_all": None,
        "form_error": "" if valid else "Some of these details changed; reload the window to see them.",
    }
    if has_permission(request.membership, "identifier.unblock"):
        context["unblock_all"] = consequences.unblock_all_consequences(customer=customer)
    return render(request, f"{TEMPLATE}#details", context)
