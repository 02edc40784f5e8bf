"""`manage.py seed_demo` builds the demo book of business through the sandbox pipeline, idempotently."""

from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from access.models import TelegramAccount, TelegramChat
from customers.models import Customer, Identifier
from merchants.models import Membership, User
from providers.models import ProviderEvent
from purchases.models import Purchase
from transactions.models import Transaction

# Real commits: the sandbox's events are applied right after each commit, as in `manage.py seed_demo`.
pytestmark = pytest.mark.django_db(transaction=True)

PROJECT_APPS = (
    "merchants",
    "customers",
    "purchases",
    "transactions",
    "refunds",
    "providers",
    "access",
    "audit",
)


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
    }


def test_seed_demo_creates_the_demo_book_through_the_pipeline_and_a_second_run_adds_nothing(settings):
    settings.TELLER_PUBLIC_URL = "http://127.0.0.1:8000"
    out = StringIO()

    call_command("seed_demo", stdout=out)
    counts = _row_counts()
    call_command("seed_demo", stdout=StringIO())

    assert _row_counts() == counts
    _assert_staff_and_merchants(out.getvalue())
    _assert_customers_came_through_the_pipeline()
    _assert_every_kind_of_purchase()
    _assert_every_kind_of_payment()
    _assert_customers_with_several_kinds_of_purchase()


def test_the_banner_prints_the_public_url_it_serves_on(settings):
    settings.TELLER_PUBLIC_URL = "http://192.0.2.10:8123"
    out = StringIO()

    call_command("seed_demo", "--customers", "2", stdout=out)

    assert "http://192.0.2.10:8123/" in out.getvalue() and ":8000" not in out.getvalue()


def _assert_customers_with_several_kinds_of_purchase() -> None:
    kinds = (
        Purchase.objects.filter(merchant__slug="northwind")
        .values("customer")
        .annotate(n=Count("kind", distinct=True))
        .filter(n=3)
    )
    assert kinds.count() >= 10
    one = Customer.objects.get(pk=kinds[0]["customer"])
    assert set(one.purchases.values_list("kind", flat=True)) == {"SUBSCRIPTION", "ONE_TIME", "ACCESS_CODE"}


def _assert_staff_and_merchants(output: str) -> None:
    for email in ("owner@demo.teller", "manager@demo.teller", "support@demo.teller", "admin@demo.teller"):
        assert User.objects.get(email=email).check_password("teller-demo-2026")
        assert email in output
    assert "teller-demo-2026" in output and "http://127.0.0.1:8000/" in output
    assert User.objects.get(email="admin@demo.teller").is_superuser
    owner_merchants = set(
        Membership.objects.filter(user__email="owner@demo.teller").values_list("merchant__slug", flat=True)
    )
    assert owner_merchants == {"northwind", "seaside"}
    assert TelegramChat.objects.filter(merchant__slug="northwind", products__isnull=False).exists()
    assert TelegramAccount.objects.filter(merchant__slug="northwind").count() >= 40


def _assert_customers_came_through_the_pipeline() -> None:
    customers = Customer.objects.filter(merchant__slug="northwind")
    assert customers.count() >= 200
    assert Customer.objects.filter(merchant__slug="seaside").exists()
    events = ProviderEvent.objects.all()
    assert not events.exclude(status__in=["PROCESSED", "IGNORED"]).exists()
    created = set(events.filter(type="customer.created").values_list("object_id", flat=True))
    assert set(customers.values_list("provider_customer_id", flat=True)) <= created
    oldest = customers.exclude(first_purchase_at=None).order_by("first_purchase_at").first().first_purchase_at
    assert oldest < timezone.now() - timedelta(days=365)
    shared = Identifier.objects.filter(kind="CARD").annotate(n=Count("customers")).filter(n__gte=2)
    assert shared.exists()


def _assert_every_kind_of_purchase() -> None:
    purchases = Purchase.objects.filter(merchant__slug="northwind")
    statuses = set(purchases.filter(kind="SUBSCRIPTION").values_list("status", flat=True))
    assert {"TRIALING", "ACTIVE", "PAST_DUE", "UNPAID", "CANCELED"} <= statuses
    assert purchases.filter(
        kind="SUBSCRIPTION", cancel_at_period_end=True, status__in=Purchase.LIVE_STATUSES
    ).exists()
    assert set(purchases.values_list("kind", flat=True)) == {"SUBSCRIPTION", "ONE_TIME", "ACCESS_CODE"}
    assert purchases.filter(kind="ACCESS_CODE", access_code__redeemed_at__isnull=False).exists()
    # Linked only through invoice_payment + invoice.parent (no subscription id anywhere on the charge). A
    # failed attempt has no invoice_payment.paid, so Stripe's events do not tie it to its subscription.
    subscription_charges = Transaction.objects.filter(
        merchant__slug="northwind", kind="CHARGE", description__startswith="Subscription"
    ).exclude(status="FAILED")
    assert subscription_charges.count() > 100
    assert not subscription_charges.filter(purchase__isnull=True).exists()
    assert not subscription_charges.exclude(purchase__kind="SUBSCRIPTION").exists()
    assert not any("subscription_id" in (t.metadata or {}) for t in subscription_charges)


def _assert_every_kind_of_payment() -> None:
    txns = Transaction.objects.filter(merchant__slug="northwind")
    charges = txns.filter(kind="CHARGE")
    assert {"eur", "usd", "gbp", "jpy"} <= set(charges.values_list("currency", flat=True))
    assert {"card", "sepa_debit"} <= set(charges.values_list("method_type", flat=True))
    assert {"SUCCEEDED", "FAILED", "REFUNDED", "PARTIALLY_REFUNDED", "DISPUTED", "CHARGED_BACK"} <= set(
        charges.values_list("status", flat=True)
    )
    assert txns.filter(kind="REFUND").count() >= 20
    chargebacks = set(txns.filter(kind="CHARGEBACK").values_list("status", flat=True))
    assert {"WON", "LOST"} <= chargebacks and chargebacks & set(Transaction.OPEN_DISPUTE_STATUSES)
