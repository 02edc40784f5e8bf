"""providers.apply maps each Stripe object onto Teller rows, keyed by provider id, guarded by event time."""

from datetime import UTC, datetime

import pytest

from customers.models import Customer, Identifier, PaymentMethod
from providers.apply import apply_object
from providers.apply.common import NotYetKnown
from purchases.models import Purchase
from transactions.models import Transaction

from . import stripe_payloads as sp

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_customer_becomes_a_customer_with_id_and_email_identifiers(merchant):
    payload = sp.customer(id="cus_A", email="Jenny+shop@Example.com", name="Jenny")

    customer = apply_object(merchant=merchant, obj=payload, now=NOW)

    assert (customer.name, customer.email, customer.country) == ("Jenny", "Jenny+shop@Example.com", "DE")
    kinds = dict(customer.identifiers.values_list("kind", "value"))
    assert kinds == {"CUSTOMER_ID": "cus_A", "EMAIL": "jenny@example.com"}
    assert merchant.provider in customer.providers_used


def test_a_card_payment_method_gets_a_card_identifier_with_a_safe_display(merchant):
    payload = sp.card_pm(id="pm_A", customer="cus_A")

    pm = apply_object(merchant=merchant, obj=payload, now=NOW)

    assert pm.customer.provider_customer_id == "cus_A"
    assert pm.identifier.kind == Identifier.Kind.CARD
    assert pm.identifier.display == "Visa •••• 4242, 04/28"
    assert pm.identifier.customers.get() == pm.customer


def test_a_sepa_payment_method_gets_a_bank_account_identifier(merchant):
    pm = apply_object(merchant=merchant, obj=sp.sepa_pm(id="pm_S", customer="cus_A"), now=NOW)

    assert pm.identifier.kind == Identifier.Kind.BANK_ACCOUNT
    assert pm.identifier.last4 == "3000"


def test_a_subscription_becomes_a_purchase_with_its_period(merchant):
    payload = sp.subscription(id="sub_A", customer="cus_A", cancel_at_period_end=True)

    purchase = apply_object(merchant=merchant, obj=payload, now=NOW)

    assert purchase.kind == Purchase.Kind.SUBSCRIPTION
    assert purchase.status == Purchase.Status.ACTIVE
    assert purchase.cancel_at_period_end is True
    assert purchase.current_period_end_at == datetime.fromtimestamp(1_702_592_000, tz=UTC)
    assert purchase.product.provider_product_id == "prod_QXg1hqf4jFNsqG"


def test_a_trialing_subscription_makes_its_customer_a_customer_since_it_started(merchant):
    apply_object(merchant=merchant, obj=sp.customer(id="cus_T", email="trial@example.com"), now=NOW)

    purchase = apply_object(
        merchant=merchant, obj=sp.subscription(id="sub_T", customer="cus_T", status="trialing"), now=NOW
    )

    customer = Customer.objects.get(provider_customer_id="cus_T")
    assert purchase.status == Purchase.Status.TRIALING and purchase.started_at is not None
    assert customer.first_purchase_at == purchase.started_at


def test_an_incomplete_subscription_does_not_make_a_customer(merchant):
    apply_object(merchant=merchant, obj=sp.customer(id="cus_I", email="inc@example.com"), now=NOW)

    apply_object(
        merchant=merchant, obj=sp.subscription(id="sub_I", customer="cus_I", status="incomplete"), now=NOW
    )

    assert Customer.objects.get(provider_customer_id="cus_I").first_purchase_at is None


def test_a_charge_becomes_a_transaction_with_snapshot_and_identifiers(merchant):
    apply_object(merchant=merchant, obj=sp.customer(id="cus_A"), now=NOW)

    txn = apply_object(merchant=merchant, obj=sp.charge(id="ch_A", customer="cus_A", amount=1500), now=NOW)

    assert (txn.kind, txn.status, txn.amount, txn.currency) == ("CHARGE", "SUCCEEDED", 1500, "eur")
    assert (txn.method_type, txn.method_brand, txn.method_last4) == ("card", "visa", "4242")
    assert txn.identifier.kind == Identifier.Kind.CARD
    customer = Customer.objects.get(provider_customer_id="cus_A")
    assert customer.first_purchase_at == txn.occurred_at
    assert set(customer.identifiers.values_list("kind", flat=True)) == {"CUSTOMER_ID", "EMAIL", "CARD"}


