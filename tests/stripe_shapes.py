"""Stripe-shaped payloads for tests, in today's shapes (API 2026-10-28, as every version since 2025-03-31).

Built in the repository from Stripe's documented objects through the sandbox's builders
(providers/stripe_objects.py), so tests and the sandbox speak one shape and no test reads a file outside the
repository. obj("charge", id="ch_1", amount=500) builds a default object and merges `overrides` into it
(nested dicts are merged: payment_method_details={"card": {"last4": "1111"}} changes only last4; pass
{"_replace": True, ...} to replace a dict). event(type, data_object, created=...) wraps an object in a Stripe
event; sign(body, secret) builds the Stripe-Signature header the way Stripe does.
"""

import copy
import hashlib
import hmac
import itertools
import time

from sandbox import stripe_objects as so

_seq = itertools.count(1)
T0 = 1_700_000_000
CARD_FINGERPRINT = "AOB934RVNwzk6xtn"
SEPA_FINGERPRINT = "SEPAfp0001"

# Fields Stripe removed (2025-03-31 and 2022-11-15): no payload of ours may carry them.
REMOVED_FIELDS = {
    "invoice": ("charge", "payment_intent", "paid", "subscription"),
    "charge": ("invoice", "refunds"),
    "subscription": ("current_period_start", "current_period_end"),
}


def _merge(base: dict, overrides: dict) -> dict:
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict) and not value.get("_replace"):
            _merge(base[key], value)
        elif isinstance(value, dict) and value.get("_replace"):
            base[key] = {k: v for k, v in value.items() if k != "_replace"}
        else:
            base[key] = value
    return base


def uid(prefix: str) -> str:
    return f"{prefix}_T{next(_seq):012d}"


def _card_pm(id="pm_default", customer=None, fingerprint=CARD_FINGERPRINT) -> dict:
    details = so.card_details(
        brand="visa", last4="4242", exp_month=4, exp_year=2028, fingerprint=fingerprint, country="US"
    )
    return so.payment_method(
        id=id, customer=customer, created=T0, type="card", details=details, email="jenny@example.com"
    )


def _sepa_pm(id="pm_sepa", customer=None, fingerprint=SEPA_FINGERPRINT) -> dict:
    details = so.sepa_details(last4="3000", fingerprint=fingerprint)
    return so.payment_method(
        id=id, customer=customer, created=T0, type="sepa_debit", details=details, email="jenny@example.com"
    )


def price(id="price_1PgafmB7WZ01zgkW6dKueIc5", product="prod_QXg1hqf4jFNsqG", amount=2000, **kw) -> dict:
    return _merge(
        so.price(id=id, product=product, unit_amount=amount, currency="eur", interval="month", created=T0), kw
    )


