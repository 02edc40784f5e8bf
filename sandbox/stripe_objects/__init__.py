"""Stripe-shaped object builders for the SandboxProvider (and for tests that need Stripe payloads).

Each builder returns a plain dict with exactly the top-level keys of the same object in Stripe's API (the key
table and the id helpers are in `base`), so the code that applies webhooks cannot tell a sandbox object from a
real one. Callers use `from sandbox import stripe_objects as so` and `so.<builder>`; the builders live in
`customers` (customers, payment methods, prices), `billing` (subscriptions, invoices, payment intents) and
`charges` (charges, refunds, disputes, Checkout Sessions, Radar lists, events).
"""

from .base import KEYS, fingerprint, stripe_id, ts
from .billing import invoice, invoice_payment, payment_intent, subscription, subscription_period
from .charges import (
    API_VERSION,
    DISPUTE_STATUSES,
    charge,
    checkout_session,
    dispute,
    event,
    refund,
    value_list,
    value_list_item,
)
from .customers import card_details, customer, payment_method, payment_method_details, price, sepa_details

__all__ = [
    "API_VERSION",
    "DISPUTE_STATUSES",
    "KEYS",
    "card_details",
    "charge",
    "checkout_session",
    "customer",
    "dispute",
    "event",
    "fingerprint",
    "invoice",
    "invoice_payment",
    "payment_intent",
    "payment_method",
    "payment_method_details",
    "price",
    "refund",
    "sepa_details",
    "stripe_id",
    "subscription",
    "subscription_period",
    "ts",
    "value_list",
    "value_list_item",
]
