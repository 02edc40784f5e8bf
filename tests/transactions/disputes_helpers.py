"""Disputes made the way Stripe reports them: the sandbox emits the events and the inbox applies them."""

from datetime import timedelta

from django.test import TestCase
from django.utils import timezone

from sandbox import simulate as sim
from transactions.models import Dispute


def open_dispute(merchant, *, key="d1", reason="fraudulent", at=None, status="needs_response", amount=4900):
    """A customer, a charge of `amount` EUR cents and a dispute of it opened at `at` (due 14 days later)."""
    with TestCase.captureOnCommitCallbacks(
        execute=True
    ):  # the events are applied on commit, as the worker would
        dispute_id = _open(merchant, key=key, reason=reason, at=at, status=status, amount=amount)
    return Dispute.objects.get(merchant=merchant, provider_id=dispute_id)


def _open(merchant, *, key, reason, at, status, amount):
    at = at or timezone.now().replace(microsecond=0) - timedelta(days=2)
    customer = sim.simulate_customer(
        merchant,
        key=f"{key}-c",
        email=f"{key}@example.org",
        name=f"Customer {key}",
        at=at - timedelta(days=5),
    )
    pm = sim.simulate_payment_method(merchant, key=f"{key}-pm", customer=customer, at=at - timedelta(days=5))
    charge = sim.simulate_charge(
        merchant,
        key=f"{key}-ch",
        customer=customer["id"],
        pm=pm,
        amount=amount,
        currency="eur",
        at=at - timedelta(days=4),
    )
    obj = sim.simulate_dispute(merchant, key=key, charge_id=charge["id"], at=at, status=status, reason=reason)
    return obj["id"]