_DEFAULTS = {
    "customer": lambda: so.customer(
        id="cus_QXg1o8vcGmoR32", email="jenny@example.com", name="Jenny Rosen", created=T0, country="DE"
    ),
    "payment_method": _card_pm,
    "price": price,
    "subscription": lambda: so.subscription(
        id="sub_1Pgc6rB7WZ01zgkWNy0Cn5nw",
        customer="cus_QXg1o8vcGmoR32",
        price=price(),
        status="active",
        created=T0,
        current_period_start=T0,
        current_period_end=T0 + 2_592_000,
    ),
    "invoice": lambda: so.invoice(
        id="in_1PgafxB7WZ01zgkW3xgpxKqX",
        customer="cus_QXg1o8vcGmoR32",
        subscription="sub_1Pgc6rB7WZ01zgkWNy0Cn5nw",
        price=price(),
        status="paid",
        created=T0,
        period_start=T0,
        period_end=T0 + 2_592_000,
        amount=2000,
        currency="eur",
    ),
    "invoice_payment": lambda: so.invoice_payment(
        id="inpay_1PgafxB7WZ01zgkW3xgpxKqX",
        invoice="in_1PgafxB7WZ01zgkW3xgpxKqX",
        amount=2000,
        currency="eur",
        created=T0,
        payment_intent="pi_1PgafyB7WZ01zgkWSjxsAJo3",
    ),
    "payment_intent": lambda: so.payment_intent(
        id="pi_1PgafyB7WZ01zgkWSjxsAJo3",
        customer="cus_QXg1o8vcGmoR32",
        amount=2000,
        currency="eur",
        created=T0,
        pm=_card_pm(),
        latest_charge="ch_1PgafuB7WZ01zgkWXYmPNZs8",
    ),
    "charge": lambda: so.charge(
        id="ch_1PgafuB7WZ01zgkWXYmPNZs8",
        customer="cus_QXg1o8vcGmoR32",
        amount=2000,
        currency="eur",
        created=T0,
        pm=_card_pm(),
        payment_intent="pi_1PgafyB7WZ01zgkWSjxsAJo3",
    ),
    "refund": lambda: so.refund(
        id="re_1Pgc72B7WZ01zgkWqPvrRrPE", charge=_DEFAULTS["charge"](), amount=100, created=T0
    ),
    "dispute": lambda: so.dispute(
        id="dp_1Pgc71B7WZ01zgkWMevJiAUx",
        charge=_DEFAULTS["charge"](),
        amount=1000,
        status="warning_needs_response",
        created=T0,
    ),
    "checkout.session": lambda: so.checkout_session(
        id="cs_test_a1",
        amount=1000,
        currency="eur",
        description="Repayment",
        created=T0,
        expires_at=T0 + 86_400,
        url="https://checkout.stripe.com/c/pay/cs_test_a1",
        metadata={},
    ),
    "radar.value_list": lambda: so.value_list(
        id="rsl_1Pgc6xB7WZ01zgkWMAqpozsZ",
        alias="custom_ip_blocklist",
        name="Custom IP Blocklist",
        item_type="ip_address",
        created=T0,
    ),
    "radar.value_list_item": lambda: so.value_list_item(
        id="rsli_1Pgc6xB7WZ01zgkWS2KbiAtC",
        value="1.2.3.4",
        value_list="rsl_1Pgc6xB7WZ01zgkWMAqpozsZ",
        created=T0,
    ),
    "deleted_radar.value_list_item": lambda: {
        "id": "rsli_1Pgc6xB7WZ01zgkWS2KbiAtC",
        "object": "radar.value_list_item",
        "deleted": True,
    },
    # An object Teller does not apply (its events are IGNORED): a legacy plan.
    "plan": lambda: {
        "id": "price_1PgafmB7WZ01zgkW6dKueIc5",
        "object": "plan",
        "active": True,
        "amount": 2000,
        "currency": "eur",
        "interval": "month",
        "interval_count": 1,
        "product": "prod_QXg1hqf4jFNsqG",
        "livemode": False,
        "metadata": {},
    },
}


def obj(kind: str, **overrides) -> dict:
    """A fresh default `kind` object with `overrides` merged in."""
    return _merge(copy.deepcopy(_DEFAULTS[kind]()), overrides)


def flat(kind: str, **fields) -> dict:
    """The default `kind` object with top-level `fields` replacing its values (a bare shell if unknown)."""
    base = copy.deepcopy(_DEFAULTS[kind]()) if kind in _DEFAULTS else {"object": kind}
    return {**base, **fields}


# Convenience builders with realistic defaults ------------------------------------------------------------
def customer(id=None, **kw) -> dict:
    return obj("customer", **{"id": id or uid("cus"), **kw})


def card_pm(id=None, customer=None, fingerprint=CARD_FINGERPRINT, **kw) -> dict:
    return _merge(_card_pm(id=id or uid("pm"), customer=customer, fingerprint=fingerprint), kw)


def sepa_pm(id=None, customer=None, fingerprint=SEPA_FINGERPRINT, **kw) -> dict:
    return _merge(_sepa_pm(id=id or uid("pm"), customer=customer, fingerprint=fingerprint), kw)


