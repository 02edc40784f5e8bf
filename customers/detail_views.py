"""The customer page and its HTMX partials. Every view loads the customer within the signed-in merchant (404
otherwise); reads come from customers/page.py. A partial asked without HTMX renders the whole page, so each
link works without JavaScript."""

from django import forms
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from common.params import AwareDateTimeField, PageForm, QueryForm, query_params
from common.views import get_for_merchant, merchant_required
from purchases.models import Purchase

from . import page as selectors
from .models import Customer, Identifier

TEMPLATE = "customers/customer_detail.html"


def _customer(request, public_id) -> Customer:
    return get_for_merchant(Customer, request, public_id=public_id)


class TabForm(QueryForm):
    """`?tab=` of the customer page; the Activity tab's `kind` and `before` (an "Older" cursor)."""

    tab = forms.ChoiceField(choices=[(t, t) for t in selectors.TABS], required=False, initial="details")
    kind = forms.ChoiceField(
        choices=[("", "All"), *((k, k) for k in selectors.ACTIVITY_KINDS)], required=False
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
        ctx.update(selectors.stats_context(customer, timezone.now()))
    elif tab == "info":
        ctx["links"] = selectors.identifier_links(customer)
    elif tab == "activity":
        ctx["activity"] = selectors.activity(
            customer, kind=request.query.get("kind") or "", before=request.query.get("before")
        )
        ctx["activity_kinds"] = selectors.ACTIVITY_KINDS
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
