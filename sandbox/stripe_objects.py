# ruff: noqa: E501  (the key table below is one line per Stripe object, copied from the fixtures)
"""Stripe-shaped object builders for the SandboxProvider (and for tests that need Stripe payloads).

Each builder returns a plain dict with exactly the top-level keys of the same object in Stripe's API
(the key lists below follow Stripe's API reference for the version of stripe SDK 16, 2026-10-28, checked
against Stripe's example objects; fields removed since 2025-03-31 are absent: invoice.subscription /
charge / payment_intent / paid, charge.invoice, subscription.current_period_*, embedded charge.refunds),
so the code that applies webhooks cannot tell a sandbox object from a real one. Values Teller never
reads stay None; the ones it reads (ids, amounts, statuses, fingerprints, periods) are filled in.

Ids look like Stripe's (`cus_...`, `re_...`, `evt_...`): random, or derived from a seed key so a
re-run of the demo seed produces the same ids (and the inbox's unique event id makes it a no-op).
"""

import hashlib
import secrets
import string
from datetime import datetime

from providers.stripe import STRIPE_API_VERSION as API_VERSION  # the sandbox speaks the version Teller pins

_ALPHABET = string.digits + string.ascii_letters

# Top-level keys of each Stripe object, exactly as in the reference fixtures.
KEYS: dict[str, tuple[str, ...]] = {
    name: tuple(keys.split())
    for name, keys in {
        "customer": "address balance created currency default_source delinquent description discount email id invoice_prefix invoice_settings livemode metadata name next_invoice_sequence object phone preferred_locales shipping tax_exempt test_clock",
        "payment_method": "allow_redisplay billing_details card created customer customer_account id livemode metadata object type",
        "price": "active billing_scheme created currency custom_unit_amount id livemode lookup_key metadata nickname object product recurring tax_behavior tiers_mode transform_quantity type unit_amount unit_amount_decimal",
        "product": "active created default_price description id images livemode marketing_features metadata name object package_dimensions shippable statement_descriptor tax_code type unit_label updated url",
        "subscription": "application application_fee_percent automatic_tax billing_cycle_anchor billing_cycle_anchor_config billing_mode billing_schedules billing_thresholds cancel_at cancel_at_period_end canceled_at cancellation_details collection_method created currency customer customer_account days_until_due default_payment_method default_source default_tax_rates description discounts ended_at id invoice_settings items latest_invoice livemode managed_payments metadata next_pending_invoice_item_invoice object on_behalf_of pause_collection payment_settings pending_invoice_item_interval pending_setup_intent pending_update schedule start_date status test_clock transfer_data trial_end trial_settings trial_start",
        "subscription_item": "billing_thresholds created current_period_end current_period_start discounts id metadata object plan price quantity subscription tax_rates",
        "invoice": "account_country account_name account_tax_ids amount_due amount_overpaid amount_paid amount_remaining amount_shipping application attempt_count attempted auto_advance automatic_tax automatically_finalizes_at billing_reason collection_method created currency custom_fields customer customer_account customer_address customer_email customer_name customer_phone customer_shipping customer_tax_exempt customer_tax_ids default_payment_method default_source default_tax_rates description discounts due_date effective_at ending_balance footer from_invoice hosted_invoice_url id invoice_pdf issuer last_finalization_error latest_revision lines livemode metadata next_payment_attempt number object on_behalf_of parent payment_settings period_end period_start post_payment_credit_notes_amount pre_payment_credit_notes_amount receipt_number rendering shipping_cost shipping_details starting_balance statement_descriptor status status_transitions subtotal subtotal_excluding_tax test_clock total total_discount_amounts total_excluding_tax total_pretax_credit_amounts total_taxes webhooks_delivered_at",
        "charge": "amount amount_captured amount_refunded application application_fee application_fee_amount balance_transaction billing_details calculated_statement_descriptor captured created currency customer description disputed failure_balance_transaction failure_code failure_message fraud_details id livemode metadata object on_behalf_of outcome paid payment_intent payment_method payment_method_details receipt_email receipt_number receipt_url refunded review shipping source source_transfer statement_descriptor statement_descriptor_suffix status transfer_data transfer_group",
        "refund": "amount balance_transaction charge created currency customer customer_account destination_details id metadata object payment_intent payment_method reason receipt_number source_transfer_reversal status transfer_reversal",
        "dispute": "amount balance_transactions charge created currency enhanced_eligibility_types evidence evidence_details id is_charge_refundable livemode metadata object payment_intent payment_method_details reason status",
        "checkout.session": "adaptive_pricing after_expiration allow_promotion_codes amount_subtotal amount_total automatic_tax billing_address_collection cancel_url client_reference_id client_secret collected_information consent consent_collection created currency currency_conversion custom_fields custom_text customer customer_account customer_creation customer_details customer_email discounts expires_at id integration_identifier invoice invoice_creation livemode locale managed_payments metadata mode object origin_context payment_intent payment_link payment_method_collection payment_method_configuration_details payment_method_options payment_method_types payment_status permissions phone_number_collection recovered_from saved_payment_method_options setup_intent shipping_address_collection shipping_cost shipping_options status submit_type subscription success_url total_details ui_mode url wallet_options",
        "invoice_payment": "amount_paid amount_requested created currency id invoice is_default livemode object payment status status_transitions",
        "payment_intent": "amount amount_capturable amount_details amount_received application application_fee_amount automatic_payment_methods canceled_at cancellation_reason capture_method client_secret confirmation_method created currency customer customer_account description excluded_payment_method_types id last_payment_error latest_charge livemode managed_payments metadata next_action object on_behalf_of payment_method payment_method_configuration_details payment_method_options payment_method_types processing receipt_email review setup_future_usage shipping source statement_descriptor statement_descriptor_suffix status transfer_data transfer_group",
        "radar.value_list": "alias created created_by id item_type list_items livemode metadata name object",
        "radar.value_list_item": "created created_by id livemode object value value_list",
        "event": "api_version created data id livemode object pending_webhooks request type",
    }.items()
}


