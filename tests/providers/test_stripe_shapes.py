"""payments.stripe_shapes reads today's fields first and the removed ones only as a fallback."""

from datetime import UTC, datetime

import pytest

from payments import stripe_shapes as shapes
from providers.apply import apply_object
from tests import stripe_shapes as sp

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_an_invoice_names_its_subscription_under_parent_before_the_removed_top_level_field():
    invoice = sp.invoice("sub_NEW", id="in_1")
    assert "subscription" not in invoice

    assert shapes.invoice_subscription_id(invoice) == "sub_NEW"
    assert shapes.invoice_subscription_id({**invoice, "subscription": "sub_OLD"}) == "sub_NEW"
    legacy = {"id": "in_2", "object": "invoice", "subscription": "sub_OLD", "parent": None, "lines": {}}
    assert shapes.invoice_subscription_id(legacy) == "sub_OLD"


def test_an_invoice_without_parent_finds_the_subscription_on_its_lines():
    invoice = sp.invoice("sub_LINE", id="in_3")
    invoice["parent"] = None

    assert shapes.invoice_subscription_id(invoice) == "sub_LINE"


def test_an_invoice_payment_names_a_payment_intent_or_a_charge():
    by_intent = sp.invoice_payment("in_1", payment_intent="pi_1")
    by_charge = sp.invoice_payment("in_2", charge="ch_2")

    assert by_intent["payment"]["type"] == "payment_intent"
    assert shapes.invoice_payment_refs(by_intent) == ("in_1", "pi_1", None)
    assert by_charge["payment"]["type"] == "charge"
    assert shapes.invoice_payment_refs(by_charge) == ("in_2", None, "ch_2")


def test_the_period_comes_from_the_items_and_with_flexible_billing_from_the_purchases_item():
    main = sp.price(id="price_MAIN", product="prod_MAIN")
    addon = sp.price(id="price_ADDON", product="prod_ADDON")
    sub = sp.subscription(id="sub_F", price_obj=main, period=(100, 200))
    sp.add_item(sub, price_obj=addon, period=(150, 900))
    assert "current_period_end" not in sub

    assert shapes.subscription_period(sub, price_id="price_MAIN") == (100, 200)
    assert shapes.subscription_period(sub, product_id="prod_ADDON") == (150, 900)
    assert shapes.subscription_period(sub) == (150, 900)  # no match: the item ending last
    legacy = {"items": {"data": []}, "current_period_start": 1, "current_period_end": 2}
    assert shapes.subscription_period(legacy) == (1, 2)


@pytest.mark.django_db
def test_a_flexible_billing_purchase_shows_the_period_of_its_own_item(merchant):
    main = sp.price(id="price_MAIN", product="prod_MAIN")
    sub = sp.subscription(
        id="sub_FX", customer="cus_FX", price_obj=main, period=(1_760_000_000, 1_762_592_000)
    )
    sp.add_item(
        sub, price_obj=sp.price(id="price_X", product="prod_X"), period=(1_760_000_000, 1_791_536_000)
    )

    purchase = apply_object(merchant=merchant, obj=sub, now=NOW)

    assert purchase.product.provider_product_id == "prod_MAIN"
    assert purchase.current_period_end_at == datetime.fromtimestamp(1_762_592_000, tz=UTC)


def test_no_builder_carries_a_field_stripe_removed():
    built = {
        "invoice": sp.invoice("sub_1"),
        "charge": sp.charge(),
        "subscription": sp.subscription(),
    }

    for kind, obj in built.items():
        assert not set(sp.REMOVED_FIELDS[kind]) & set(obj), kind
    assert sp.obj("dispute")["evidence_details"]["due_by"]
    assert sp.sepa_charge()["payment_method_details"]["type"] == "sepa_debit"
