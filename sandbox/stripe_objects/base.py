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
