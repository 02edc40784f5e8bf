"""What a batch of events will look up, checked in three queries before the batch is applied.

The apply helpers look each row up by its unique key before inserting it. For a batch of new customers and
their first payments almost every lookup misses, so the inbox asks once, up front, which of the keys the
batch's payloads name do not exist yet (absent_keys), and an optimistic batch inserts those directly
(providers.apply.common). Keys not named here are simply looked up as usual.
"""

from functools import reduce
from operator import or_

from django.db.models import Q

from customers.identifiers import normalize
from customers.models import Customer, Identifier
from transactions.models import Transaction

from .common import absence_key, obj_id

_METHOD_KINDS = {"card": Identifier.Kind.CARD, "sepa_debit": Identifier.Kind.BANK_ACCOUNT}


def _names(obj: dict, customers: set, identifiers: set, transactions: set) -> None:
    kind = obj.get("object")
    if kind == "customer":
        customers.add(obj.get("id"))
        if obj.get("email"):
            identifiers.add((Identifier.Kind.EMAIL, obj["email"]))
    else:
        customers.add(obj_id(obj.get("customer")))
    if kind in ("charge", "refund", "dispute"):
        transactions.add(obj.get("id"))
    billing = obj.get("billing_details") or {}
    for email in (billing.get("email"), obj.get("receipt_email")):
        if email:
            identifiers.add((Identifier.Kind.EMAIL, email))
    details = obj.get("payment_method_details") or obj
    for method, identifier_kind in _METHOD_KINDS.items():
        fingerprint = (details.get(method) or {}).get("fingerprint")
        if fingerprint:
            identifiers.add((identifier_kind, fingerprint))
    if isinstance(obj.get("charge"), dict):
        _names(obj["charge"], customers, identifiers, transactions)


def absent_keys(merchant, objects: list[dict]) -> set:
    """absence_key()s of the customers, identifiers and transactions these objects name that do not exist."""
    customers, identifiers, transactions = set(), set(), set()
    for obj in objects:
        _names(obj, customers, identifiers, transactions)
    customers.discard(None)
    transactions.discard(None)
    for customer_id in customers:
        identifiers.add((Identifier.Kind.CUSTOMER_ID, customer_id))
    wanted = {(kind, normalize(kind, value)) for kind, value in identifiers}
    wanted = {(kind, value) for kind, value in wanted if value}

    absent = set()
    if customers:
        found = set(
            Customer.objects.filter(merchant=merchant, provider_customer_id__in=customers).values_list(
                "provider_customer_id", flat=True
            )
        )
        absent |= {
            absence_key(Customer, merchant=merchant, provider_customer_id=c) for c in customers - found
        }
    if wanted:
        # One (kind, values) term per kind, so each probes the unique (merchant, kind, value) index; a bare
        # `value IN (...)` would scan every identifier of the merchant.
        by_kind = {}
        for kind, value in wanted:
            by_kind.setdefault(kind, set()).add(value)
        terms = reduce(or_, (Q(kind=kind, value__in=values) for kind, values in by_kind.items()))
        found = set(Identifier.objects.filter(terms, merchant=merchant).values_list("kind", "value"))
        absent |= {
            absence_key(Identifier, merchant=merchant, kind=kind, value=value)
            for kind, value in wanted - found
        }
    if transactions:
        found = set(
            Transaction.objects.filter(merchant=merchant, provider_id__in=transactions).values_list(
                "provider_id", flat=True
            )
        )
        absent |= {absence_key(Transaction, merchant=merchant, provider_id=t) for t in transactions - found}
    return absent