def test_a_charge_with_a_blocked_card_is_flagged(merchant):
    Identifier.objects.create(merchant=merchant, kind="CARD", value="AOB934RVNwzk6xtn", is_blocked=True)

    txn = apply_object(merchant=merchant, obj=sp.charge(customer="cus_A"), now=NOW)

    assert txn.blocked_detail_used is True


def test_refunds_recompute_the_charge_from_the_sum_of_refunds(merchant):
    apply_object(merchant=merchant, obj=sp.charge(id="ch_R", amount=1000), now=NOW)

    apply_object(merchant=merchant, obj=sp.refund("ch_R", 300, id="re_1"), now=NOW)
    apply_object(merchant=merchant, obj=sp.refund("ch_R", 300, id="re_1"), now=NOW)  # same refund again
    charge = Transaction.objects.get(provider_id="ch_R")
    assert (charge.refunded_amount, charge.status) == (300, "PARTIALLY_REFUNDED")

    apply_object(merchant=merchant, obj=sp.refund("ch_R", 700, id="re_2"), now=NOW)
    charge.refresh_from_db()
    assert (charge.refunded_amount, charge.status) == (1000, "REFUNDED")
    assert charge.children.filter(kind="REFUND").count() == 2


def test_a_failed_refund_gives_the_amount_back(merchant):
    apply_object(merchant=merchant, obj=sp.charge(id="ch_F", amount=1000), now=NOW)
    apply_object(merchant=merchant, obj=sp.refund("ch_F", 1000, id="re_F", status="pending"), now=NOW)

    apply_object(merchant=merchant, obj=sp.refund("ch_F", 1000, id="re_F", status="failed"), now=NOW)

    charge = Transaction.objects.get(provider_id="ch_F")
    assert (charge.refunded_amount, charge.status) == (0, "SUCCEEDED")


def test_a_refund_before_its_charge_waits_for_it(merchant):
    with pytest.raises(NotYetKnown):
        apply_object(merchant=merchant, obj=sp.refund("ch_missing", 100), now=NOW)

    assert not Transaction.objects.exists()


@pytest.mark.parametrize(
    ("dispute_status", "chargeback_status", "charge_status"),
    [
        ("warning_needs_response", "WARNING", "DISPUTED"),
        ("needs_response", "NEEDS_RESPONSE", "DISPUTED"),
        ("under_review", "UNDER_REVIEW", "DISPUTED"),
        ("won", "WON", "SUCCEEDED"),
        ("lost", "LOST", "CHARGED_BACK"),
    ],
)
def test_a_dispute_creates_a_chargeback_and_marks_the_charge(
    merchant, dispute_status, chargeback_status, charge_status
):
    apply_object(merchant=merchant, obj=sp.charge(id="ch_D", amount=1000), now=NOW)

    cb = apply_object(merchant=merchant, obj=sp.dispute("ch_D", 1000, status=dispute_status), now=NOW)

    charge = Transaction.objects.get(provider_id="ch_D")
    assert (cb.kind, cb.status, cb.parent_id) == ("CHARGEBACK", chargeback_status, charge.pk)
    assert charge.status == charge_status


def test_a_dispute_fee_and_reinstatement_become_their_own_transactions(merchant):
    apply_object(merchant=merchant, obj=sp.charge(id="ch_E", amount=1000), now=NOW)
    bts = [
        {"id": "txn_w", "amount": -1000, "fee": 1500, "currency": "eur", "created": 1_700_000_400},
        {"id": "txn_r", "amount": 1000, "fee": 0, "currency": "eur", "created": 1_700_000_500},
    ]

    cb = apply_object(
        merchant=merchant, obj=sp.dispute("ch_E", 1000, status="won", balance_transactions=bts), now=NOW
    )

    kinds = dict(cb.children.values_list("kind", "amount"))
    assert kinds == {"FEE": 1500, "CHARGEBACK_REVERSAL": 1000}
    assert cb.metadata["funds_withdrawn"] and cb.metadata["funds_reinstated"]


