"""charge.* and refund.* objects -> Transaction rows (charge.dispute.*: disputes.py)."""

from datetime import datetime

from django.db.models import Sum

from customers.models import Customer, Identifier
from payments import stripe_shapes as shapes
from purchases.models import Product, Purchase
from transactions.models import Transaction

from .common import (
    NotYetKnown,
    apply_atomic,
    customer_for,
    identifier_link,
    identifier_upsert,
    link_event,
    method_identifier,
    obj_id,
    stamp_of,
    ts,
    upsert,
)
from .links import attach_purchase, subscription_id_for_charge

T = Transaction.Status

REFUND_STATUS_MAP = {
    "succeeded": T.SUCCEEDED,
    "pending": T.PENDING,
    "requires_action": T.PENDING,
    "failed": T.FAILED,
    "canceled": T.CANCELED,
}
# Refunds that count against the charge, as Stripe's own amount_refunded counts them (pending included, so
# a SEPA refund in flight cannot be credited twice).
COUNTED_REFUND_STATUSES = (T.SUCCEEDED, T.PENDING)
# Statuses a later dispute update must not undo (set by the repayment flow).
REPAYMENT_STATUSES = (T.REPAID, T.PARTIALLY_REPAID)


# ---------------------------------------------------------------------------------------------- charges
def _snapshot(txn: Transaction, pmd: dict) -> None:
    """The payment method as it was at payment time (brand, last 4, expiry, country, bank)."""
    method_type = pmd.get("type") or ""
    details = pmd.get(method_type) or {}
    txn.method_type = method_type
    txn.method_brand = details.get("brand") or ""
    txn.method_last4 = details.get("last4") or ""
    txn.method_exp_month = details.get("exp_month")
    txn.method_exp_year = details.get("exp_year")
    txn.method_country = (details.get("country") or "")[:2]
    txn.method_bank_name = details.get("bank_name") or details.get("bank_code") or ""


def _charge_identifiers(merchant, obj: dict) -> dict:
    """Identifiers this charge used: the card / bank fingerprint, the billing email, the customer id."""
    pmd = obj.get("payment_method_details") or {}
    method_type = pmd.get("type") or ""
    email = (obj.get("billing_details") or {}).get("email") or obj.get("receipt_email")
    customer_id = obj_id(obj.get("customer"))
    return {
        "method": method_identifier(merchant, method_type, pmd.get(method_type) or {}),
        "email": identifier_upsert(
            merchant, Identifier.Kind.EMAIL, email, display=(email or "").strip().lower()
        )
        if email
        else None,
        "customer": identifier_upsert(merchant, Identifier.Kind.CUSTOMER_ID, customer_id, display=customer_id)
        if customer_id
        else None,
    }


def _refunded_sum(charge: Transaction) -> int:
    total = charge.children.filter(
        kind=Transaction.Kind.REFUND, status__in=COUNTED_REFUND_STATUSES
    ).aggregate(s=Sum("amount"))["s"]
    return total or 0


def recompute_charge_status(
    charge: Transaction, *, provider_status: str | None = None, disputes: list | None = None
) -> None:
    """Derive the charge's status from its own outcome, its refunds and its disputes (never stored twice).

    `disputes` are the statuses of its chargebacks, read from the database when not given."""
    if provider_status == "failed" or (provider_status is None and charge.status == T.FAILED):
        charge.status = T.FAILED
        return
    if provider_status == "pending" or (provider_status is None and charge.status == T.PENDING):
        charge.status = T.PENDING
        return
    if disputes is None:
        disputes = list(
            charge.children.filter(kind=Transaction.Kind.CHARGEBACK).values_list("status", flat=True)
        )
    if any(s in (T.LOST, *REPAYMENT_STATUSES) for s in disputes):
        charge.status = T.CHARGED_BACK
    elif any(s in Transaction.OPEN_DISPUTE_STATUSES for s in disputes) or (
        not disputes and charge.disputed_amount > 0
    ):
        charge.status = T.DISPUTED
    elif charge.refunded_amount >= charge.amount:
        charge.status = T.REFUNDED
    elif charge.refunded_amount > 0:
        charge.status = T.PARTIALLY_REFUNDED
    else:
        charge.status = T.SUCCEEDED


