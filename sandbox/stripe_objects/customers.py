"""Stripe-shaped customers, payment methods and prices (the catalogue)."""

from .base import _shell, ts

# --- customers and payment methods -------------------------------------------------------------------


def customer(
    *,
    id: str,
    email: str,
    name: str,
    created,
    country: str = "",
    description: str = "",
    metadata: dict | None = None,
    default_payment_method: str | None = None,
) -> dict:
    return _shell(
        "customer",
        id=id,
        email=email,
        name=name,
        created=ts(created),
        description=description or None,
        metadata=dict(metadata or {}),
        balance=0,
        currency=None,
        delinquent=False,
        discount=None,
        address={
            "city": None,
            "country": country or None,
            "line1": None,
            "line2": None,
            "postal_code": None,
            "state": None,
        },
        invoice_prefix=id[-8:].upper(),
        next_invoice_sequence=1,
        preferred_locales=[],
        shipping=None,
        tax_exempt="none",
        phone=None,
        invoice_settings={
            "custom_fields": None,
            "default_payment_method": default_payment_method,
            "footer": None,
            "rendering_options": None,
        },
    )


def card_details(
    *,
    brand: str,
    last4: str,
    exp_month: int,
    exp_year: int,
    fingerprint: str,
    country: str = "US",
    funding: str = "credit",
) -> dict:
    return {
        "brand": brand,
        "display_brand": brand,
        "last4": last4,
        "exp_month": exp_month,
        "exp_year": exp_year,
        "fingerprint": fingerprint,
        "country": country,
        "funding": funding,
        "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
        "networks": {"available": [brand], "preferred": None},
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
        "generated_from": None,
        "regulated_status": None,
    }


def sepa_details(*, last4: str, fingerprint: str, country: str = "DE", bank_code: str = "37040044") -> dict:
    return {
        "bank_code": bank_code,
        "branch_code": "",
        "country": country,
        "fingerprint": fingerprint,
        "last4": last4,
        "generated_from": {"charge": None, "setup_attempt": None},
    }


def payment_method(
    *, id: str, customer: str | None, created, type: str, details: dict, email: str = "", name: str = ""
) -> dict:
    """`details` is card_details(...) or sepa_details(...); Stripe keys it by the method's type."""
    obj = _shell(
        "payment_method",
        id=id,
        customer=customer,
        created=ts(created),
        type=type,
        allow_redisplay="unspecified",
        billing_details={
            "address": None,
            "email": email or None,
            "name": name or None,
            "phone": None,
            "tax_id": None,
        },
    )
    obj.pop("card")
    obj[type] = details
    return obj


def payment_method_details(pm: dict) -> dict:
    """The snapshot a charge keeps of the payment method it used."""
    details = dict(pm[pm["type"]])
    if pm["type"] == "card":
        details = {
            k: details[k]
            for k in (
                "brand",
                "last4",
                "exp_month",
                "exp_year",
                "fingerprint",
                "country",
                "funding",
                "checks",
            )
        }
        details["network"] = details["brand"]
    return {"type": pm["type"], pm["type"]: details}


# --- catalogue ---------------------------------------------------------------------------------------


def price(*, id: str, product: str, unit_amount: int, currency: str, interval: str = "", created=0) -> dict:
    recurring = None
    if interval:
        recurring = {
            "interval": interval,
            "interval_count": 1,
            "meter": None,
            "usage_type": "licensed",
            "trial_period_days": None,
        }
    return _shell(
        "price",
        id=id,
        product=product,
        unit_amount=unit_amount,
        unit_amount_decimal=str(unit_amount),
        currency=currency,
        recurring=recurring,
        type="recurring" if interval else "one_time",
        active=True,
        billing_scheme="per_unit",
        created=ts(created),
        tax_behavior="unspecified",
    )
