"""What a parsed search finds: customers and transactions of one merchant, by index paths only.

Free text, emails, public ids and cus_ ids reuse the customers and transactions lists' own search paths
(`customers.filters.search_q`, `transactions.filters.search_q`); the operators add exact conditions the
(merchant, …) indexes serve (common/migrations/0003_global_search_indexes.py). A term that cannot describe a
kind (amount: on customers, a ch_ id on customers) leaves that kind out of the results."""

from datetime import datetime, time
from decimal import Decimal
from functools import cache

from babel.numbers import get_currency_precision, list_currencies
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from customers import filters as customer_filters
from customers.models import Customer, CustomerIdentifier, Identifier
from providers.models import InvoicePayment, ProviderInvoice
from purchases.models import Purchase
from transactions import filters as transaction_filters
from transactions.models import Dispute, Transaction

from .query import Query, Term

IDS_MAX = 1000
CUSTOMER_PREFIXES = ("cus_", "sub_")
TRANSACTION_PREFIXES = ("cus_", "ch_", "pi_", "in_", "re_", "dp_", "sub_")


@cache
def currencies_by_exponent() -> dict[int, tuple[str, ...]]:
    """Lower-case ISO codes (as Teller stores them) of each number of decimals other than 2."""
    groups: dict[int, list[str]] = {}
    for code in list_currencies():
        exponent = get_currency_precision(code)
        if exponent != 2:
            groups.setdefault(exponent, []).append(code.lower())
    return {exponent: tuple(sorted(codes)) for exponent, codes in groups.items()}


def minor_units(amount: Decimal, exponent: int) -> int | None:
    value = amount.scaleb(exponent)
    return int(value) if value == value.to_integral_value() else None


def amount_q(term: Term, currency: str) -> Q:
    """The amount in minor units of the merchant's currency, for every currency with as many decimals.

    One exponent only, so "amount = X" stays one ordered walk of the (merchant, amount, occurred_at) index;
    a currency with another number of decimals is left out rather than matched at a wrong scale."""
    exponent = get_currency_precision(currency.upper())
    value = minor_units(term.value, exponent)
    if value is None:
        return Q(pk__in=[])
    lookup = {"=": "", ">": "__gt", "<": "__lt", ">=": "__gte", "<=": "__lte"}[term.op]
    others = [code for exp, codes in currencies_by_exponent().items() if exp != exponent for code in codes]
    same_scale = (
        Q(currency__in=currencies_by_exponent().get(exponent, ()))
        if exponent != 2
        else ~Q(currency__in=others)
    )
    return Q(**{f"amount{lookup}": value}) & same_scale


