"""StripeProvider against localstripe (a stateful fake Stripe on loopback) through the real SDK.

What localstripe lacks (disputes, refund updates, Radar, checkout sessions) is covered by the signed
fixture-built events in test_webhooks.py. Run with `pytest -m localstripe tests/providers`.
"""

import os
import time

import httpx
import pytest
import stripe
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from customers.models import Customer, Identifier
from payments.base import ProviderError
from payments.registry import get_provider
from providers.apply import (
    apply_charge,
    apply_customer,
    apply_payment_method,
    apply_refund,
    apply_subscription,
)
from providers.models import ProviderEvent
from providers.stripe import StripeProvider
from purchases.models import Purchase
from purchases.signals import purchase_access_ended
from tests import factories
from transactions.models import Transaction

pytestmark = [pytest.mark.localstripe, pytest.mark.django_db(transaction=True)]

SECRET = "whsec_localstripe"
API_KEY = "sk_test_teller_localstripe"


@pytest.fixture
def sdk(localstripe_url):
    """The SDK pointed at localstripe, to arrange what exists at "Stripe" before Teller acts."""
    return stripe.StripeClient(API_KEY, base_addresses={"api": localstripe_url})


@pytest.fixture
def ls_merchant(localstripe_url, settings):
    settings.STRIPE_API_BASE = localstripe_url
    return factories.MerchantFactory(
        slug="ls-shop",
        provider="STRIPE",
        stripe_secret_key=API_KEY,
        stripe_webhook_secret=SECRET,
    )


@pytest.fixture
def provider(ls_merchant):
    p = get_provider(ls_merchant)
    assert isinstance(p, StripeProvider)
    return p


def _card(sdk, customer_id, number="4242424242424242"):
    pm = sdk.v1.payment_methods.create(
        {"type": "card", "card": {"number": number, "exp_month": 4, "exp_year": 2030, "cvc": "123"}}
    )
    return sdk.v1.payment_methods.attach(pm.id, {"customer": customer_id})


def _paid_charge(sdk, amount=1000):
    customer = sdk.v1.customers.create({"email": "buyer@example.org", "name": "Buyer"})
    pm = _card(sdk, customer.id)
    return sdk.v1.charges.create(
        {"amount": amount, "currency": "eur", "customer": customer.id, "source": pm.id}
    )


def _subscription(sdk):
    customer = sdk.v1.customers.create({"email": "sub@example.org"})
    pm = _card(sdk, customer.id)
    sdk.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": pm.id}})
    product = sdk.v1.products.create({"name": "Gold channel"})
    plan = sdk.v1.plans.create(
        {"amount": 2000, "currency": "eur", "interval": "month", "product": product.id}
    )
    return sdk.v1.subscriptions.create({"customer": customer.id, "items": [{"plan": plan.id}]})


def test_customers_and_payment_methods_are_mirrored_with_identifiers(sdk, provider, ls_merchant):
    created = sdk.v1.customers.create({"email": "Jane@Example.org", "name": "Jane"})
    pm = _card(sdk, created.id)

    customer = apply_customer(
        merchant=ls_merchant,
        now=timezone.now(),
        obj=provider.retrieve(object_type="customer", object_id=created.id),
    )
    method = apply_payment_method(
        merchant=ls_merchant,
        now=timezone.now(),
        obj=provider.retrieve(object_type="payment_method", object_id=pm.id),
    )

    assert (customer.name, customer.email) == ("Jane", "Jane@Example.org")
    assert method.customer == customer and method.last4 == "4242"
    kinds = set(customer.identifiers.values_list("kind", flat=True))
    assert kinds == {Identifier.Kind.CUSTOMER_ID, Identifier.Kind.EMAIL, Identifier.Kind.CARD}
    assert method.identifier.display == "Visa •••• 4242, 04/30"


def test_a_full_refund(sdk, provider, ls_merchant):
    charge = _paid_charge(sdk, 1000)
    apply_charge(merchant=ls_merchant, obj=charge.to_dict(), now=timezone.now())

    refund = provider.refund_create(charge_id=charge.id, amount=1000, reason="", idempotency_key="full-1")
    apply_refund(merchant=ls_merchant, obj=refund, now=timezone.now())

    row = Transaction.objects.get(provider_id=charge.id)
    assert (row.refunded_amount, row.status) == (1000, "REFUNDED")


def test_repeated_partial_refunds_add_up(sdk, provider, ls_merchant):
    charge = _paid_charge(sdk, 1000)
    apply_charge(merchant=ls_merchant, obj=charge.to_dict(), now=timezone.now())

    for n, amount in enumerate((300, 200)):
        refund = provider.refund_create(
            charge_id=charge.id, amount=amount, reason="", idempotency_key=f"p-{n}"
        )
        apply_refund(merchant=ls_merchant, obj=refund, now=timezone.now())

    row = Transaction.objects.get(provider_id=charge.id)
    assert (row.refunded_amount, row.status) == (500, "PARTIALLY_REFUNDED")
    assert row.children.filter(kind="REFUND").count() == 2

    last = provider.refund_create(charge_id=charge.id, amount=500, reason="", idempotency_key="p-last")
    apply_refund(merchant=ls_merchant, obj=last, now=timezone.now())
    row.refresh_from_db()
    assert (row.refunded_amount, row.status) == (1000, "REFUNDED")


