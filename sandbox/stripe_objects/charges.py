"""Stripe-shaped charges, refunds, disputes, Checkout Sessions (repayment links), Radar lists and events."""

from providers.stripe import STRIPE_API_VERSION as API_VERSION  # the sandbox speaks the version Teller pins

from .base import _list, _shell, stripe_id, ts
from .customers import payment_method_details

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
