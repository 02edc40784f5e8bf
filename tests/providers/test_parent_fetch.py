"""A child whose parent never arrives: it waits (visibly), then the parent is fetched from Stripe and applied.

StripeProvider's real SDK code runs against a recorded Stripe HTTP client (stripe.HTTPClient subclass, as in
tests/customers/test_radar_mirror.py): it answers GET /v1/<resource>/<id> with the objects it holds, 404
`resource_missing` (Stripe's own error body) for others, and records every request with its Stripe-Version.
"""

import json
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import stripe
from django.urls import reverse
from django.utils import timezone

from merchants.models import Merchant
from payments.base import ObjectMissing
from providers import parents
from providers.apply import apply_charge
from providers.models import ProviderEvent
from providers.stripe import STRIPE_API_VERSION, StripeProvider
from providers.tasks import sweep_waiting_events
from sandbox.provider import SandboxProvider
from sandbox.simulate import simulate_customer
from transactions.models import Transaction

from . import stripe_payloads as sp
from .conftest import SECRET

pytestmark = pytest.mark.django_db
RESOURCES = {
    "charges": "charge",
    "invoices": "invoice",
    "payment_intents": "payment_intent",
    "subscriptions": "subscription",
    "customers": "customer",
    "disputes": "dispute",
    "refunds": "refund",
}


class RecordedStripe(stripe.HTTPClient):
    """Answers retrieves like Stripe's API; `down` makes every request a 500 (Stripe's api_error)."""

    name = "recorded"

    def __init__(self):
        super().__init__()
        self.objects: dict[str, dict] = {}
        self.requests: list[tuple[str, str, str]] = []
        self.down = False

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = urlsplit(url).path
        self.requests.append((method.upper(), path, headers.get("Stripe-Version", "")))
        if self.down:
            error = {"error": {"type": "api_error", "message": "An unknown error occurred"}}
            return json.dumps(error), 500, {"stripe-should-retry": "false"}
        _, version, resource, object_id = (path.split("/") + [""] * 4)[:4]
        obj = self.objects.get(object_id)
        if method.upper() == "GET" and version == "v1" and obj and obj["object"] == RESOURCES.get(resource):
            return json.dumps(obj), 200, {"request-id": "req_recorded"}
        kind = RESOURCES.get(resource, resource)
        error = {
            "error": {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "param": "id",
                "message": f"No such {kind}: '{object_id}'",
            }
        }
        return json.dumps(error), 404, {"request-id": "req_recorded"}

    def close(self):
        pass

    def retrieves(self) -> list[str]:
        return [path for method, path, _ in self.requests if method == "GET"]


@pytest.fixture
def stripe_http(monkeypatch):
    recorder = RecordedStripe()
    monkeypatch.setattr(stripe, "new_default_http_client", lambda *args, **kwargs: recorder)
    return recorder


@pytest.fixture
def shop(merchant):
    """The signed-in staff's merchant, on Stripe (the recorded one)."""
    merchant.provider = Merchant.Provider.STRIPE
    merchant.stripe_secret_key = "sk_test_recorded"
    merchant.stripe_webhook_secret = SECRET
    merchant.stripe_api_base = "https://api.stripe.test"
    merchant.save()
    return merchant


@pytest.fixture
def deliver(client, shop, django_capture_on_commit_callbacks):
    def post(event: dict):
        body = json.dumps(event)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/webhooks/stripe/{shop.slug}/",
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=sp.sign(body, SECRET),
            )
        assert response.status_code == 200
        return ProviderEvent.objects.get(provider_event_id=event["id"])

    return post


def _overdue(*events: ProviderEvent) -> None:
    """As if they had waited longer than TELLER_INBOX_FETCH_PARENT_AFTER."""
    ProviderEvent.objects.filter(pk__in=[e.pk for e in events]).update(
        waiting_since=timezone.now() - timedelta(seconds=parents.fetch_after().total_seconds() + 5)
    )


def test_a_refund_whose_charge_never_arrives_waits_visibly_then_the_charge_is_fetched_and_both_applied(
    deliver, stripe_http, support_client, django_capture_on_commit_callbacks
):
    charge = sp.charge(id="ch_FETCH", customer="cus_FETCH", amount=1000)
    stripe_http.objects["ch_FETCH"] = charge
    waiting = deliver(sp.event("refund.created", sp.refund("ch_FETCH", 400, id="re_FETCH")))

    page = support_client.get(reverse("providers:events"), {"status": "WAITING"})
    html = page.content.decode()
    assert [e.pk for e in page.context["events"]] == [waiting.pk]
    assert "Waiting for charge <code>ch_FETCH</code> since" in html
    assert sweep_waiting_events() == 0  # not overdue yet: Stripe often delivers the parent a moment later
    assert stripe_http.requests == []

    _overdue(waiting)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_waiting_events() == 1  # one merchant queued (eager: resolved now)

    assert stripe_http.requests == [("GET", "/v1/charges/ch_FETCH", STRIPE_API_VERSION)]
    waiting.refresh_from_db()
    assert waiting.status == "PROCESSED"
    assert "charge fetched from the provider" in waiting.error
    txn = Transaction.objects.get(provider_id="ch_FETCH")
    assert (txn.status, txn.refunded_amount, txn.customer.provider_customer_id) == (
        "PARTIALLY_REFUNDED",
        400,
        "cus_FETCH",
    )
    assert Transaction.objects.get(provider_id="re_FETCH").parent_id == txn.pk
    assert not support_client.get(reverse("providers:events"), {"status": "WAITING"}).context["events"]


