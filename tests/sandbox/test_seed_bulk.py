"""manage.py seed_bulk on a small size: row counts, the whale shape, and re-runs that add rows without
duplicating the merchant, its owner or the products. Runs on SQLite (bulk_create) and PostgreSQL (COPY on a
thread with its own connection, hence a transactional test)."""

import pytest
from django.core.management import call_command
from django.db.models import Count, F

from customers.models import Customer, CustomerIdentifier
from merchants.models import Membership, Merchant, User
from purchases.models import Product, Purchase
from sandbox.management.commands import seed_bulk
from transactions.models import Transaction

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def small_whales(monkeypatch):
    # Real whales have 10,000 transactions; a test needs the shape, not the size.
    monkeypatch.setattr(seed_bulk, "WHALE_TRANSACTIONS", 200)
    monkeypatch.setattr(seed_bulk, "WHALE_PURCHASES", 6)


def load(customers=40, per_customer=4, whales=1):
    call_command(
        "seed_bulk",
        customers=customers,
        transactions_per_customer=per_customer,
        whales=whales,
        merchant="bulk-test",
        verbosity=0,
    )
    return Merchant.objects.get(slug="bulk-test")


def test_it_loads_the_requested_customers_each_with_a_purchase_and_transactions():
    merchant = load()

    customers = Customer.objects.filter(merchant=merchant)
    assert customers.count() == 40
    assert not customers.annotate(n=Count("transactions")).filter(n=0).exists()
    assert Purchase.objects.filter(merchant=merchant).count() == 39 + 6
    # Every transaction belongs to one of its customer's own purchases.
    assert (
        not Transaction.objects.filter(merchant=merchant).exclude(purchase__customer=F("customer")).exists()
    )


def test_the_whale_has_thousands_of_transactions_and_most_customers_a_handful():
    merchant = load()

    counts = sorted(
        Customer.objects.filter(merchant=merchant)
        .annotate(n=Count("transactions"))
        .values_list("n", flat=True),
        reverse=True,
    )
    assert counts[0] == 200
    assert max(counts[1:]) < 200
    whale = (
        Customer.objects.filter(merchant=merchant).annotate(n=Count("transactions")).order_by("-n").first()
    )
    assert whale.purchases.count() == 6
    assert CustomerIdentifier.objects.filter(customer=whale).count() == 3


def test_running_it_again_adds_customers_but_reuses_the_merchant_owner_and_products():
    load(customers=10, whales=0)
    merchant = load(customers=10, whales=0)

    assert Merchant.objects.filter(slug="bulk-test").count() == 1
    assert User.objects.filter(email="owner@bulk-test.teller.local").count() == 1
    assert Membership.objects.filter(merchant=merchant).count() == 1
    assert Product.objects.filter(merchant=merchant).count() == 5
    assert Customer.objects.filter(merchant=merchant).count() == 20
    assert Customer.objects.filter(merchant=merchant).values("public_id").distinct().count() == 20


def test_sizes_below_one_are_refused():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("seed_bulk", customers=0, verbosity=0)
