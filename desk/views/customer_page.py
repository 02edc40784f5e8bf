"""The customer page and its HTMX partials. Every view loads the customer within the signed-in merchant (404
otherwise); reads come from desk/selectors/. A partial asked without HTMX renders the whole page, so each
link works without JavaScript."""

import json

from django import forms
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from common.filtering import ignored_filter_notes, tidy_url
from common.params import AwareDateTimeField, CursorForm, PageForm, QueryForm, query_params
from customers.models import Customer, Identifier
from merchants.guards import get_for_merchant, merchant_required
from purchases.models import Purchase
from transactions.services import NOTE_MAX_LENGTH, NoteInvalid, customer_note_create

from ..filters import CustomerTransactionFilter
from ..linked import linked_customers
from ..selectors import activity, stats
from ..selectors import customer_page as selectors

TEMPLATE = "customers/customer_detail.html"
TXN_RESULTS_ID = "customer-txn-results"


def _customer(request, public_id) -> Customer:
    return get_for_merchant(Customer, request, public_id=public_id)


class TabForm(QueryForm):
    """`?tab=` of the customer page; the Activity tab's `kind` and `before` (an "Older" cursor)."""

    # The Transactions tab has its own URL (customer_transactions): its keyset cursors would clash with
    # the Activity tab's `before`.
    tab = forms.ChoiceField(
        choices=[(t, t) for t in selectors.TABS if t != "transactions"], required=False, initial="details"
    )
    kind = forms.ChoiceField(
        choices=[("", "All"), *((k, k) for k in activity.ACTIVITY_KINDS)], required=False
    )
    before = AwareDateTimeField()


def _page(request) -> int:
    return request.query.get("page") or 1


def _tab_context(request, customer, tab: str) -> dict:
    """Only the selected tab's reads run."""
    ctx = {"tab": tab, "tabs": selectors.TABS}
    if tab == "details":
        ctx["last_txn"] = selectors.last_transaction(customer)
    elif tab == "stats":
        ctx.update(stats.stats_context(customer, timezone.now()))
    elif tab == "info":
        ctx["links"] = selectors.identifier_links(customer)
        ctx["linked"] = linked_customers(customer)
    elif tab == "activity":
        ctx["activity"] = activity.activity(
            customer, kind=request.query.get("kind") or "", before=request.query.get("before")
        )
        ctx["activity_kinds"] = activity.ACTIVITY_KINDS
        ctx["note_form"] = CustomerNoteForm()
    return ctx


@merchant_required()
@query_params(TabForm)
def customer_detail(request, public_id):
    """The page, or (HTMX) only the tabs card of the tab in ?tab=."""
    customer = _customer(request, public_id)
    tab = request.query.get("tab") or "details"
    ctx = {"customer": customer, **_tab_context(request, customer, tab)}
    if request.htmx and not request.htmx.boosted:
        return render(request, f"{TEMPLATE}#tabs", ctx)
    ctx.update(selectors.header_context(customer))
    ctx["products"] = selectors.products(customer)
    ctx["payment_methods"] = selectors.payment_methods(customer)
    return render(request, TEMPLATE, ctx)


@merchant_required()
@query_params(CustomerTransactionFilter, CursorForm)
def customer_transactions(request, public_id):
    """The Transactions tab: every transaction of the customer, filtered like the transactions list and
    keyset-paged. HTMX gets the results (filter form) or the tabs card (tab link); without JS the page."""
    customer = _customer(request, public_id)
    filterset, page = selectors.customer_transactions(customer, request=request)
    notes = ignored_filter_notes(filterset)
    if filterset.inverted_range_note:
        notes.append(filterset.inverted_range_note)
    ctx = {
        "customer": customer,
        "tab": "transactions",
        "tabs": selectors.TABS,
        "filter": filterset,
        "txn_page": page,
        "notes": notes,
    }
    if request.htmx and request.htmx.target == TXN_RESULTS_ID:
        response = render(request, f"{TEMPLATE}#transactions-results", ctx)
        response["HX-Push-Url"] = tidy_url(request)
        return response
    if request.htmx and not request.htmx.boosted:
        return render(request, f"{TEMPLATE}#tabs", ctx)
    ctx.update(selectors.header_context(customer))
    ctx["products"] = selectors.products(customer)
    ctx["payment_methods"] = selectors.payment_methods(customer)
    return render(request, TEMPLATE, ctx)