def start_of_day(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _ids(queryset, limit=IDS_MAX) -> list:
    return list(queryset.order_by()[:limit])


def _customers_of_subscription(merchant, sub_id) -> list[int]:
    return _ids(
        Purchase.objects.filter(merchant=merchant, provider_subscription_id=sub_id).values_list(
            "customer_id", flat=True
        )
    )


def _card_customers(merchant, last4) -> list[int]:
    return _ids(
        CustomerIdentifier.objects.filter(
            identifier__merchant=merchant, identifier__kind=Identifier.Kind.CARD, identifier__last4=last4
        ).values_list("customer_id", flat=True)
    )


def customer_q(term: Term, merchant) -> Q | None:
    """What `term` asks of customers, or None when it cannot describe one."""
    if term.kind == "id":
        if term.id_prefix == "cus_":
            return customer_filters.search_q(term.value, merchant)
        if term.id_prefix == "sub_":
            return Q(pk__in=_customers_of_subscription(merchant, term.value))
        return None
    if term.kind == "public_id":
        return Q(public_id=term.value)
    if term.kind == "email":
        return Q(email__iexact=term.value)
    if term.kind == "last4":
        return Q(pk__in=_card_customers(merchant, term.value))
    if term.kind == "text":
        return customer_filters.search_q(term.value, merchant)
    return None  # amount, status, date describe payments


def _invoice_q(merchant, invoice_id) -> Q:
    links = InvoicePayment.objects.filter(merchant=merchant, provider_invoice_id=invoice_id)
    charges = [c for c in _ids(links.values_list("charge_id", flat=True)) if c]
    intents = [p for p in _ids(links.values_list("payment_intent_id", flat=True)) if p]
    q = Q(provider_id__in=charges) | Q(provider_payment_intent_id__in=intents)
    if not charges and not intents:  # only the invoice is known: its subscription's payments
        subs = _ids(
            ProviderInvoice.objects.filter(merchant=merchant, provider_invoice_id=invoice_id).values_list(
                "provider_subscription_id", flat=True
            )
        )
        q = Q(purchase_id__in=_purchases_of(merchant, [s for s in subs if s]))
    return q


def _purchases_of(merchant, sub_ids) -> list[int]:
    if not sub_ids:
        return []
    return _ids(
        Purchase.objects.filter(merchant=merchant, provider_subscription_id__in=sub_ids).values_list(
            "pk", flat=True
        )
    )


def transaction_q(term: Term, merchant) -> Q | None:
    """What `term` asks of transactions (always something: every term can describe a payment)."""
    if term.kind == "id":
        prefix = term.id_prefix
        if prefix == "cus_":
            customers = Customer.objects.filter(merchant=merchant).filter(
                customer_filters.search_q(term.value, merchant)
            )
            return Q(customer_id__in=_ids(customers.values_list("pk", flat=True)))
        if prefix == "pi_":
            return Q(provider_payment_intent_id=term.value)
        if prefix == "sub_":
            return Q(purchase_id__in=_purchases_of(merchant, [term.value]))
        if prefix == "in_":
            return _invoice_q(merchant, term.value)
        if prefix == "dp_":
            disputed = Dispute.objects.filter(merchant=merchant, provider_id=term.value)
            return Q(provider_id=term.value) | Q(
                pk__in=_ids(disputed.values_list("transaction_id", flat=True))
            )
        return Q(provider_id=term.value)  # ch_, re_
    if term.kind == "public_id":
        return Q(
            customer_id__in=_ids(
                Customer.objects.filter(merchant=merchant, public_id=term.value).values_list("pk", flat=True)
            )
        )
    if term.kind in ("email", "text"):
        return transaction_filters.search_q(term.value, merchant)
    if term.kind == "last4":
        q = Q(method_last4=term.value)
        if term.also_amount:
            q |= amount_q(Term("amount", Decimal(term.value)), merchant.default_currency)
        return q
    if term.kind == "amount":
        return amount_q(term, merchant.default_currency)
    if term.kind == "status":
        return Q(status=term.value)
    if term.kind == "date":
        return Q(occurred_at__gte=start_of_day(term.value), occurred_at__lt=start_of_day(term.end))
    raise ValueError(f"unknown term kind {term.kind}")  # pragma: no cover - the parser makes no others


def _combine(parts) -> Q | None:
    combined = Q()
    for part in parts:
        if part is None:
            return None
        combined &= part
    return combined


def customers_for(query: Query, merchant):
    q = _combine(customer_q(term, merchant) for term in query.terms)
    if q is None or not query.terms:
        return None
    return Customer.objects.for_merchant(merchant).filter(q)


def transactions_for(query: Query, merchant):
    if not query.terms:
        return None
    q = _combine(transaction_q(term, merchant) for term in query.terms)
    return (
        Transaction.objects.for_merchant(merchant)
        .filter(q)
        .select_related("customer", "purchase__product", "dispute")
    )


def exact_target(query: Query, merchant) -> str | None:
    """The URL of the one object an exact id names, or None (nothing, or more than one, matches)."""

    term = query.exact_id
    if term is None:
        return None
    if term.kind == "public_id" or term.id_prefix in CUSTOMER_PREFIXES:
        customers = customers_for(query, merchant)
        found = list(customers.order_by().values_list("public_id", flat=True)[:2])
        if len(found) == 1:
            return reverse("customers:detail", args=[found[0]])
        return None
    found = list(transactions_for(query, merchant).order_by().values_list("pk", flat=True)[:2])
    if len(found) == 1:
        return reverse("transactions:detail", args=[found[0]])
    return None
