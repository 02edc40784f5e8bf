"""sync_stripe walks invoices and invoice payments after the charges: a backfill ties charges to purchases."""

import pytest
from django.core.management import call_command

from providers.stripe import StripeProvider
from tests import factories
from tests import stripe_shapes as sp
from transactions.models import Transaction

pytestmark = pytest.mark.django_db


def test_a_backfill_ties_each_charge_to_its_subscription_through_invoice_and_invoice_payment(monkeypatch):
    merchant = factories.MerchantFactory(provider="STRIPE", stripe_secret_key="sk_test_sync")
    objects = {  # what Stripe's list endpoints answer, in today's shapes
        "customer": [sp.customer(id="cus_S")],
        "subscription": [sp.subscription(id="sub_S", customer="cus_S")],
        "charge": [sp.charge(id="ch_S", customer="cus_S", payment_intent="pi_S")],
        "invoice": [sp.invoice("sub_S", id="in_S", customer="cus_S")],
        "invoice_payment": [sp.invoice_payment("in_S", payment_intent="pi_S")],
        "refund": [sp.refund("ch_S", 500, id="re_S")],
        "dispute": [],
        "payment_method": [],
    }
    listed = []

    def list_all(self, object_type, params=None):
        listed.append(object_type)
        yield from objects[object_type]

    monkeypatch.setattr(StripeProvider, "list_all", list_all)

    call_command("sync_stripe", merchant=merchant.slug, skip_events=True)

    kinds = [k for k in listed if k != "payment_method"]
    assert kinds == ["customer", "subscription", "charge", "invoice", "invoice_payment", "refund", "dispute"]
    charge = Transaction.objects.get(merchant=merchant, provider_id="ch_S")
    assert charge.purchase.provider_subscription_id == "sub_S"
    assert Transaction.objects.get(merchant=merchant, provider_id="re_S").purchase == charge.purchase