def stripe_id(prefix: str, seed: str | None = None, length: int = 24) -> str:
    """A Stripe-looking id. With a seed the id is stable (same seed, same id); without, random."""
    if seed is None:
        body = "".join(secrets.choice(_ALPHABET) for _ in range(length))
    else:
        number = int.from_bytes(hashlib.sha256(f"{prefix}:{seed}".encode()).digest(), "big")
        chars = []
        for _ in range(length):
            number, index = divmod(number, len(_ALPHABET))
            chars.append(_ALPHABET[index])
        body = "".join(chars)
    return f"{prefix}_{body}"


def fingerprint(seed: str) -> str:
    """Stripe card / bank fingerprints are 16 characters, stable per card number."""
    return stripe_id("fp", seed, 16)[3:]


def ts(moment: datetime | int | None) -> int | None:
    """Unix seconds, Stripe's only time format."""
    if moment is None or isinstance(moment, int):
        return moment
    return int(moment.timestamp())


def _shell(object_type: str, **values) -> dict:
    """Every key of the object set to None, then the defaults every Stripe object carries."""
    obj = dict.fromkeys(KEYS[object_type])
    if "object" in obj:
        obj["object"] = object_type
    if "livemode" in obj:
        obj["livemode"] = False
    if "metadata" in obj:
        obj["metadata"] = {}
    unknown = set(values) - set(obj)
    if unknown:  # a typo here would silently build an object Stripe never sends
        raise KeyError(f"{object_type} has no keys {sorted(unknown)}")
    obj.update(values)
    return obj


def _list(data: list, url: str) -> dict:
    return {"object": "list", "data": data, "has_more": False, "url": url}


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


# --- subscriptions and invoices ----------------------------------------------------------------------


