"""The one place that knows where Stripe keeps things today (API 2026-10-28 and every version since
2025-03-31).

Since 2025-03-31 ("basil") an invoice has no `charge`, `payment_intent`, `paid` or top-level `subscription`:
its subscription is `parent.subscription_details.subscription` and its payments are `invoice_payment`
objects (`payment.payment_intent`, or `payment.charge` for a charge without a payment intent). A charge has
no `invoice`; a subscription's period lives on its items (with flexible billing, items may differ); since
2022-11-15 a charge's `refunds` are not embedded. The apply path reads Stripe payloads only through these
readers. The removed fields are read only as a fallback, after the current ones, for events stored under an
older API version.

Plain functions on dicts, no Django: the apply step, the sandbox and sync share them.
"""


def ref_id(value) -> str | None:
    """A reference that is either an id string or an expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def _data(listing) -> list:
    return (listing or {}).get("data") or [] if isinstance(listing, dict) else []


# --- invoices --------------------------------------------------------------------------------------------
def invoice_subscription_id(invoice: dict) -> str | None:
    """parent.subscription_details.subscription, else a subscription line's parent, else the old top level."""
    parent = invoice.get("parent") or {}
    sub = ref_id((parent.get("subscription_details") or {}).get("subscription"))
    if sub:
        return sub
    for line in _data(invoice.get("lines")):
        details = (line.get("parent") or {}).get("subscription_item_details") or {}
        sub = ref_id(details.get("subscription"))
        if sub:
            return sub
    legacy = ref_id(invoice.get("subscription"))  # removed in 2025-03-31
    if legacy:
        return legacy
    for line in _data(invoice.get("lines")):  # lines of versions before 2025-03-31
        sub = ref_id(line.get("subscription"))
        if sub and sub.startswith("sub_"):
            return sub
    return None


def invoice_is_paid(invoice: dict, event_type: str = "") -> bool:
    """status "paid" (the removed boolean `paid` is the fallback)."""
    if event_type in ("invoice.paid", "invoice.payment_succeeded"):
        return True
    return invoice.get("status") == "paid" or invoice.get("paid") is True


def invoice_embedded_payments(invoice: dict) -> list[dict]:
    """The invoice_payment objects of an invoice fetched with `expand=["payments"]` (not sent in events)."""
    return [p for p in _data(invoice.get("payments")) if isinstance(p, dict)]


def invoice_legacy_payment_refs(invoice: dict) -> tuple[str | None, str | None]:
    """(payment_intent, charge) from the fields removed in 2025-03-31, for events of older versions."""
    return ref_id(invoice.get("payment_intent")), ref_id(invoice.get("charge"))


def invoice_latest_line_end(invoice: dict) -> int | None:
    ends = [(line.get("period") or {}).get("end") for line in _data(invoice.get("lines"))]
    ends = [e for e in ends if e]
    return max(ends) if ends else None


# --- invoice payments --------------------------------------------------------------------------------------
def invoice_payment_refs(invoice_payment: dict) -> tuple[str | None, str | None, str | None]:
    """(invoice id, payment_intent id, charge id) of an invoice_payment object.

    `payment.type` is "payment_intent" (with `payment.payment_intent`) or "charge" (with `payment.charge`)."""
    payment = invoice_payment.get("payment") or {}
    payment_intent = ref_id(payment.get("payment_intent"))
    charge = ref_id(payment.get("charge"))
    if isinstance(payment.get("payment_intent"), dict) and not charge:
        charge = ref_id(payment["payment_intent"].get("latest_charge"))
    return ref_id(invoice_payment.get("invoice")), payment_intent, charge


def invoice_payment_is_paid(invoice_payment: dict) -> bool:
    return invoice_payment.get("status") == "paid"


# --- charges ------------------------------------------------------------------------------------------------
def charge_payment_intent_id(charge: dict) -> str | None:
    return ref_id(charge.get("payment_intent"))