def subscription(
    id=None,
    customer="cus_QXg1o8vcGmoR32",
    status="active",
    *,
    period=(T0, T0 + 2_592_000),
    price_obj=None,
    **kw,
) -> dict:
    """The period lives on the item (2025-03-31 on); `price_obj` is the item's price."""
    sub_id = id or uid("sub")
    sub = so.subscription(
        id=sub_id,
        customer=customer,
        price=price_obj or price(),
        status=status,
        created=T0,
        current_period_start=period[0],
        current_period_end=period[1],
    )
    return _merge(sub, kw)


def add_item(sub: dict, *, price_obj: dict, period: tuple[int, int]) -> dict:
    """Flexible billing: another item with a period of its own."""
    item = copy.deepcopy(sub["items"]["data"][0])
    item.update(id=uid("si"), price=price_obj, current_period_start=period[0], current_period_end=period[1])
    sub["items"]["data"].append(item)
    return sub


def invoice(subscription_id, id=None, customer="cus_QXg1o8vcGmoR32", *, amount=2000, period=None, **kw):
    start, end = period or (T0, T0 + 2_592_000)
    inv = so.invoice(
        id=id or uid("in"),
        customer=customer,
        subscription=subscription_id,
        price=price(),
        status="paid",
        created=start,
        period_start=start,
        period_end=end,
        amount=amount,
        currency="eur",
    )
    return _merge(inv, kw)


def invoice_payment(invoice_id, *, payment_intent=None, charge=None, id=None, amount=2000, **kw) -> dict:
    """payment.type "payment_intent" (payment.payment_intent) or, given only `charge`, "charge"."""
    pay = so.invoice_payment(
        id=id or uid("inpay"),
        invoice=invoice_id,
        amount=amount,
        currency="eur",
        created=T0,
        payment_intent=payment_intent,
        charge=charge,
    )
    return _merge(pay, kw)


def charge(id=None, customer=None, amount=2000, payment_intent="", **kw) -> dict:
    """A succeeded card charge; `payment_intent` defaults to a fresh pi_ id (None: a charge without one)."""
    ch = so.charge(
        id=id or uid("ch"),
        customer=customer,
        amount=amount,
        currency="eur",
        created=T0 + 100,
        pm=_card_pm(customer=customer),
        payment_intent=uid("pi") if payment_intent == "" else payment_intent,
    )
    return _merge(ch, kw)


def sepa_charge(id=None, customer=None, amount=2000, **kw) -> dict:
    ch = charge(id=id, customer=customer, amount=amount, **kw)
    ch["payment_method_details"] = so.payment_method_details(_sepa_pm(customer=customer))
    return ch


def refund(charge_id, amount, id=None, status="succeeded", **kw) -> dict:
    parent = so.charge(
        id=charge_id, customer=None, amount=max(amount, 1), currency="eur", created=T0, pm=_card_pm()
    )
    return _merge(
        so.refund(id=id or uid("re"), charge=parent, amount=amount, created=T0 + 200, status=status), kw
    )


def dispute(charge_id, amount, id=None, status="needs_response", **kw) -> dict:
    parent = so.charge(id=charge_id, customer=None, amount=amount, currency="eur", created=T0, pm=_card_pm())
    return _merge(
        so.dispute(id=id or uid("dp"), charge=parent, amount=amount, status=status, created=T0 + 300), kw
    )


def checkout_session(id=None, **kw) -> dict:
    return obj("checkout.session", id=id or uid("cs"), **kw)


def event(type: str, data_object: dict, *, id=None, created=None, previous_attributes=None) -> dict:
    """A Stripe event around `data_object`."""
    return so.event(
        id=id or uid("evt"),
        type=type,
        obj=data_object,
        created=created or int(time.time()),
        previous_attributes=previous_attributes,
    )


def sign(body: bytes | str, secret: str, *, timestamp: int | None = None) -> str:
    """The Stripe-Signature header: t=<ts>,v1=<hex hmac_sha256(secret, "<ts>.<body>")>."""
    if isinstance(body, str):
        body = body.encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"