def subscription(
    *,
    id: str,
    customer: str,
    price: dict,
    status: str,
    created,
    current_period_start,
    current_period_end,
    trial_start=None,
    trial_end=None,
    cancel_at_period_end: bool = False,
    cancel_at=None,
    canceled_at=None,
    ended_at=None,
    default_payment_method: str | None = None,
    latest_invoice: str | None = None,
    metadata: dict | None = None,
) -> dict:
    item = _shell(
        "subscription_item",
        id=stripe_id("si", id),
        created=ts(created),
        subscription=id,
        price=price,
        quantity=1,
        discounts=[],
        tax_rates=[],
        current_period_start=ts(current_period_start),
        current_period_end=ts(current_period_end),
    )
    return _shell(
        "subscription",
        id=id,
        customer=customer,
        status=status,
        created=ts(created),
        start_date=ts(created),
        currency=price["currency"],
        items=_list([item], f"/v1/subscription_items?subscription={id}"),
        billing_cycle_anchor=ts(current_period_start),
        collection_method="charge_automatically",
        billing_mode={
            "type": "flexible",
            "flexible": {"proration_discounts": "included"},
            "updated_at": None,
        },
        cancel_at_period_end=cancel_at_period_end,
        cancel_at=ts(cancel_at),
        canceled_at=ts(canceled_at),
        ended_at=ts(ended_at),
        trial_start=ts(trial_start),
        trial_end=ts(trial_end),
        default_payment_method=default_payment_method,
        latest_invoice=latest_invoice,
        cancellation_details={
            "comment": None,
            "feedback": None,
            "reason": "cancellation_requested" if canceled_at else None,
        },
        metadata=dict(metadata or {}),
        discounts=[],
        default_tax_rates=[],
    )


def subscription_period(sub: dict) -> tuple[int, int]:
    """Since API 2025-03 the period lives on the subscription item, not on the subscription."""
    item = sub["items"]["data"][0]
    return item["current_period_start"], item["current_period_end"]


def invoice(
    *,
    id: str,
    customer: str,
    subscription: str | None,
    price: dict,
    status: str,
    created,
    period_start,
    period_end,
    amount: int,
    currency: str,
    customer_email: str = "",
    billing_reason: str = "subscription_cycle",
    attempt_count: int = 1,
    metadata: dict | None = None,
) -> dict:
    paid = status == "paid"
    line = {
        "id": stripe_id("il", id),
        "object": "line_item",
        "amount": amount,
        "currency": currency,
        "description": None,
        "invoice": id,
        "livemode": False,
        "metadata": {},
        "quantity": 1,
        "period": {"start": ts(period_start), "end": ts(period_end)},
        "pricing": {
            "type": "price_details",
            "price_details": {"price": price["id"], "product": price["product"]},
            "unit_amount_decimal": str(amount),
        },
        "parent": {
            "type": "subscription_item_details",
            "invoice_item_details": None,
            "subscription_item_details": {
                "subscription": subscription,
                "subscription_item": None,
                "proration": False,
                "invoice_item": None,
            },
        },
    }
    return _shell(
        "invoice",
        id=id,
        customer=customer,
        status=status,
        created=ts(created),
        currency=currency,
        amount_due=amount,
        amount_paid=amount if paid else 0,
        amount_remaining=0 if paid else amount,
        total=amount,
        subtotal=amount,
        amount_overpaid=0,
        amount_shipping=0,
        attempt_count=attempt_count,
        attempted=True,
        billing_reason=billing_reason,
        collection_method="charge_automatically",
        customer_email=customer_email or None,
        period_start=ts(period_start),
        period_end=ts(period_end),
        lines=_list([line], f"/v1/invoices/{id}/lines"),
        parent={
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {"subscription": subscription, "metadata": {}},
        },
        status_transitions={
            "paid_at": ts(created) if paid else None,
            "finalized_at": ts(created),
            "marked_uncollectible_at": None,
            "voided_at": None,
        },
        metadata=dict(metadata or {}),
        account_country="DE",
        discounts=[],
        default_tax_rates=[],
    )


