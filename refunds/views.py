"""Credit a charge ("Credit transaction"); add a repayment to a chargeback ("Add repayment").

Modals render into #modal on an HTMX request and as a plain page otherwise (pages work without JS).
A finished action answers 204 + HX-Trigger "customer:changed" (HTMX) or redirects (plain POST); a refused
one re-renders the modal with the reason, nothing changed.
"""

import json

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from common.htmx import hx_trigger_response, modal_base
from common.money import format_money
from merchants.guards import get_for_merchant, merchant_required
from transactions.models import Transaction
from transactions.rules import credit_refusal

from . import selectors, services
from .forms import CreditForm, RepaymentForm
from .models import Credit, Repayment


def _transaction(request, pk) -> Transaction:
    qs = Transaction.objects.select_related("customer", "merchant", "parent")
    return get_for_merchant(qs, request, pk=pk)


def _back_url(txn: Transaction) -> str:
    if txn.customer_id:
        return reverse("customers:detail", args=[txn.customer.public_id])
    return reverse("transactions:detail", args=[txn.pk])


def _done(request, txn: Transaction, message: str):
    if request.htmx:
        return hx_trigger_response("customer:changed", message=message)
    messages.success(request, message)
    return redirect(_back_url(txn))


def _add_error(form, error: services.RefundsError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


# --- credit -------------------------------------------------------------------------------------------------


def _credit_blocked(charge: Transaction) -> str:
    return credit_refusal(charge)  # the one rule the Credit button and the service use too


def _credit_message(credit: Credit) -> str:
    amount = format_money(credit.amount, credit.currency)
    if credit.status == Credit.Status.PENDING:
        return f"Credit of {amount} is pending: the provider has not confirmed it yet"
    return f"Credited {amount}"


@merchant_required("credit.create")
@require_http_methods(["GET", "POST"])
def credit(request, pk):
    charge = _transaction(request, pk)
    form = CreditForm(request.POST if request.method == "POST" else None, charge=charge)
    blocked = _credit_blocked(charge)
    if request.method == "POST" and not blocked and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.credit_create(
                actor=request.user,
                membership=request.membership,
                now=timezone.now(),
                transaction=charge,
                amount=data["amount"],
                reason=data["reason"],
                reason_text=data["reason_text"],
                risk_acknowledged=data["risk_acknowledged"],
                chargeback_acknowledged=data["chargeback_acknowledged"],
                block_all=data["block_all"],
                idempotency_key=data["idempotency_key"],
            )
        except services.CreditRefused as error:
            _add_error(form, error)
        else:
            if result.status != Credit.Status.FAILED:
                return _done(request, charge, _credit_message(result))
            form.add_error(None, f"The provider refused the credit: {result.failure_message}")
            form.fresh_key()
        charge.refresh_from_db()
    context = {
        **selectors.credit_modal_context(charge, membership=request.membership),
        "form": form,
        "blocked": blocked,
        "base_template": modal_base(request),
        "action_url": reverse("refunds:credit", args=[charge.pk]),
        "back_url": _back_url(charge),
    }
    return render(request, "refunds/credit_create_modal.html", context)


# --- repayment ----------------------------------------------------------------------------------------------


def _repayment_blocked(chargeback: Transaction) -> str:
    if chargeback.kind != Transaction.Kind.CHARGEBACK:
        return "Repayments can only be added to a chargeback."
    if chargeback.status == Transaction.Status.WON:
        return "This chargeback was won: the money came back, nothing is owed."
    return ""


def _render_repayment(
    request, chargeback: Transaction, form, *, created: Repayment | None = None, status=200, action_error=""
):
    context = {
        "action_error": action_error,  # a refused link action: the (unbound) form has no errors to carry it
        **selectors.repayment_modal_context(chargeback, now=timezone.now()),
        "form": form,
        "blocked": _repayment_blocked(chargeback),
        "created": created,
        "base_template": modal_base(request),
        "back_url": _back_url(chargeback),
        "action_url": reverse("refunds:repayment", args=[chargeback.pk]),
    }
    response = render(request, "refunds/repayment_create_modal.html", context, status=status)
    if created is not None or request.method == "POST":
        response["HX-Trigger"] = json.dumps(
            {"customer:changed": True}
        )  # panels refresh; the modal stays open
    return response


@merchant_required("repayment.create")
@require_http_methods(["GET", "POST"])
def repayment(request, pk):
    chargeback = _transaction(request, pk)
    form = RepaymentForm(request.POST if request.method == "POST" else None, chargeback=chargeback)
    if request.method != "POST" or _repayment_blocked(chargeback) or not form.is_valid():
        return _render_repayment(request, chargeback, form)
    data, now = form.cleaned_data, timezone.now()
    try:
        if data["option"] == RepaymentForm.LINK:
            created = services.repayment_link_create(
                actor=request.user, now=now, chargeback=chargeback, amount=data["link_amount"]
            )
            chargeback.refresh_from_db()
            return _render_repayment(
                request, chargeback, RepaymentForm(chargeback=chargeback), created=created
            )
        recorded = services.repayment_manual_create(
            actor=request.user,
            now=now,
            chargeback=chargeback,
            amount=data["amount"],
            paid_on=data["paid_on"],
            manual_method=data["manual_method"],
            reference=data["reference"],
            note=data["note"],
        )
    except services.RepaymentRefused as error:
        _add_error(form, error)
        chargeback.refresh_from_db()
        return _render_repayment(request, chargeback, form)
    return _done(
        request, chargeback, f"Repayment of {format_money(recorded.amount, recorded.currency)} recorded"
    )


def _repayment_link(request, pk) -> Repayment:
    qs = Repayment.objects.select_related("chargeback__customer", "chargeback__parent", "merchant")
    return get_for_merchant(qs, request, pk=pk)


def _after_link_action(request, link: Repayment, *, message: str, error: str = ""):
    """Back to the repayment modal (HTMX) or page, with the outcome."""
    chargeback = link.chargeback
    chargeback.refresh_from_db()
    if not request.htmx:
        (messages.error if error else messages.success)(request, error or message)
        return redirect(reverse("refunds:repayment", args=[chargeback.pk]))
    response = _render_repayment(
        request, chargeback, RepaymentForm(chargeback=chargeback), action_error=error
    )
    if not error:
        response["HX-Trigger"] = json.dumps({"customer:changed": True, "teller:toast": {"message": message}})
    return response


@merchant_required("repayment.create")
@require_POST
def repayment_cancel(request, pk):
    link = _repayment_link(request, pk)
    try:
        link = services.repayment_link_cancel(actor=request.user, now=timezone.now(), repayment=link)
    except services.RepaymentRefused as error:
        return _after_link_action(request, link, message="", error=error.message)
    return _after_link_action(request, link, message=f"Repayment link {link.get_status_display().lower()}")


@merchant_required("repayment.create")
@require_POST
def repayment_email(request, pk):
    link = _repayment_link(request, pk)
    try:
        to = services.repayment_link_email(actor=request.user, now=timezone.now(), repayment=link)
    except services.RepaymentRefused as error:
        return _after_link_action(request, link, message="", error=error.message)
    return _after_link_action(request, link, message=f"Repayment link emailed to {to}")
