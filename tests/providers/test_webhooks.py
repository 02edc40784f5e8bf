"""POST /webhooks/stripe/<merchant>/: only genuine, fresh events are stored, each applied exactly once."""

import json
import time

import pytest
from django.utils import timezone

from customers.models import Customer
from providers.inbox_apply import event_process, event_replay
from providers.models import ProviderEvent
from purchases.models import Purchase
from transactions.models import Transaction

from . import stripe_payloads as sp

pytestmark = pytest.mark.django_db


def _no_domain_rows():
    return not (ProviderEvent.objects.exists() or Customer.objects.exists() or Transaction.objects.exists())


def test_a_signed_event_is_stored_and_applied(post_event):
    event = sp.event("customer.created", sp.customer(id="cus_W"))

    response = post_event(event)

    assert response.status_code == 200
    stored = ProviderEvent.objects.get()
    assert (stored.status, stored.attempts, stored.customer.provider_customer_id) == ("PROCESSED", 1, "cus_W")


@pytest.mark.parametrize(
    "tamper",
    ["body", "secret", "old_timestamp", "future_garbage", "missing_header", "garbage_body", "not_an_event"],
)
def test_a_bad_request_gets_400_and_writes_nothing(post_event, tamper):
    event = sp.event("customer.created", sp.customer(id="cus_X"))
    body = json.dumps(event)
    kwargs = {
        "body": {
            "body": body.replace("cus_X", "cus_Y"),
            "garbage_body": "{not json",
            "not_an_event": json.dumps({"hello": "world"}),
        }.get(tamper),
        "secret": "whsec_wrong" if tamper == "secret" else "whsec_test_secret",
        "timestamp": int(time.time()) - 301 if tamper == "old_timestamp" else None,
        "header": {"missing_header": "", "future_garbage": "t=abc,v1=zzz"}.get(tamper),
    }
    if tamper == "body":
        kwargs["header"] = sp.sign(body, "whsec_test_secret")  # signed the original, sent another body
    if tamper in ("garbage_body", "not_an_event"):
        kwargs["header"] = sp.sign(kwargs["body"], "whsec_test_secret")

    response = post_event(event, **kwargs)

    assert response.status_code == 400
    assert _no_domain_rows()


def test_an_unknown_merchant_is_404(post_event):
    response = post_event(sp.event("customer.created", sp.customer()), slug="nobody")

    assert response.status_code == 404


def test_a_merchant_without_a_secret_refuses_everything(post_event, stripe_merchant):
    stripe_merchant.stripe_webhook_secret = ""
    stripe_merchant.save()

    response = post_event(sp.event("customer.created", sp.customer()), secret="")

    assert response.status_code == 400


def test_a_duplicate_delivery_is_acknowledged_and_applied_once(post_event):
    charge_event = sp.event("charge.succeeded", sp.charge(id="ch_dup", customer="cus_D"))

    first, second = post_event(charge_event), post_event(charge_event)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["duplicate"] is True
    assert ProviderEvent.objects.get().attempts == 1
    assert Transaction.objects.filter(provider_id="ch_dup").count() == 1


def test_an_unknown_event_type_is_stored_and_ignored(post_event):
    response = post_event(sp.event("plan.created", sp.obj("plan")))

    assert response.status_code == 200
    assert ProviderEvent.objects.get().status == "IGNORED"


def test_a_refund_before_its_charge_waits_for_it_and_is_applied_when_the_charge_arrives(post_event):
    post_event(sp.event("charge.refund.updated", sp.refund("ch_late", 500, id="re_late")))
    waiting = ProviderEvent.objects.get()
    assert (waiting.status, waiting.waiting_for_type, waiting.waiting_for_id) == (
        "WAITING",
        "charge",
        "ch_late",
    )
    assert waiting.attempts == 1  # no retry storm: it waits for its parent
    assert waiting.waiting_since is not None

    post_event(sp.event("charge.succeeded", sp.charge(id="ch_late", amount=500)))

    waiting.refresh_from_db()
    assert waiting.status == "PROCESSED"
    assert (waiting.waiting_for_id, waiting.waiting_since) == ("", None)
    assert "after waiting" in waiting.error and "charge ch_late" in waiting.error
    assert Transaction.objects.get(provider_id="ch_late").status == "REFUNDED"
    assert "re_late" in set(waiting.transactions.values_list("provider_id", flat=True))