def test_the_charge_event_arriving_after_the_fetch_is_a_stale_no_op(deliver, stripe_http):
    stripe_http.objects["ch_LATE"] = sp.charge(id="ch_LATE", customer="cus_LATE", amount=1000)
    waiting = deliver(sp.event("charge.dispute.created", sp.dispute("ch_LATE", 1000, id="dp_LATE")))
    _overdue(waiting)
    parents.waiting_resolve(merchant_id=waiting.merchant_id, now=timezone.now())
    assert Transaction.objects.get(provider_id="ch_LATE").status == "DISPUTED"

    # Created before the fetch (Stripe delivered it late): older than the state fetched at `now`.
    late_charge = sp.charge(id="ch_LATE", customer="cus_LATE", amount=1000)
    late = deliver(sp.event("charge.succeeded", late_charge, created=int(time.time()) - 30))

    assert (late.status, late.error) == ("PROCESSED", "stale, skipped")
    assert Transaction.objects.get(provider_id="ch_LATE").status == "DISPUTED"


def test_a_parent_stripe_does_not_have_fails_its_children_with_the_reason(deliver, stripe_http):
    waiting = deliver(sp.event("refund.created", sp.refund("ch_NEVER", 100, id="re_NEVER")))
    _overdue(waiting)

    outcome = parents.waiting_resolve(merchant_id=waiting.merchant_id, now=timezone.now())

    assert outcome == {"applied": 0, "missing": 1, "waiting": 0}
    waiting.refresh_from_db()
    assert waiting.status == "FAILED"
    assert waiting.error == "charge ch_NEVER does not exist at the provider (No such charge: 'ch_NEVER')"
    assert (waiting.waiting_for_id, waiting.waiting_since) == ("", None)
    assert not Transaction.objects.exists()


def test_stripe_unreachable_leaves_the_child_waiting_for_the_next_sweep(deliver, stripe_http):
    stripe_http.objects["ch_DOWN"] = sp.charge(id="ch_DOWN", customer="cus_DOWN", amount=500)
    waiting = deliver(sp.event("refund.created", sp.refund("ch_DOWN", 500, id="re_DOWN")))
    _overdue(waiting)
    stripe_http.down = True

    first = parents.waiting_resolve(merchant_id=waiting.merchant_id, now=timezone.now())

    waiting.refresh_from_db()
    assert first["waiting"] == 1 and waiting.status == "WAITING"
    assert "fetching charge ch_DOWN failed, tried again later" in waiting.error
    stripe_http.down = False
    assert parents.waiting_resolve(merchant_id=waiting.merchant_id, now=timezone.now())["applied"] == 1
    assert Transaction.objects.get(provider_id="ch_DOWN").status == "REFUNDED"


def test_a_parent_applied_outside_the_inbox_completes_its_children_without_a_fetch(
    deliver, stripe_http, shop
):
    waiting = deliver(sp.event("refund.created", sp.refund("ch_SYNC", 200, id="re_SYNC")))
    _overdue(waiting)
    apply_charge(  # as sync_stripe or a staff action would
        merchant=shop, obj=sp.charge(id="ch_SYNC", amount=200), now=timezone.now()
    )

    assert parents.waiting_resolve(merchant_id=shop.pk, now=timezone.now())["applied"] == 1
    assert stripe_http.requests == []
    waiting.refresh_from_db()
    assert waiting.status == "PROCESSED"


def test_a_payment_intent_is_fetched_through_its_latest_charge(shop, stripe_http):
    stripe_http.objects["pi_PARENT"] = {
        "id": "pi_PARENT",
        "object": "payment_intent",
        "latest_charge": "ch_PI",
    }
    stripe_http.objects["ch_PI"] = sp.charge(id="ch_PI", payment_intent="pi_PARENT")

    obj = parents._retrieve(StripeProvider(shop), ("payment_intent", "pi_PARENT"))

    assert (obj["object"], obj["id"]) == ("charge", "ch_PI")
    assert [p for p in stripe_http.retrieves()] == ["/v1/payment_intents/pi_PARENT", "/v1/charges/ch_PI"]


def test_stripe_provider_retrieve_object_says_when_an_object_does_not_exist(shop, stripe_http):
    with pytest.raises(ObjectMissing) as missing:
        StripeProvider(shop).retrieve_object("dispute", "dp_nothing")

    assert missing.value.http_status == 404
    assert stripe_http.requests == [("GET", "/v1/disputes/dp_nothing", STRIPE_API_VERSION)]


def test_the_sandbox_retrieves_what_it_emitted_and_nothing_else(merchant):
    customer_id = simulate_customer(
        merchant, key="fetch", at=timezone.now(), email="sandbox@example.org", name="Sandy"
    )["id"]
    provider = SandboxProvider(merchant)

    assert provider.retrieve_object("customer", customer_id)["email"] == "sandbox@example.org"
    with pytest.raises(ObjectMissing):
        provider.retrieve_object("charge", "ch_sandbox_missing")