def invoice_payment(
    *,
    id: str,
    invoice: str,
    amount: int,
    currency: str,
    created,
    payment_intent: str | None = None,
    charge: str | None = None,
    status: str = "paid",
) -> dict:
    """Which payment paid an invoice (2025-03-31 on): a payment intent, or a charge that has none."""
    payment = (
        {"type": "payment_intent", "payment_intent": payment_intent}
        if payment_intent
        else {"type": "charge", "charge": charge}
    )
    paid = status == "paid"
    return _shell(
        "invoice_payment",
        id=id,
        invoice=invoice,
        amount_paid=amount if paid else None,
        amount_requested=amount,
        currency=currency,
        created=ts(created),
        is_default=True,
        payment=payment,
        status=status,
        status_transitions={"canceled_at": None, "paid_at": ts(created) if paid else None},
    )


def payment_intent(
    *, id: str, customer: str | None, amount: int, currency: str, created, pm: dict, latest_charge: str | None
) -> dict:
    succeeded = latest_charge is not None
    return _shell(
        "payment_intent",
        id=id,
        customer=customer,
        amount=amount,
        amount_received=amount if succeeded else 0,
        amount_capturable=0,
        currency=currency,
        created=ts(created),
        status="succeeded" if succeeded else "requires_payment_method",
        latest_charge=latest_charge,
        payment_method=pm["id"],
        payment_method_types=[pm["type"]],
        capture_method="automatic",
        confirmation_method="automatic",
        client_secret=None,
        metadata={},
    )


# --- charges, refunds, disputes ----------------------------------------------------------------------


def charge(
    *,
    id: str,
    customer: str | None,
    amount: int,
    currency: str,
    created,
    pm: dict,
    status: str = "succeeded",
    amount_refunded: int = 0,
    disputed: bool = False,
    failure_code: str | None = None,
    failure_message: str | None = None,
    description: str = "",
    payment_intent: str | None = None,
    metadata: dict | None = None,
    email: str = "",
) -> dict:
    """`pm` is the payment_method object the charge used; its details are snapshotted as Stripe does."""
    succeeded = status == "succeeded"
    return _shell(
        "charge",
        id=id,
        customer=customer,
        amount=amount,
        currency=currency,
        created=ts(created),
        status=status,
        paid=succeeded,
        captured=succeeded,
        amount_captured=amount if succeeded else 0,
        amount_refunded=amount_refunded,
        refunded=succeeded and amount_refunded >= amount,
        disputed=disputed,
        failure_code=failure_code,
        failure_message=failure_message,
        description=description or None,
        payment_intent=payment_intent,
        payment_method=pm["id"],
        payment_method_details=payment_method_details(pm),
        billing_details=pm["billing_details"],
        receipt_email=email or None,
        metadata=dict(metadata or {}),
        balance_transaction=stripe_id("txn", id) if succeeded else None,
        fraud_details={},
        outcome={
            "type": "authorized" if succeeded else "issuer_declined",
            "network_status": "approved_by_network" if succeeded else "declined_by_network",
            "reason": None if succeeded else failure_code,
            "risk_level": "normal",
            "seller_message": "Payment complete."
            if succeeded
            else "The bank did not return any further details.",
        },
        calculated_statement_descriptor="TELLER DEMO",
        transfer_data=None,
        shipping=None,
        source=None,
        review=None,
    )


def refund(
    *,
    id: str,
    charge: dict,
    amount: int,
    created,
    reason: str | None = None,
    status: str = "succeeded",
    metadata: dict | None = None,
) -> dict:
    method = charge["payment_method_details"]["type"]
    return _shell(
        "refund",
        id=id,
        charge=charge["id"],
        amount=amount,
        currency=charge["currency"],
        created=ts(created),
        status=status,
        reason=reason,
        metadata=dict(metadata or {}),
        payment_intent=charge["payment_intent"],
        payment_method=charge["payment_method"],
        customer=charge["customer"],
        balance_transaction=stripe_id("txn", id) if status == "succeeded" else None,
        destination_details={"type": method, method: {"type": "reversal"} if method == "card" else {}},
    )