def test_a_refund_stripe_refuses_is_a_provider_error(provider):
    with pytest.raises(ProviderError) as refused:
        provider.refund_create(charge_id="ch_doesnotexist", amount=100, reason="", idempotency_key="nope")

    assert refused.value.http_status == 404


def test_cancel_at_period_end_then_recover_then_cancel_now(sdk, provider, ls_merchant):
    sub = _subscription(sdk)
    apply_subscription(merchant=ls_merchant, obj=sub.to_dict(), now=timezone.now())
    ended = []
    purchase_access_ended.connect(receiver := lambda **kw: ended.append(kw["purchase"].pk), weak=False)
    try:
        scheduled = apply_subscription(
            merchant=ls_merchant,
            now=timezone.now(),
            obj=provider.subscription_set_cancel_at_period_end(
                subscription_id=sub.id, cancel_at_period_end=True
            ),
        )
        assert (scheduled.status, scheduled.cancel_at_period_end) == ("ACTIVE", True)

        recovered = apply_subscription(
            merchant=ls_merchant,
            now=timezone.now(),
            obj=provider.subscription_set_cancel_at_period_end(
                subscription_id=sub.id, cancel_at_period_end=False
            ),
        )
        assert (recovered.status, recovered.cancel_at_period_end) == ("ACTIVE", False)
        assert ended == []

        canceled = apply_subscription(
            merchant=ls_merchant,
            now=timezone.now(),
            obj=provider.subscription_cancel_now(subscription_id=sub.id),
        )
        assert canceled.status == Purchase.Status.CANCELED
        assert ended == [canceled.pk]
    finally:
        purchase_access_ended.disconnect(receiver)


def _wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


class _Relay:
    """A single-threaded HTTP receiver that records localstripe's deliveries (body + headers) untouched.

    On SQLite the test database is in memory and cannot take the concurrent writers a threaded live server
    would bring, so the captured requests are then posted, byte for byte, through the real endpoint.
    """

    def __init__(self):
        import http.server
        import threading

        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, body, self.headers["Stripe-Signature"]))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def _register(localstripe_url, url):
    response = httpx.post(f"{localstripe_url}/_config/webhooks/teller", data={"url": url, "secret": SECRET})
    assert response.status_code == 200


def test_localstripe_signed_webhooks_reach_the_server_and_are_applied(
    sdk, ls_merchant, localstripe_url, request
):
    from django.db import connection

    on_postgres = connection.vendor == "postgresql"
    if on_postgres:  # a real multi-threaded live server: localstripe posts straight to it
        live_server = request.getfixturevalue("live_server")
        _register(localstripe_url, f"{live_server.url}/webhooks/stripe/{ls_merchant.slug}/")
    else:
        relay = _Relay()
        _register(localstripe_url, f"{relay.url}/webhooks/stripe/{ls_merchant.slug}/")
    try:
        customer = sdk.v1.customers.create({"email": "hook@example.org", "name": "Hooked"})
        sub = _subscription(sdk)
        sdk.v1.subscriptions.cancel(sub.id)
        if not on_postgres:
            assert _wait_for(lambda: len(relay.received) >= 4, timeout=20), "localstripe sent no webhooks"
            time.sleep(1.5)  # let the last deliveries land
            client = Client()
            for path, body, signature in list(relay.received):
                response = client.post(
                    path, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
                )
                assert response.status_code == 200
        # Waited for while the webhook is still registered: localstripe posts about a second after each call.
        assert _wait_for(
            lambda: Customer.objects.filter(provider_customer_id=customer.id, name="Hooked").exists(), 30
        )
        assert _wait_for(
            lambda: Purchase.objects.filter(provider_subscription_id=sub.id, status="CANCELED").exists(), 30
        )
    finally:
        _register(localstripe_url, "http://127.0.0.1:9/")  # stop delivering anywhere
        if not on_postgres:
            relay.close()

    wanted = {"customer.created", "customer.subscription.created", "customer.subscription.deleted"}
    processed = lambda: set(ProviderEvent.objects.filter(status="PROCESSED").values_list("type", flat=True))  # noqa: E731
    assert _wait_for(lambda: wanted <= processed(), 30), list(
        ProviderEvent.objects.values("type", "status", "error")
    )


def test_sync_stripe_applies_what_is_missing(sdk, ls_merchant):
    sub = _subscription(sdk)
    charge = _paid_charge(sdk, 700)
    sdk.v1.refunds.create({"charge": charge.id, "amount": 200})

    call_command(
        "sync_stripe",
        "--merchant",
        ls_merchant.slug,
        stdout=open(os.devnull, "w"),
        stderr=open(os.devnull, "w"),
    )

    assert Purchase.objects.filter(provider_subscription_id=sub.id, status="ACTIVE").exists()
    row = Transaction.objects.get(provider_id=charge.id)
    assert (row.refunded_amount, row.status) == (200, "PARTIALLY_REFUNDED")
    assert ProviderEvent.objects.filter(merchant=ls_merchant).exists()