def charge_legacy_invoice(charge: dict) -> dict | None:
    """The expanded `invoice` of a charge of a version before 2025-03-31 (removed since): fallback only."""
    invoice = charge.get("invoice")
    return invoice if isinstance(invoice, dict) else None


def charge_metadata_subscription_id(charge: dict) -> str | None:
    """Teller's own sandbox history (and some integrations) name the subscription in the charge metadata."""
    return (charge.get("metadata") or {}).get("subscription_id") or None


def parent_charge_id(child: dict) -> str | None:
    """The charge a refund or dispute belongs to (an id, or an expanded charge)."""
    return ref_id(child.get("charge"))


def dispute_due_by(dispute: dict) -> int | None:
    return (dispute.get("evidence_details") or {}).get("due_by")


def dispute_evidence_state(dispute: dict) -> dict:
    """evidence_details (due_by as an epoch or None, has_evidence, past_due, submission_count) and the
    dispute's is_charge_refundable, with Stripe's defaults for a payload that lacks them."""
    details = dispute.get("evidence_details") or {}
    due_by = details.get("due_by")
    return {
        "due_by": int(due_by) if isinstance(due_by, int | float) and not isinstance(due_by, bool) else None,
        "has_evidence": bool(details.get("has_evidence")),
        "past_due": bool(details.get("past_due")),
        "submission_count": max(0, int(details.get("submission_count") or 0)),
        "is_charge_refundable": bool(dispute.get("is_charge_refundable")),
    }


def dispute_evidence(dispute: dict) -> dict:
    """The evidence fields that hold something: text as given, files as their file id."""
    evidence = dispute.get("evidence") or {}
    if not isinstance(evidence, dict):
        return {}
    out = {}
    for name, value in evidence.items():
        if name == "enhanced_evidence" or value in (None, ""):
            continue
        out[name] = ref_id(value) if isinstance(value, dict) else value
    return out


# The evidence Stripe's dispute update accepts (`evidence[...]`): free text, and files (the id of an upload
# with purpose dispute_evidence).
DISPUTE_EVIDENCE_TEXT_FIELDS = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_tracking_number",
    "uncategorized_text",
)
DISPUTE_EVIDENCE_FILE_FIELDS = (
    "cancellation_policy",
    "customer_communication",
    "customer_signature",
    "duplicate_charge_documentation",
    "receipt",
    "refund_policy",
    "service_documentation",
    "shipping_documentation",
    "uncategorized_file",
)
DISPUTE_EVIDENCE_TEXT_MAX = 20_000  # Stripe: the text fields together hold at most 150,000 characters


def dispute_status(dispute: dict) -> str:
    return dispute.get("status") or ""


# --- subscriptions ------------------------------------------------------------------------------------------
def subscription_items(sub: dict) -> list[dict]:
    return _data(sub.get("items"))


def item_price(item: dict) -> dict:
    """The item's price (the legacy `plan` as fallback)."""
    return item.get("price") or item.get("plan") or {}


def subscription_main_item(sub: dict) -> dict:
    items = subscription_items(sub)
    return items[0] if items else {}


def subscription_period(
    sub: dict, *, price_id: str | None = None, product_id: str | None = None
) -> tuple[int | None, int | None]:
    """(current_period_start, current_period_end) of a subscription, as unix seconds.

    From the items (2025-03-31 on). With flexible billing items may have different periods: the item of the
    purchase's price, else of its product, else the one ending last. The old top-level fields are the
    fallback."""
    items = [i for i in subscription_items(sub) if i.get("current_period_end")]
    chosen = None
    if price_id:
        chosen = next((i for i in items if item_price(i).get("id") == price_id), None)
    if chosen is None and product_id:
        chosen = next((i for i in items if ref_id(item_price(i).get("product")) == product_id), None)
    if chosen is None and items:
        chosen = max(items, key=lambda i: i["current_period_end"])
    if chosen is not None:
        return chosen.get("current_period_start"), chosen.get("current_period_end")
    return sub.get("current_period_start"), sub.get("current_period_end")