# Stripe's dispute statuses; the first three are "open".
DISPUTE_STATUSES = ("warning_needs_response", "needs_response", "under_review", "won", "lost")


def dispute(
    *,
    id: str,
    charge: dict,
    amount: int,
    status: str,
    created,
    reason: str = "fraudulent",
    metadata: dict | None = None,
) -> dict:
    method = charge["payment_method_details"]["type"]
    details = {"type": method}
    if method == "card":
        brand = charge["payment_method_details"]["card"]["brand"]
        details["card"] = {
            "brand": brand,
            "case_type": "chargeback",
            "network": brand,
            "network_reason_code": "10.4",
        }
    return _shell(
        "dispute",
        id=id,
        charge=charge["id"],
        amount=amount,
        currency=charge["currency"],
        created=ts(created),
        status=status,
        reason=reason,
        metadata=dict(metadata or {}),
        payment_intent=charge["payment_intent"],
        balance_transactions=[],
        is_charge_refundable=False,
        payment_method_details=details,
        evidence={},
        enhanced_eligibility_types=[],
        evidence_details={
            "due_by": ts(created) + 14 * 86400,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
            "enhanced_eligibility": {},
        },
    )


# --- repayment links (Checkout Sessions) -------------------------------------------------------------


def checkout_session(
    *,
    id: str,
    amount: int,
    currency: str,
    description: str,
    created,
    expires_at,
    url: str,
    metadata: dict,
    status: str = "open",
    payment_status: str = "unpaid",
    payment_intent: str | None = None,
    customer: str | None = None,
    customer_email: str = "",
) -> dict:
    return _shell(
        "checkout.session",
        id=id,
        mode="payment",
        amount_total=amount,
        amount_subtotal=amount,
        currency=currency,
        created=ts(created),
        expires_at=ts(expires_at),
        url=url if status == "open" else None,
        metadata=dict(metadata),
        status=status,
        payment_status=payment_status,
        payment_intent=payment_intent,
        customer=customer,
        customer_email=customer_email or None,
        payment_method_types=["card", "sepa_debit"],
        client_reference_id=metadata.get("chargeback"),
        success_url=url + "done/",
        cancel_url=None,
        custom_fields=[],
        shipping_options=[],
        discounts=[],
        ui_mode="hosted",
        locale=None,
        submit_type="pay",
        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        custom_text={
            "after_submit": None,
            "shipping_address": None,
            "submit": {"message": description},
            "terms_of_service_acceptance": None,
        },
    )


# --- Radar ---------------------------------------------------------------------------------------------


def value_list(
    *, id: str, alias: str, name: str, item_type: str, created, created_by: str = "teller"
) -> dict:
    return _shell(
        "radar.value_list",
        id=id,
        alias=alias,
        name=name,
        item_type=item_type,
        created=ts(created),
        created_by=created_by,
        list_items=_list([], f"/v1/radar/value_list_items?value_list={id}"),
    )


def value_list_item(*, id: str, value: str, value_list: str, created, created_by: str = "teller") -> dict:
    return _shell(
        "radar.value_list_item",
        id=id,
        value=value,
        value_list=value_list,
        created=ts(created),
        created_by=created_by,
    )


# --- events --------------------------------------------------------------------------------------------


def event(
    *,
    id: str,
    type: str,
    obj: dict,
    created,
    previous_attributes: dict | None = None,
    idempotency_key: str | None = None,
) -> dict:
    data = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return _shell(
        "event",
        id=id,
        type=type,
        created=ts(created),
        data=data,
        api_version=API_VERSION,
        pending_webhooks=0,
        request={"id": None, "idempotency_key": idempotency_key},
    )