def _subscription_purchase(merchant, obj: dict, txn: Transaction) -> Purchase | None:
    """The subscription purchase this charge paid: through its invoice_payment and invoice (today's shapes),
    else an expanded `invoice` of an older version, else a subscription its metadata names."""
    sub_id = subscription_id_for_charge(merchant, txn)
    legacy_invoice = shapes.charge_legacy_invoice(obj)
    if not sub_id and legacy_invoice is not None:
        sub_id = shapes.invoice_subscription_id(legacy_invoice)
    sub_id = sub_id or shapes.charge_metadata_subscription_id(obj)
    if not sub_id:
        return None
    return Purchase.objects.filter(merchant=merchant, provider_subscription_id=sub_id).first()


def _link_purchase(merchant, obj: dict, customer: Customer | None, txn: Transaction, applied: bool) -> None:
    purchase = _subscription_purchase(merchant, obj, txn)
    if purchase is None and txn.purchase_id is None and applied:
        purchase = _one_time_purchase(merchant, obj, customer)
    if purchase is not None:
        attach_purchase(merchant, [txn], purchase)


def _one_time_purchase(merchant, obj: dict, customer: Customer | None) -> Purchase | None:
    """metadata teller_product_id (Teller pk) or product_id (Stripe prod_...) makes a ONE_TIME purchase."""
    metadata = obj.get("metadata") or {}
    if customer is None or obj.get("status") != "succeeded":
        return None
    product = None
    product_id = str(metadata.get("teller_product_id") or "")
    if product_id.isascii() and product_id.isdigit() and len(product_id) <= 18:  # int("²") raises
        product = Product.objects.filter(merchant=merchant, pk=int(metadata["teller_product_id"])).first()
    elif metadata.get("product_id"):
        product = Product.objects.filter(
            merchant=merchant, provider_product_id=metadata["product_id"]
        ).first()
        if product is None:
            product = Product.objects.create(
                merchant=merchant,
                provider_product_id=metadata["product_id"],
                kind=Product.Kind.ONE_TIME,
                name=metadata.get("product_name") or metadata["product_id"],
                amount=obj.get("amount"),
                currency=obj.get("currency", "")[:3],
            )
    if product is None:
        return None
    return Purchase.objects.create(
        merchant=merchant,
        customer=customer,
        product=product,
        kind=Purchase.Kind.ONE_TIME,
        status=Purchase.Status.ACTIVE,
        amount=obj.get("amount"),
        currency=(obj.get("currency") or "")[:3],
        started_at=ts(obj.get("created")),
    )


def _touch_customer_dates(customer: Customer | None, at: datetime) -> None:
    if customer is None:
        return
    updates = {}
    if customer.first_purchase_at is None or at < customer.first_purchase_at:
        updates["first_purchase_at"] = at
    if customer.last_purchase_at is None or at > customer.last_purchase_at:
        updates["last_purchase_at"] = at
    if updates:
        Customer.objects.filter(pk=customer.pk).update(**updates)
        for field, value in updates.items():
            setattr(customer, field, value)


