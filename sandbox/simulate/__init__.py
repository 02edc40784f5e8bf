"""Simulated customer activity at the sandbox: what would happen at Stripe when customers buy, pay, fail,
refund and dispute. Used by `manage.py seed_demo` and by tests.

Every helper emits the Stripe events into the merchant's inbox (sandbox.provider.emit), never writes a
domain row: the pipeline applies them. Each takes a `key` and an explicit time `at`; the same key gives
the same object ids and event ids, so calling a helper twice with the same key changes nothing.

The package: `customers` (customers, payment methods, charges), `billing` (invoices, subscriptions, one-time
purchases) and `refunds_disputes` (refunds, disputes, repayment links). Callers import from here.
"""

from .billing import product_price, simulate_invoice_paid, simulate_one_time_purchase, simulate_subscription
from .customers import TEST_CARDS, simulate_charge, simulate_customer, simulate_payment_method
from .refunds_disputes import simulate_dispute, simulate_refund, simulate_repayment_paid

__all__ = [
    "TEST_CARDS",
    "product_price",
    "simulate_charge",
    "simulate_customer",
    "simulate_dispute",
    "simulate_invoice_paid",
    "simulate_one_time_purchase",
    "simulate_payment_method",
    "simulate_refund",
    "simulate_repayment_paid",
    "simulate_subscription",
]
