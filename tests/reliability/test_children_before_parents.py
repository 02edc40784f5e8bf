"""Children before their parents, through the real endpoint, Redis and a real worker: nothing is lost.

Stripe promises no order: a refund and a dispute can come a minute before their charge. They wait (WAITING,
not FAILED, no retry storm) and are applied by the drain that applies the charge; a child whose parent never
arrives is completed by the worker fetching the parent from "Stripe" (localstripe, through the real SDK).
"""

import json
import time
from datetime import timedelta

import httpx
import pytest
import stripe
from django.utils import timezone

from providers import tasks
from providers.models import ProviderEvent
from tests import factories
from tests.providers import stripe_payloads as sp
from transactions.models import Transaction

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]
SECRET = "whsec_children"
API_KEY = "sk_test_teller_children"


@pytest.fixture
def shop(db):
    return factories.MerchantFactory(slug="kids-first", provider="STRIPE", stripe_webhook_secret=SECRET)


def _deliver(url: str, event: dict) -> int:
    body = json.dumps(event)
    headers = {"Stripe-Signature": sp.sign(body, SECRET), "Content-Type": "application/json"}
    return httpx.post(url, content=body, timeout=30, headers=headers).status_code


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _statuses(*object_ids: str) -> list[str]:
    return [ProviderEvent.objects.get(object_id=o).status for o in object_ids]


@pytest.mark.parametrize(
    "dispute_status, charge_status", [("lost", "CHARGED_BACK"), ("needs_response", "DISPUTED")]
)
def test_a_refund_and_a_dispute_a_minute_before_their_charge_end_applied_with_the_right_status(
    shop, worker, live_server, dispute_status, charge_status
):
    url = f"{live_server.url}/webhooks/stripe/{shop.slug}/"
    t = int(time.time()) - 120
    refund = sp.event("refund.created", sp.refund("ch_KIDS", 300, id="re_KIDS"), created=t)
    dispute = sp.dispute("ch_KIDS", 700, id="dp_KIDS", status=dispute_status)
    charge = sp.charge(id="ch_KIDS", customer="cus_KIDS", amount=1000)

    assert _deliver(url, refund) == 200
    assert _deliver(url, sp.event("charge.dispute.created", dispute, created=t + 1)) == 200
    _wait(lambda: ProviderEvent.objects.filter(status="WAITING").count() == 2, 30, "both children waiting")
    assert not Transaction.objects.exists()
    assert _deliver(url, sp.event("charge.succeeded", charge, created=t + 60)) == 200

    _wait(lambda: _statuses("re_KIDS", "dp_KIDS", "ch_KIDS") == ["PROCESSED"] * 3, 30, "all three applied")
    txn = Transaction.objects.get(provider_id="ch_KIDS")
    assert (txn.status, txn.refunded_amount) == (charge_status, 300)
    assert set(txn.children.values_list("provider_id", flat=True)) >= {"re_KIDS", "dp_KIDS"}
    assert not ProviderEvent.objects.filter(status="FAILED").exists()
    assert set(
        ProviderEvent.objects.filter(object_id__in=["re_KIDS", "dp_KIDS"]).values_list("attempts", flat=True)
    ) == {2}


@pytest.fixture
def stripe_base_is_localstripe(localstripe_url, monkeypatch, settings):
    """The API base is an installation setting: this process and the worker it starts both use localstripe."""
    monkeypatch.setenv("STRIPE_API_BASE", localstripe_url)
    settings.STRIPE_API_BASE = localstripe_url
    return localstripe_url


@pytest.mark.localstripe
def test_a_child_whose_parent_never_arrives_is_completed_by_the_worker_fetching_it(
    stripe_base_is_localstripe, shop, worker, live_server, localstripe_url
):
    # The charge exists at "Stripe" (localstripe, through the real SDK) but its event never reaches Teller.
    sdk = stripe.StripeClient(API_KEY, base_addresses={"api": localstripe_url})
    customer = sdk.v1.customers.create({"email": "orphan@example.org", "name": "Orphan"})
    pm = sdk.v1.payment_methods.create(
        {
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 4, "exp_year": 2030, "cvc": "123"},
        }
    )
    sdk.v1.payment_methods.attach(pm.id, {"customer": customer.id})
    charge = sdk.v1.charges.create(
        {"amount": 1000, "currency": "eur", "customer": customer.id, "source": pm.id}
    )
    shop.stripe_secret_key = API_KEY
    shop.save()
    url = f"{live_server.url}/webhooks/stripe/{shop.slug}/"
    assert _deliver(url, sp.event("refund.created", sp.refund(charge.id, 250, id="re_ORPHAN"))) == 200
    _wait(lambda: _statuses("re_ORPHAN") == ["WAITING"], 30, "the refund waiting")
    ProviderEvent.objects.filter(object_id="re_ORPHAN").update(
        waiting_since=timezone.now() - timedelta(minutes=5)
    )

    assert tasks.sweep_waiting_events() == 1  # the resolve task goes to the real worker

    _wait(lambda: _statuses("re_ORPHAN") == ["PROCESSED"], 30, "the refund applied after the fetch")
    txn = Transaction.objects.get(provider_id=charge.id)
    assert (txn.status, txn.refunded_amount, txn.customer.provider_customer_id) == (
        "PARTIALLY_REFUNDED",
        250,
        customer.id,
    )
    assert "fetched from the provider" in ProviderEvent.objects.get(object_id="re_ORPHAN").error