def apply_charge(*, merchant, obj: dict, now: datetime, event=None) -> Transaction:
    """Upsert a CHARGE transaction with method snapshot, identifiers, purchase and refunds."""
    stamp = stamp_of(event, now)
    occurred_at = ts(obj.get("created")) or stamp
    with apply_atomic():
        customer = customer_for(merchant, obj_id(obj.get("customer")))
        identifiers = _charge_identifiers(merchant, obj)
        for identifier in identifiers.values():
            identifier_link(customer, identifier, occurred_at)

        def fill(txn: Transaction, is_new: bool) -> None:
            txn.kind = Transaction.Kind.CHARGE
            txn.customer = customer or txn.customer
            txn.amount = int(obj["amount"])
            txn.currency = (obj.get("currency") or "")[:3]
            txn.occurred_at = occurred_at
            _snapshot(txn, obj.get("payment_method_details") or {})
            txn.identifier = (
                identifiers["method"] or identifiers["email"] or identifiers["customer"] or txn.identifier
            )
            used_blocked = any(i is not None and i.is_blocked for i in identifiers.values())
            txn.blocked_detail_used = txn.blocked_detail_used or used_blocked
            txn.statement_descriptor = (
                obj.get("calculated_statement_descriptor") or obj.get("statement_descriptor") or ""
            )[:64]
            txn.description = obj.get("description") or ""
            txn.failure_code = obj.get("failure_code") or ""
            txn.failure_message = obj.get("failure_message") or ""
            txn.metadata = obj.get("metadata") or {}
            txn.provider_payment_intent_id = (
                shapes.charge_payment_intent_id(obj) or txn.provider_payment_intent_id
            )[:255]
            txn.refunded_amount = min(txn.amount, int(obj.get("amount_refunded") or 0))
            # Stripe keeps `disputed` true after a won dispute; once the dispute itself is known, it decides.
            has_dispute = not is_new and txn.children.filter(kind=Transaction.Kind.CHARGEBACK).exists()
            if obj.get("disputed") and not txn.disputed_amount and not has_dispute:
                txn.disputed_amount = txn.amount
            if is_new:  # nothing can hang under a charge that does not exist yet
                txn.status = T.PENDING  # stays so unless the provider says how it ended
                recompute_charge_status(txn, provider_status=obj.get("status"), disputes=[])
            else:
                txn.refunded_amount = min(txn.amount, max(txn.refunded_amount, _refunded_sum(txn)))
                recompute_charge_status(txn, provider_status=obj.get("status"))

        txn, applied = upsert(
            Transaction,
            merchant=merchant,
            key={"provider_id": obj["id"]},
            stamp=stamp,
            fill=fill,
            event=event,
        )
        # Also when stale: an older charge event may be the first to complete the invoice link. Refunds are
        # their own objects (refund.* events): a charge's `refunds` are not embedded since 2022-11-15.
        _link_purchase(merchant, obj, customer, txn, applied)
        if applied and obj.get("status") == "succeeded":
            _touch_customer_dates(customer, occurred_at)
        link_event(event, customer=txn.customer, purchase=txn.purchase, transactions=[txn])
    return txn


def _parent_charge(merchant, obj: dict, now, event) -> Transaction:
    """The charge a refund or dispute belongs to (applied first when the payload embeds it)."""
    ref = obj.get("charge")
    if isinstance(ref, dict):
        apply_charge(merchant=merchant, obj=ref, now=now, event=event)
    charge_id = shapes.parent_charge_id(obj)
    charge = (
        Transaction.objects.select_for_update().filter(merchant=merchant, provider_id=charge_id).first()
        if charge_id
        else None
    )
    if charge is None:
        raise NotYetKnown(
            "charge", charge_id, f"{obj.get('object')} {obj.get('id')}: charge {charge_id} is not known yet"
        )
    return charge


def _inherit(txn: Transaction, parent: Transaction) -> None:
    """Children show under the same customer and purchase, with the same payment method."""
    txn.parent = parent
    txn.customer = parent.customer
    txn.purchase = parent.purchase
    txn.identifier = parent.identifier
    for field in (
        "method_type",
        "method_brand",
        "method_last4",
        "method_exp_month",
        "method_exp_year",
        "method_country",
        "method_bank_name",
    ):
        setattr(txn, field, getattr(parent, field))


# ---------------------------------------------------------------------------------------------- refunds
def apply_refund(*, merchant, obj: dict, now: datetime, event=None) -> Transaction:
    """Upsert a REFUND under its charge; the charge's refunded amount is recomputed from its refunds."""
    stamp = stamp_of(event, now)
    with apply_atomic():
        charge = _parent_charge(merchant, obj, now, event)

        def fill(txn: Transaction, is_new: bool) -> None:
            _inherit(txn, charge)
            txn.kind = Transaction.Kind.REFUND
            txn.status = REFUND_STATUS_MAP.get(obj.get("status") or "", T.PENDING)
            txn.amount = int(obj["amount"])
            txn.currency = (obj.get("currency") or charge.currency)[:3]
            txn.reason = obj.get("reason") or ""
            txn.failure_code = obj.get("failure_reason") or ""
            txn.metadata = obj.get("metadata") or {}
            txn.occurred_at = ts(obj.get("created")) or stamp

        refund, _ = upsert(
            Transaction,
            merchant=merchant,
            key={"provider_id": obj["id"]},
            stamp=stamp,
            fill=fill,
            event=event,
        )
        charge.refunded_amount = min(charge.amount, _refunded_sum(charge))
        recompute_charge_status(charge)
        charge.save(update_fields=["refunded_amount", "status", "updated_at"])
        link_event(event, customer=charge.customer, purchase=charge.purchase, transactions=[refund, charge])
    return refund
