"""Hostile but correctly signed bodies: never a 5xx; refused with a reason, or stored (FAILED if malformed).

Run on SQLite and on PostgreSQL (DATABASE_URL=postgres://...): jsonb refuses NUL, text columns refuse NUL,
and neither accepts Infinity, so these are the cases that used to answer 500.
"""

import json

import pytest
from django.conf import settings
from django.db import DataError, connection, transaction
from django.utils import timezone

from customers.models import Customer
from providers.inbox import event_store
from providers.models import ProviderEvent
from providers.webhooks import MAX_BODY_BYTES, MAX_DEPTH
from tests import factories
from transactions.models import Transaction

from . import stripe_payloads as sp

pytestmark = pytest.mark.django_db


def _signed(post_event, body: str):
    return post_event({}, body=body)


def _nothing_stored() -> bool:
    return not (ProviderEvent.objects.exists() or Customer.objects.exists() or Transaction.objects.exists())


def test_nul_characters_are_stored_readably_and_the_event_applied(post_event):
    customer = sp.customer(id="cus_NUL", name="Ann\u0000a", metadata={"no\u0000te": "x\u0000y"})
    body = json.dumps(sp.event("customer.created", customer))
    assert "\\u0000" in body

    response = _signed(post_event, body)

    assert response.status_code == 200
    stored = ProviderEvent.objects.get()
    assert stored.status == "PROCESSED"
    obj = stored.payload["data"]["object"]
    assert (obj["name"], obj["metadata"]) == ("Ann\ufffda", {"no\ufffdte": "x\ufffdy"})
    assert Customer.objects.get(provider_customer_id="cus_NUL").name == "Ann\ufffda"


def test_a_nul_in_the_event_id_and_type_is_stored_too(post_event):
    event = sp.event("customer.created", sp.customer(id="cus_NULID"), id="evt_\u0000x")
    event["type"] = "customer.\u0000created"

    response = _signed(post_event, json.dumps(event))

    assert response.status_code == 200
    stored = ProviderEvent.objects.get()
    assert (stored.provider_event_id, stored.type, stored.status) == (
        "evt_\ufffdx",
        "customer.\ufffdcreated",
        "IGNORED",
    )


def test_a_lone_surrogate_which_utf8_cannot_encode_is_replaced(post_event):
    body = json.dumps(sp.event("customer.created", sp.customer(id="cus_SUR", name="Bad \ud800 half")))

    assert _signed(post_event, body).status_code == 200

    assert Customer.objects.get(provider_customer_id="cus_SUR").name == "Bad \ufffd half"


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="PostgreSQL's jsonb is what refuses NUL")
def test_postgresql_really_refuses_an_unescaped_nul_in_jsonb():
    # The reason for the replacement: without it the INSERT fails (and the endpoint answered 500).
    with pytest.raises(DataError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT %s::jsonb", [json.dumps({"name": "a\u0000b"})])


def test_100000_deep_nesting_is_refused_with_a_reason(post_event):
    body = '{"id": "evt_deep", "object": "event", "data": ' + "[" * 100_000 + "]" * 100_000 + "}"

    response = _signed(post_event, body)

    assert response.status_code == 400
    assert "nested more than" in response.json()["error"]
    assert _nothing_stored()


def test_nesting_just_past_the_limit_is_refused_and_just_under_it_is_stored(post_event):
    def nested(levels: int) -> dict:
        value: dict = {}
        for _ in range(levels):
            value = {"k": value}
        return value

    event = sp.event("customer.created", sp.customer(id="cus_DEEP", metadata={}))
    event["data"]["previous_attributes"] = nested(MAX_DEPTH)  # event > data > previous_attributes: 3 more
    assert _signed(post_event, json.dumps(event)).status_code == 400

    event["data"]["previous_attributes"] = nested(MAX_DEPTH - 5)
    assert _signed(post_event, json.dumps(event)).status_code == 200
    assert ProviderEvent.objects.get().status == "PROCESSED"


def test_a_5_mb_body_is_refused_before_it_is_read(post_event):
    event = sp.event("customer.created", sp.customer(id="cus_BIG", description="x" * (5 * 1024 * 1024)))
    body = json.dumps(event)

    response = _signed(post_event, body)

    assert response.status_code == 400
    assert f"up to {MAX_BODY_BYTES}" in response.json()["error"]
    assert _nothing_stored()


def test_the_signature_is_checked_before_the_body_is_parsed(post_event):
    body = '{"id": "evt_x", "object": "event", "data": ' + "[" * 100_000 + "]" * 100_000 + "}"

    response = post_event({}, body=body, secret="whsec_someone_else")

    assert response.status_code == 400
    assert "signature" in response.json()["error"].lower()


@pytest.mark.parametrize("number", ["Infinity", "NaN", "1e999", "-1e999"])
def test_numbers_json_and_postgresql_cannot_hold_are_refused(post_event, number):
    body = json.dumps(sp.event("customer.created", sp.customer(id="cus_INF"))).replace(
        '"created": ', f'"amount": {number}, "created": ', 1
    )

    response = _signed(post_event, body)

    assert response.status_code == 400
    assert _nothing_stored()


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda e: e.update(id=12345), "no valid id"),
        (lambda e: e.pop("id"), "no valid id"),
        (lambda e: e.update(id="evt_" + "x" * 300), "no valid id"),
        (lambda e: e.update(object="charge"), "not a Stripe event"),
    ],
    ids=["id-a-number", "id-missing", "id-too-long", "not-an-event"],
)
def test_an_event_that_cannot_be_stored_is_refused_with_the_reason(post_event, change, reason):
    event = sp.event("customer.created", sp.customer(id="cus_NOID"))
    change(event)

    response = _signed(post_event, json.dumps(event))

    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert _nothing_stored()


