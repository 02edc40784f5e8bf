"""Stripe-shaped payloads for tests, built from ../shared/stripe/fixtures3.json.

obj("charge", id="ch_1", amount=500) deep-copies the fixture object and overrides fields (nested dicts are
merged: card={"last4": "1111"} changes only last4). event(type, data_object, created=...) wraps an object in a
Stripe event. sign(body, secret) builds the Stripe-Signature header the way Stripe does.
"""

import copy
import hashlib
import hmac
import itertools
import json
import time
from functools import cache
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "stripe" / "fixtures3.json"
_seq = itertools.count(1)


@cache
def _fixtures() -> dict:
    path = FIXTURES if FIXTURES.exists() else Path("/work/shared/stripe/fixtures3.json")
    return json.loads(path.read_text())["resources"]


def _merge(base: dict, overrides: dict) -> dict:
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict) and not value.get("_replace"):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def obj(kind: str, **overrides) -> dict:
    """A deep copy of the fixture `kind` with `overrides` merged in."""
    return _merge(copy.deepcopy(_fixtures()[kind]), overrides)


def uid(prefix: str) -> str:
    return f"{prefix}_T{next(_seq):012d}"


# Convenience builders with realistic defaults ------------------------------------------------------------
def customer(id=None, **kw) -> dict:
    defaults = {
        "id": id or uid("cus"),
        "email": "jenny@example.com",
        "name": "Jenny Rosen",
        "address": {"country": "DE"},
        "created": 1_700_000_000,
    }
    return obj("customer", **{**defaults, **kw})


def card_pm(id=None, customer=None, fingerprint="AOB934RVNwzk6xtn", **kw) -> dict:
    return obj(
        "payment_method",
        id=id or uid("pm"),
        customer=customer,
        card={"fingerprint": fingerprint, "brand": "visa", "last4": "4242", "exp_month": 4, "exp_year": 2028},
        **kw,
    )


def sepa_pm(id=None, customer=None, fingerprint="SEPAfp0001", **kw) -> dict:
    return obj(
        "payment_method",
        id=id or uid("pm"),
        customer=customer,
        type="sepa_debit",
        card=None,
        sepa_debit={
            "fingerprint": fingerprint,
            "last4": "3000",
            "bank_code": "37040044",
            "country": "DE",
            "branch_code": None,
            "generated_from": None,
        },
        **kw,
    )


def subscription(id=None, customer="cus_QXg1o8vcGmoR32", status="active", **kw) -> dict:
    sub = obj(
        "subscription",
        id=id or uid("sub"),
        customer=customer,
        status=status,
        cancel_at=None,
        canceled_at=None,
        ended_at=None,
        cancel_at_period_end=False,
        trial_end=None,
        start_date=1_700_000_000,
        created=1_700_000_000,
    )
    item = sub["items"]["data"][0]
    item["current_period_start"], item["current_period_end"] = 1_700_000_000, 1_702_592_000
    return _merge(sub, kw)


def charge(id=None, customer=None, amount=2000, **kw) -> dict:
    return obj(
        "charge",
        id=id or uid("ch"),
        customer=customer,
        amount=amount,
        amount_captured=amount,
        currency="eur",
        status="succeeded",
        created=1_700_000_100,
        billing_details={"email": "jenny@example.com"},
        **kw,
    )


def sepa_charge(id=None, customer=None, amount=2000, **kw) -> dict:
    ch = charge(id=id, customer=customer, amount=amount, **kw)
    ch["payment_method_details"] = {
        "type": "sepa_debit",
        "sepa_debit": {
            "fingerprint": "SEPAfp0001",
            "last4": "3000",
            "bank_code": "37040044",
            "country": "DE",
        },
    }
    return ch


def refund(charge_id, amount, id=None, status="succeeded", **kw) -> dict:
    return obj(
        "refund",
        id=id or uid("re"),
        charge=charge_id,
        amount=amount,
        currency="eur",
        status=status,
        created=1_700_000_200,
        **kw,
    )


def dispute(charge_id, amount, id=None, status="needs_response", **kw) -> dict:
    return obj(
        "dispute",
        id=id or uid("dp"),
        charge=charge_id,
        amount=amount,
        currency="eur",
        status=status,
        created=1_700_000_300,
        **kw,
    )


def checkout_session(id=None, **kw) -> dict:
    return obj("checkout.session", id=id or uid("cs"), **kw)


def event(type: str, data_object: dict, *, id=None, created=None, previous_attributes=None) -> dict:
    """A Stripe event around `data_object` (the fixture's event with id, type, created and data replaced)."""
    evt = obj("event", id=id or uid("evt"), type=type, created=created or int(time.time()))
    evt["data"] = {"object": data_object}
    if previous_attributes is not None:
        evt["data"]["previous_attributes"] = previous_attributes
    return evt


def sign(body: bytes | str, secret: str, *, timestamp: int | None = None) -> str:
    """The Stripe-Signature header: t=<ts>,v1=<hex hmac_sha256(secret, "<ts>.<body>")>."""
    if isinstance(body, str):
        body = body.encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"