def test_a_sepa_charge_snapshots_the_bank_account(merchant):
    txn = apply_object(merchant=merchant, obj=sp.sepa_charge(customer="cus_A"), now=NOW)

    assert (txn.method_type, txn.method_last4, txn.is_wire) == ("sepa_debit", "3000", True)
    assert txn.identifier.kind == Identifier.Kind.BANK_ACCOUNT


def test_a_detached_payment_method_keeps_its_customer(merchant, django_capture_on_commit_callbacks):
    from tests.factories import ProviderEventFactory

    apply_object(merchant=merchant, obj=sp.card_pm(id="pm_D", customer="cus_A"), now=NOW)
    event = ProviderEventFactory(merchant=merchant, type="payment_method.detached", provider_created_at=NOW)

    apply_object(merchant=merchant, obj=sp.card_pm(id="pm_D", customer=None), now=NOW, event=event)

    pm = PaymentMethod.objects.get(provider_id="pm_D")
    assert pm.detached_at == NOW and pm.customer.provider_customer_id == "cus_A"


def test_a_charge_update_after_a_won_dispute_leaves_the_charge_undisputed(merchant):
    apply_object(merchant=merchant, obj=sp.charge(id="ch_W", amount=1000), now=NOW)
    apply_object(merchant=merchant, obj=sp.dispute("ch_W", 1000, status="won"), now=NOW)

    apply_object(merchant=merchant, obj=sp.charge(id="ch_W", amount=1000, disputed=True), now=NOW)

    charge = Transaction.objects.get(provider_id="ch_W")
    assert (charge.status, charge.disputed_amount) == ("SUCCEEDED", 0)


def test_a_one_time_purchase_is_created_from_charge_metadata(merchant):
    metadata = {"product_id": "prod_OT", "product_name": "E-book"}
    payload = sp.charge(id="ch_OT", customer="cus_OT", metadata=metadata)

    txn = apply_object(merchant=merchant, obj=payload, now=NOW)

    assert (txn.purchase.kind, txn.purchase.product.name) == ("ONE_TIME", "E-book")


def test_an_invoice_links_its_charge_to_the_subscription(merchant):
    from tests.factories import ProviderEventFactory

    subscription = sp.subscription(id="sub_I", customer="cus_I", status="past_due")
    purchase = apply_object(merchant=merchant, obj=subscription, now=NOW)
    apply_object(
        merchant=merchant, obj=sp.charge(id="ch_I", customer="cus_I", payment_intent="pi_I"), now=NOW
    )
    # Today's shapes: the invoice names its subscription under parent, its payment is an invoice_payment.
    apply_object(merchant=merchant, obj=sp.invoice_payment("in_I", payment_intent="pi_I"), now=NOW)
    invoice = sp.invoice("sub_I", id="in_I", customer="cus_I")
    assert "charge" not in invoice and "subscription" not in invoice
    event = ProviderEventFactory(merchant=merchant, type="invoice.paid", provider_created_at=NOW)

    apply_object(merchant=merchant, obj=invoice, now=NOW, event=event)

    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.ACTIVE
    assert Transaction.objects.get(provider_id="ch_I").purchase == purchase
    assert set(event.transactions.values_list("provider_id", flat=True)) == {"ch_I"}


def test_the_migration_gives_existing_trialing_customers_their_customer_since(merchant):
    import importlib

    from django.apps import apps

    from tests import factories

    migration = importlib.import_module("customers.migrations.0004_customer_since_from_subscriptions")
    trialing = factories.PurchaseFactory(
        customer__merchant=merchant, customer__first_purchase_at=None, trialing=True
    )
    incomplete = factories.PurchaseFactory(
        customer__merchant=merchant, customer__first_purchase_at=None, status=Purchase.Status.INCOMPLETE
    )
    paying = factories.PurchaseFactory(customer__merchant=merchant)
    paid_since = paying.customer.first_purchase_at

    migration.forwards(apps, None)

    for purchase in (trialing, incomplete, paying):
        purchase.customer.refresh_from_db()
    assert trialing.customer.first_purchase_at == trialing.started_at
    assert incomplete.customer.first_purchase_at is None
    assert paying.customer.first_purchase_at == paid_since