@pytest.mark.parametrize(
    "change, problem",
    [
        (lambda e: e["data"].update(object="cus_just_a_string"), "data.object is not an object"),
        (lambda e: e.update(data="nothing"), "data.object is not an object"),
        (lambda e: e.pop("data"), "data.object is not an object"),
        (lambda e: e.update(created="yesterday"), "created is not a unix timestamp"),
        (lambda e: e.update(created=10**20), "created is not a unix timestamp"),
        (lambda e: e.update(created=True), "created is not a unix timestamp"),
        (lambda e: e.update(type=["customer.created"]), "type is not a string"),
        (lambda e: e.pop("type"), "type is not a string"),
    ],
    ids=[
        "object-a-string",
        "data-a-string",
        "no-data",
        "created-a-string",
        "created-absurd",
        "created-a-bool",
        "type-a-list",
        "no-type",
    ],
)
def test_a_malformed_event_is_stored_failed_with_the_reason_and_applies_nothing(post_event, change, problem):
    event = sp.event("customer.created", sp.customer(id="cus_BAD"))
    change(event)

    response = _signed(post_event, json.dumps(event))

    assert response.status_code == 200  # stored: Stripe must not retry it for days
    stored = ProviderEvent.objects.get()
    assert stored.status == "FAILED"
    assert problem in stored.error
    assert not Customer.objects.exists()


def test_a_malformed_event_replayed_fails_again_without_a_crash(
    post_event, django_capture_on_commit_callbacks
):
    from providers.inbox_apply import event_replay

    event = sp.event("customer.created", sp.customer(id="cus_RE"))
    event["data"]["object"] = "a string"
    _signed(post_event, json.dumps(event))
    stored = ProviderEvent.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        event_replay(event=stored)

    stored.refresh_from_db()
    assert stored.status == "FAILED" and "data.object is not an object" in stored.error


def test_wrong_types_inside_the_object_fail_the_event_and_leave_nothing_half_applied(post_event):
    charge = {**sp.charge(id="ch_WRONG", customer="cus_WRONG"), "amount": "a lot"}

    response = _signed(post_event, json.dumps(sp.event("charge.succeeded", charge)))

    assert response.status_code == 200
    stored = ProviderEvent.objects.get()
    assert stored.status == "FAILED" and "ValueError" in stored.error
    assert not Transaction.objects.exists()
    assert not Customer.objects.exists()  # the stub customer of the rolled-back apply is gone too


def test_an_object_id_that_is_a_number_is_stored(post_event):
    customer = sp.customer(id=42)

    response = _signed(post_event, json.dumps(sp.event("customer.created", customer)))

    assert response.status_code == 200
    assert ProviderEvent.objects.get().object_id == "42"


def test_an_unknown_or_absurdly_long_type_is_stored_and_ignored(post_event):
    event = sp.event("x" * 300, sp.customer(id="cus_LONG"))

    response = _signed(post_event, json.dumps(event))

    assert response.status_code == 200
    stored = ProviderEvent.objects.get()
    assert (stored.status, len(stored.type)) == ("IGNORED", 128)
    assert not Customer.objects.exists()


def test_the_api_version_is_stored_and_a_non_string_livemode_is_not_live(post_event):
    event = sp.event("customer.created", sp.customer(id="cus_VER"))
    event.update(api_version="2024-06-20", livemode="yes")

    _signed(post_event, json.dumps(event))

    stored = ProviderEvent.objects.get()
    assert (stored.api_version, stored.livemode) == ("2024-06-20", False)


def test_another_merchants_signed_event_is_not_stored_here(post_event):
    other = factories.MerchantFactory(
        slug="other-shop", provider="STRIPE", stripe_webhook_secret="whsec_other"
    )
    body = json.dumps(sp.event("customer.created", sp.customer(id="cus_OTHER")))

    response = post_event({}, body=body, secret="whsec_other")

    assert response.status_code == 400
    assert not ProviderEvent.objects.filter(merchant=other).exists()


def test_an_event_read_from_the_api_with_a_nul_is_stored_cleaned(stripe_merchant):
    # sync_stripe stores events it pages through without the webhook view's cleaning.
    event = sp.event("customer.created", sp.customer(id="cus_SYNCNUL", name="Zo\u0000e"))

    stored, created = event_store(merchant=stripe_merchant, event=event, now=timezone.now())

    assert created
    stored.refresh_from_db()
    assert stored.payload["data"]["object"]["name"] in ("Zo\ufffde", "Zo\u0000e")  # SQLite keeps NUL as is
    if settings.IS_POSTGRES:
        assert stored.payload["data"]["object"]["name"] == "Zo\ufffde"