def test_a_replayed_event_whose_charge_is_still_missing_waits_again(post_event, stripe_merchant):
    post_event(sp.event("charge.refund.updated", sp.refund("ch_gone", 500, id="re_gone")))
    ProviderEvent.objects.update(status="FAILED", waiting_for_type="", waiting_for_id="", waiting_since=None)
    failed = ProviderEvent.objects.get()

    event_replay(event=failed)
    event_process(event_id=failed.pk, now=timezone.now())

    failed.refresh_from_db()
    assert (failed.status, failed.waiting_for_id) == ("WAITING", "ch_gone")


ORDERINGS = [
    ("created", "updated", "deleted"),
    ("created", "deleted", "updated"),
    ("updated", "created", "deleted"),
    ("updated", "deleted", "created"),
    ("deleted", "created", "updated"),
    ("deleted", "updated", "created"),
]


@pytest.mark.parametrize("order", ORDERINGS, ids=["-".join(o) for o in ORDERINGS])
def test_subscription_events_in_any_order_end_in_the_newest_state(post_event, order):
    base = int(time.time()) - 100
    events = {
        "created": sp.event(
            "customer.subscription.created", sp.subscription(id="sub_O", customer="cus_O"), created=base
        ),
        "updated": sp.event(
            "customer.subscription.updated",
            sp.subscription(id="sub_O", customer="cus_O", cancel_at_period_end=True),
            created=base + 10,
        ),
        "deleted": sp.event(
            "customer.subscription.deleted",
            sp.subscription(
                id="sub_O", customer="cus_O", status="canceled", canceled_at=base + 20, ended_at=base + 20
            ),
            created=base + 20,
        ),
    }

    for name in order:
        assert post_event(events[name]).status_code == 200

    purchase = Purchase.objects.get(provider_subscription_id="sub_O")
    assert purchase.status == Purchase.Status.CANCELED
    assert purchase.ended_at is not None
    assert ProviderEvent.objects.filter(status="PROCESSED").count() == 3
    stale = ProviderEvent.objects.filter(error="stale, skipped").count()
    assert stale == sum(
        1
        for i, name in enumerate(order)
        if any(events[later]["created"] > events[name]["created"] for later in order[:i])
    )


@pytest.mark.parametrize("deleted_first", [True, False], ids=["deleted-first", "created-first"])
def test_events_of_the_same_second_never_reopen_a_canceled_subscription(post_event, deleted_first):
    # Stripe stamps events to the second: "created" and "deleted" of a quickly canceled subscription
    # share one, and deliveries arrive in any order. Canceled is final, so it wins the tie.
    second = int(time.time()) - 50
    created = sp.event(
        "customer.subscription.created", sp.subscription(id="sub_T", customer="cus_T"), created=second
    )
    deleted = sp.event(
        "customer.subscription.deleted",
        sp.subscription(id="sub_T", customer="cus_T", status="canceled", canceled_at=second, ended_at=second),
        created=second,
    )

    for event in (deleted, created) if deleted_first else (created, deleted):
        assert post_event(event).status_code == 200

    purchase = Purchase.objects.get(provider_subscription_id="sub_T")
    assert (purchase.status, purchase.ended_at is not None) == (Purchase.Status.CANCELED, True)
    skipped = ProviderEvent.objects.filter(error="stale, skipped").values_list("type", flat=True)
    assert list(skipped) == (["customer.subscription.created"] if deleted_first else [])
