"""The SandboxProvider answers like Stripe and drives the real inbox -> apply pipeline."""

from datetime import timedelta

import pytest
from django.utils import timezone

from payments.base import ProviderError, ProviderUnavailable, RadarList
from payments.registry import get_provider
from providers.models import ProviderEvent
from purchases.models import Purchase
from sandbox import provider as sandbox
from sandbox import simulate as sim
from sandbox import stripe_objects as so
from tests import factories, sandbox_failures
from tests.stripe_shapes import REMOVED_FIELDS
from transactions.models import Transaction

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def pipeline(django_capture_on_commit_callbacks):
    """Run what the sandbox enqueued (on commit), as the eager Celery worker would."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def book(merchant, pipeline):
    """A customer with a card, a monthly subscription and a one-time 100.00 EUR charge, all via events."""
    product = factories.ProductFactory(
        merchant=merchant,
        provider_product_id="prod_sandbox1",
        provider_price_id="price_sandbox1",
        amount=1500,
        currency="eur",
    )
    one_time = factories.ProductFactory(
        merchant=merchant, one_time=True, provider_product_id="prod_sandbox2", amount=10000, currency="eur"
    )

    def build():
        start = NOW - timedelta(days=45)
        customer = sim.simulate_customer(
            merchant, key="ann", email="ann@example.org", name="Ann Example", at=start
        )
        pm = sim.simulate_payment_method(merchant, key="ann", customer=customer, at=start, brand="visa")
        sub = sim.simulate_subscription(
            merchant, key="ann-sub", customer=customer["id"], product=product, pm=pm, at=start, now=NOW
        )
        charge = sim.simulate_one_time_purchase(
            merchant,
            key="ann-buy",
            customer=customer["id"],
            product=one_time,
            pm=pm,
            at=start + timedelta(days=1),
        )
        return {"customer": customer, "pm": pm, "sub": sub, "charge": charge}

    return pipeline(build)


def _types(merchant) -> list[str]:
    return list(ProviderEvent.objects.filter(merchant=merchant).order_by("id").values_list("type", flat=True))


# --- shapes -------------------------------------------------------------------------------------------------


def test_every_builder_answers_with_the_keys_stripe_sends(book, merchant):
    provider = get_provider(merchant)
    refund = provider.refund_create(
        charge_id=book["charge"]["id"], amount=100, reason="requested_by_customer", idempotency_key="k1"
    )
    session = provider.repayment_link_create(
        amount=500, currency="eur", description="Repayment", metadata={}, idempotency_key="k2"
    )
    item = provider.radar_item_add(list_kind=RadarList.EMAIL, value="fraud@example.org")
    dispute = so.dispute(id="dp_1", charge=book["charge"], amount=100, status="needs_response", created=NOW)
    invoice = so.invoice(
        id="in_1",
        customer="cus_1",
        subscription="sub_1",
        price=book["sub"]["items"]["data"][0]["price"],
        status="paid",
        created=NOW,
        period_start=NOW,
        period_end=NOW,
        amount=1500,
        currency="eur",
    )
    event = ProviderEvent.objects.filter(merchant=merchant).first().payload

    shapes = {
        "customer": book["customer"],
        "charge": book["charge"],
        "subscription": book["sub"],
        "refund": refund,
        "checkout.session": session,
        "radar.value_list_item": item,
        "dispute": dispute,
        "invoice": invoice,
        "event": event,
        "subscription_item": book["sub"]["items"]["data"][0],
        "price": book["sub"]["items"]["data"][0]["price"],
    }

    for kind, obj in shapes.items():
        assert set(obj) == set(so.KEYS[kind]), kind
        assert not set(REMOVED_FIELDS.get(kind, ())) & set(obj), kind
        assert obj.get("object", kind) == kind
    assert set(book["pm"]) - {"sepa_debit"} == set(so.KEYS["payment_method"])


def test_a_sepa_payment_method_carries_sepa_debit_instead_of_card(merchant, pipeline):
    customer = pipeline(sim.simulate_customer, merchant, key="s", email="s@example.org", name="S", at=NOW)

    pm = pipeline(
        sim.simulate_payment_method, merchant, key="s", customer=customer, at=NOW, type="sepa_debit"
    )

    assert pm["type"] == "sepa_debit" and "card" not in pm
    assert set(pm["sepa_debit"]) >= {"fingerprint", "last4", "country", "bank_code"}
    assert pm["id"].startswith("pm_")


def test_ids_look_like_stripes_and_are_stable_for_a_seed():
    assert so.stripe_id("re", "seed") == so.stripe_id("re", "seed")
    assert so.stripe_id("re") != so.stripe_id("re")
    assert so.stripe_id("evt", "x").startswith("evt_") and len(so.stripe_id("evt", "x")) == 28


# --- the pipeline -------------------------------------------------------------------------------------------


def test_simulated_activity_is_applied_through_the_inbox(book, merchant):
    events = ProviderEvent.objects.filter(merchant=merchant)

    assert events.exists()
    assert set(events.values_list("status", flat=True)) <= {"PROCESSED", "IGNORED"}
    assert events.filter(type="customer.created", status="PROCESSED").count() == 1
    purchase = Purchase.objects.get(merchant=merchant, provider_subscription_id=book["sub"]["id"])
    assert purchase.status == Purchase.Status.ACTIVE
    assert purchase.customer.email == "ann@example.org"
    charge = Transaction.objects.get(merchant=merchant, provider_id=book["charge"]["id"])
    assert (charge.amount, charge.currency, charge.method_brand, charge.status) == (
        10000,
        "eur",
        "visa",
        "SUCCEEDED",
    )
    assert charge.purchase.kind == Purchase.Kind.ONE_TIME


def test_a_simulation_repeated_with_the_same_key_adds_nothing(book, merchant, pipeline):
    before = ProviderEvent.objects.count()

    pipeline(sim.simulate_customer, merchant, key="ann", email="ann@example.org", name="Ann Example", at=NOW)
    pipeline(
        sim.simulate_subscription,
        merchant,
        key="ann-sub",
        customer=book["customer"]["id"],
        product=Purchase.objects.get(provider_subscription_id=book["sub"]["id"]).product,
        pm=book["pm"],
        at=NOW - timedelta(days=45),
        now=NOW,
    )

    assert ProviderEvent.objects.count() == before


# --- refunds ------------------------------------------------------------------------------------------------


def test_a_refund_emits_refund_created_and_charge_refunded_and_both_are_applied(book, merchant, pipeline):
    provider = get_provider(merchant)

    refund = pipeline(
        provider.refund_create,
        charge_id=book["charge"]["id"],
        amount=2500,
        reason="duplicate",
        idempotency_key="credit-1",
    )

    assert refund["object"] == "refund" and refund["id"].startswith("re_") and refund["amount"] == 2500
    assert _types(merchant)[-2:] == ["refund.created", "charge.refunded"]
    assert (
        not ProviderEvent.objects.filter(merchant=merchant)
        .exclude(status__in=["PROCESSED", "IGNORED"])
        .exists()
    )
    charge = Transaction.objects.get(merchant=merchant, provider_id=book["charge"]["id"])
    assert (charge.refunded_amount, charge.status) == (2500, Transaction.Status.PARTIALLY_REFUNDED)
    assert Transaction.objects.get(provider_id=refund["id"]).kind == Transaction.Kind.REFUND


def test_a_refund_above_what_is_left_is_refused_like_stripe_does(book, merchant, pipeline):
    provider = get_provider(merchant)
    pipeline(
        provider.refund_create, charge_id=book["charge"]["id"], amount=9000, reason="", idempotency_key="a"
    )
    events_before = ProviderEvent.objects.count()

    with pytest.raises(ProviderError, match="greater than unrefunded amount") as error:
        provider.refund_create(charge_id=book["charge"]["id"], amount=1001, reason="", idempotency_key="b")

    assert error.value.code == "amount_too_large"
    assert ProviderEvent.objects.count() == events_before
    assert Transaction.objects.get(provider_id=book["charge"]["id"]).refunded_amount == 9000


def test_the_rest_of_a_charge_can_still_be_refunded_in_full(book, merchant, pipeline):
    provider = get_provider(merchant)
    pipeline(
        provider.refund_create, charge_id=book["charge"]["id"], amount=9000, reason="", idempotency_key="a"
    )

    pipeline(
        provider.refund_create, charge_id=book["charge"]["id"], amount=1000, reason="", idempotency_key="b"
    )

    charge = Transaction.objects.get(provider_id=book["charge"]["id"])
    assert (charge.refunded_amount, charge.status) == (10000, Transaction.Status.REFUNDED)


def test_a_retried_refund_with_the_same_idempotency_key_returns_the_first_refund(book, merchant, pipeline):
    provider = get_provider(merchant)
    first = pipeline(
        provider.refund_create, charge_id=book["charge"]["id"], amount=500, reason="", idempotency_key="same"
    )

    again = pipeline(
        provider.refund_create, charge_id=book["charge"]["id"], amount=500, reason="", idempotency_key="same"
    )

    assert again["id"] == first["id"]
    assert Transaction.objects.filter(kind=Transaction.Kind.REFUND).count() == 1


def test_a_charge_known_only_from_teller_rows_can_be_refunded_within_its_remaining(merchant, pipeline):
    txn = factories.TransactionFactory(customer__merchant=merchant, amount=3000, refunded_amount=1000)
    provider = get_provider(merchant)

    with pytest.raises(ProviderError, match="greater than unrefunded amount"):
        provider.refund_create(charge_id=txn.provider_id, amount=2001, reason="", idempotency_key="x")
    refund = pipeline(
        provider.refund_create, charge_id=txn.provider_id, amount=2000, reason="", idempotency_key="y"
    )

    assert refund["charge"] == txn.provider_id
    assert (
        ProviderEvent.objects.get(provider_event_id__startswith="evt_", type="refund.created").status
        == "PROCESSED"
    )


def test_a_disputed_charge_cannot_be_refunded(book, merchant, pipeline):
    pipeline(
        sim.simulate_dispute, merchant, key="d", charge_id=book["charge"]["id"], at=NOW - timedelta(days=3)
    )

    with pytest.raises(ProviderError, match="charged back"):
        get_provider(merchant).refund_create(
            charge_id=book["charge"]["id"], amount=100, reason="", idempotency_key="z"
        )


def test_an_unknown_charge_is_a_resource_missing_error(merchant):
    with pytest.raises(ProviderError) as error:
        get_provider(merchant).refund_create(charge_id="ch_nope", amount=100, reason="", idempotency_key="n")

    assert error.value.code == "resource_missing"


# --- subscriptions ------------------------------------------------------------------------------------------


def test_cancel_now_emits_subscription_deleted_and_the_purchase_ends(book, merchant, pipeline):
    sub = pipeline(get_provider(merchant).subscription_cancel_now, subscription_id=book["sub"]["id"])

    assert sub["status"] == "canceled" and sub["canceled_at"]
    assert _types(merchant)[-1] == "customer.subscription.deleted"
    assert Purchase.objects.get(provider_subscription_id=book["sub"]["id"]).status == Purchase.Status.CANCELED


def test_canceling_an_already_canceled_subscription_is_refused(book, merchant, pipeline):
    provider = get_provider(merchant)
    pipeline(provider.subscription_cancel_now, subscription_id=book["sub"]["id"])

    with pytest.raises(ProviderError, match="already been canceled"):
        provider.subscription_cancel_now(subscription_id=book["sub"]["id"])
    with pytest.raises(ProviderError, match="canceled subscription"):
        provider.subscription_set_cancel_at_period_end(
            subscription_id=book["sub"]["id"], cancel_at_period_end=True
        )


def test_cancel_at_period_end_and_recover_emit_subscription_updated(book, merchant, pipeline):
    provider = get_provider(merchant)

    scheduled = pipeline(
        provider.subscription_set_cancel_at_period_end,
        subscription_id=book["sub"]["id"],
        cancel_at_period_end=True,
    )
    purchase = Purchase.objects.get(provider_subscription_id=book["sub"]["id"])
    assert (
        scheduled["cancel_at_period_end"] is True
        and scheduled["cancel_at"] == so.subscription_period(scheduled)[1]
    )
    assert purchase.cancel_at_period_end is True

    recovered = pipeline(
        provider.subscription_set_cancel_at_period_end,
        subscription_id=book["sub"]["id"],
        cancel_at_period_end=False,
    )
    purchase.refresh_from_db()
    assert recovered["cancel_at_period_end"] is False and purchase.cancel_at_period_end is False
    assert _types(merchant)[-2:] == ["customer.subscription.updated", "customer.subscription.updated"]


def test_a_subscription_known_only_from_teller_rows_can_be_canceled(merchant, pipeline):
    purchase = factories.PurchaseFactory(customer__merchant=merchant)

    sub = pipeline(
        get_provider(merchant).subscription_cancel_now, subscription_id=purchase.provider_subscription_id
    )

    purchase.refresh_from_db()
    assert sub["status"] == "canceled" and purchase.status == Purchase.Status.CANCELED


@pytest.mark.parametrize("status", ["trialing", "active", "past_due", "unpaid", "canceled"])
def test_a_simulated_subscription_ends_in_the_asked_status(merchant, pipeline, status):
    product = factories.ProductFactory(
        merchant=merchant, provider_product_id="prod_x", provider_price_id="price_x"
    )
    customer = pipeline(
        sim.simulate_customer,
        merchant,
        key="c",
        email="c@example.org",
        name="C",
        at=NOW - timedelta(days=100),
    )
    pm = pipeline(
        sim.simulate_payment_method, merchant, key="c", customer=customer, at=NOW - timedelta(days=100)
    )

    sub = pipeline(
        sim.simulate_subscription,
        merchant,
        key="s",
        customer=customer["id"],
        product=product,
        pm=pm,
        at=NOW - timedelta(days=3 if status == "trialing" else 95),
        status=status,
        trial_days=14 if status == "trialing" else 0,
        now=NOW,
    )

    assert sub["status"] == status
    purchase = Purchase.objects.get(provider_subscription_id=sub["id"])
    assert purchase.status == status.upper()
    assert not ProviderEvent.objects.filter(status="FAILED").exists()


# --- repayment links, Radar, retrieve -----------------------------------------------------------------------


def test_a_repayment_link_is_a_local_checkout_session_that_can_be_paid(merchant, pipeline):
    provider = get_provider(merchant)
    session = provider.repayment_link_create(
        amount=1200,
        currency="EUR",
        description="Repay",
        metadata={"teller_repayment_id": "7"},
        idempotency_key="rp-7",
    )

    assert session["id"].startswith("cs_test_") and session["status"] == "open"
    assert session["url"] == f"http://127.0.0.1:8000/sandbox/pay/{session['id']}/"
    assert (
        provider.repayment_link_create(
            amount=1200, currency="EUR", description="Repay", metadata={}, idempotency_key="rp-7"
        )["id"]
        == session["id"]
    )

    paid = pipeline(sim.simulate_repayment_paid, merchant, session_id=session["id"])

    assert (paid["status"], paid["payment_status"]) == ("complete", "paid")
    assert _types(merchant)[-1] == "checkout.session.completed"
    with pytest.raises(ProviderError, match="status of `open`"):
        provider.repayment_link_cancel(link_id=session["id"])


def test_a_canceled_repayment_link_emits_checkout_session_expired(merchant, pipeline):
    provider = get_provider(merchant)
    session = provider.repayment_link_create(
        amount=1200, currency="eur", description="Repay", metadata={}, idempotency_key="rp-8"
    )

    expired = pipeline(provider.repayment_link_cancel, link_id=session["id"])

    assert expired["status"] == "expired" and _types(merchant)[-1] == "checkout.session.expired"
    with pytest.raises(ProviderError):
        sim.simulate_repayment_paid(merchant, session_id=session["id"])


def test_radar_items_are_added_and_removed(merchant):
    provider = get_provider(merchant)

    item = provider.radar_item_add(list_kind=RadarList.CARD_FINGERPRINT, value="AOB934RVNwzk6xtn")
    removed = provider.radar_item_remove(item_id=item["id"])

    assert item["id"].startswith("rsli_") and item["value"] == "AOB934RVNwzk6xtn"
    assert removed == {"id": item["id"], "object": "radar.value_list_item", "deleted": True}
    with pytest.raises(ProviderError):
        provider.radar_item_add(list_kind="ip_address", value="1.2.3.4")


def test_retrieve_answers_the_latest_state_of_an_object(book, merchant, pipeline):
    provider = get_provider(merchant)
    pipeline(
        provider.refund_create, charge_id=book["charge"]["id"], amount=700, reason="", idempotency_key="r"
    )

    assert provider.retrieve(object_type="charge", object_id=book["charge"]["id"])["amount_refunded"] == 700
    assert (
        provider.retrieve(object_type="customer", object_id=book["customer"]["id"])["email"]
        == "ann@example.org"
    )
    with pytest.raises(ProviderError, match="No such customer"):
        provider.retrieve(object_type="customer", object_id="cus_missing")


# --- failure hooks ------------------------------------------------------------------------------------------


def test_an_armed_failure_raises_once_and_changes_nothing(book, merchant):
    provider = get_provider(merchant)
    before = ProviderEvent.objects.count()

    with sandbox_failures.failing(ProviderUnavailable("Timed out"), method="refund_create"):
        with pytest.raises(ProviderUnavailable, match="Timed out"):
            provider.refund_create(charge_id=book["charge"]["id"], amount=100, reason="", idempotency_key="f")
        provider.subscription_set_cancel_at_period_end(
            subscription_id=book["sub"]["id"], cancel_at_period_end=True
        )

    assert ProviderEvent.objects.count() == before + 1  # only the subscription update
    assert not ProviderEvent.objects.filter(type="refund.created").exists()


def test_fail_next_without_a_method_fails_any_call(merchant):
    sandbox_failures.fail_next(times=2)

    for _ in range(2):
        with pytest.raises(ProviderError, match="told to fail"):
            get_provider(merchant).radar_item_remove(item_id="rsli_1")
    assert get_provider(merchant).radar_item_remove(item_id="rsli_1")["deleted"] is True


# --- the hosted pay page ------------------------------------------------------------------------------------


@pytest.fixture
def chargeback(book, merchant, pipeline):
    pipeline(
        sim.simulate_dispute,
        merchant,
        key="lost",
        charge_id=book["charge"]["id"],
        status="lost",
        at=NOW - timedelta(days=60),
    )
    return Transaction.objects.get(merchant=merchant, kind=Transaction.Kind.CHARGEBACK)


def test_a_repayment_link_is_built_from_the_public_url(merchant, pipeline, settings):
    settings.TELLER_PUBLIC_URL = "http://192.0.2.10:8123/"

    session = get_provider(merchant).repayment_link_create(
        amount=1200, currency="EUR", description="Repay", metadata={}, idempotency_key="rp-public"
    )

    assert session["url"] == f"http://192.0.2.10:8123/sandbox/pay/{session['id']}/"


def test_paying_a_sandbox_repayment_link_records_the_repayment_through_the_webhook_pipeline(
    chargeback, owner, client, django_capture_on_commit_callbacks
):
    from refunds.models import Repayment
    from refunds.services import repayment_link_create

    repayment = repayment_link_create(actor=owner, now=NOW, chargeback=chargeback, amount=4000)
    path = repayment.link_url.removeprefix("http://127.0.0.1:8000")

    page = client.get(path)
    with django_capture_on_commit_callbacks(execute=True):
        paid = client.post(path)

    assert page.status_code == 200 and b"sandbox-pay" in page.content
    assert paid.status_code == 302
    repayment.refresh_from_db()
    assert repayment.status == Repayment.Status.PAID
    completed = ProviderEvent.objects.get(
        type="checkout.session.completed", object_id=repayment.provider_link_id
    )
    assert completed.status == "PROCESSED"
    assert b"Paid" in client.get(path).content


def test_the_pay_page_needs_the_csrf_token_and_a_known_session(merchant, pipeline):
    from django.test import Client

    session = get_provider(merchant).repayment_link_create(
        amount=900, currency="eur", description="Repay", metadata={}, idempotency_key="csrf"
    )
    path = f"/sandbox/pay/{session['id']}/"

    assert Client(enforce_csrf_checks=True).post(path).status_code == 403
    assert Client().get("/sandbox/pay/cs_test_unknown/").status_code == 404
    assert sandbox.checkout_session_state(merchant, session["id"])["status"] == "open"