@merchant_required()
def customer_header(request, public_id):
    customer = _customer(request, public_id)
    ctx = {"customer": customer, **selectors.header_context(customer)}
    return render(request, f"{TEMPLATE}#header" if request.htmx else TEMPLATE, _full(request, customer, ctx))


@merchant_required()
@query_params(PageForm)
def customer_products(request, public_id):
    customer = _customer(request, public_id)
    ctx = {"customer": customer, "products": selectors.products(customer, page=_page(request))}
    return render(
        request, f"{TEMPLATE}#products" if request.htmx else TEMPLATE, _full(request, customer, ctx)
    )


@merchant_required()
def customer_payment_methods(request, public_id):
    customer = _customer(request, public_id)
    ctx = {"customer": customer, "payment_methods": selectors.payment_methods(customer)}
    return render(
        request, f"{TEMPLATE}#payment-methods" if request.htmx else TEMPLATE, _full(request, customer, ctx)
    )


def _full(request, customer, ctx: dict) -> dict:
    """Without HTMX a partial URL shows the whole page (its panel included) so links work without JS."""
    if request.htmx:
        return ctx
    full = {
        "customer": customer,
        **_tab_context(request, customer, "details"),
        **selectors.header_context(customer),
    }
    full.setdefault("products", selectors.products(customer))
    full["payment_methods"] = selectors.payment_methods(customer)
    full.update(ctx)
    return full


@merchant_required()
@query_params(PageForm)
def purchase_transactions(request, public_id, purchase_id):
    """The arrow on a product: its transactions, one page at a time."""
    customer = _customer(request, public_id)
    purchase = get_object_or_404(
        Purchase.objects.for_merchant(request.merchant).select_related("product"),
        pk=purchase_id,
        customer=customer,
    )
    ctx = {
        "customer": customer,
        "purchase": purchase,
        **selectors.purchase_transactions(purchase, page=_page(request)),
    }
    template = "customers/purchase_transactions.html"
    return render(request, f"{template}#rows" if request.htmx else template, ctx)


@merchant_required()
def identifier_log(request, public_id, identifier_id):
    """Block / unblock history of one of the customer's details (modal; a page without JS)."""
    customer = _customer(request, public_id)
    identifier = get_object_or_404(
        Identifier.objects.for_merchant(request.merchant), pk=identifier_id, customer_links__customer=customer
    )
    ctx = {"customer": customer, "identifier": identifier, "events": selectors.identifier_log(identifier)}
    if request.htmx:
        return render(request, "customers/identifier_log_modal.html", ctx)
    return render(request, "customers/identifier_log.html", ctx)


class CustomerNoteForm(forms.Form):
    body = forms.CharField(
        label="Add a note",
        max_length=NOTE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Visible to your team only"}),
    )


@merchant_required("note.add")
def customer_note_add(request, public_id):
    """POST a note about the customer (the Activity tab's form). HTMX gets the Activity tab back (the form
    with its error, or the stream with the note); a plain post is redirected to the Activity tab."""
    customer = _customer(request, public_id)
    if request.method != "POST":  # the page with the Activity tab (and its note form) open; nothing changes
        form = CustomerNoteForm()
    else:
        form = CustomerNoteForm(request.POST)
    if request.method == "POST" and form.is_valid():
        try:
            customer_note_create(
                actor=request.user, now=timezone.now(), customer=customer, body=form.cleaned_data["body"]
            )
            form = None
        except NoteInvalid as exc:
            form.add_error("body", str(exc))
    if form is None and not request.htmx:
        return redirect(f"{customer_url(customer)}?tab=activity")
    request.query = {"tab": "activity", "kind": "", "before": None}
    ctx = {"customer": customer, **_tab_context(request, customer, "activity")}
    if form is not None and form.is_bound:
        ctx["note_form"] = form
    if request.htmx:
        response = render(request, f"{TEMPLATE}#tabs", ctx)  # htmx swaps 2xx only: the error shows in place
        if form is None:  # added: the toast (the tab shows the note)
            response["HX-Trigger"] = json.dumps({"teller:toast": {"message": "Note added"}})
        return response
    ctx.update(selectors.header_context(customer))
    ctx["products"] = selectors.products(customer)
    ctx["payment_methods"] = selectors.payment_methods(customer)
    return render(request, TEMPLATE, ctx, status=400 if form.is_bound else 200)


def customer_url(customer) -> str:

    return reverse("customers:detail", args=[customer.public_id])
