"""Access codes: generate, delete, redeem, list states, expiry."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit.models import AuditEvent
from purchases.models import AccessCode, Purchase
from purchases.selectors import access_code_list
from purchases.services import (
    AccessCodeError,
    access_code_delete,
    access_code_redeem,
    access_codes_generate,
    access_expiry,
    purchase_cancel,
    purchases_expire,
)
from purchases.tasks import expire_access
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(merchant):
    return factories.ProductFactory(merchant=merchant, allows_access_codes=True, one_time=True)


def _generate(merchant, products, *, quantity=1, duration="LIFETIME", count=None, actor=None):
    return access_codes_generate(
        actor=actor,
        now=timezone.now(),
        merchant=merchant,
        products=products,
        quantity=quantity,
        duration=duration,
        duration_count=count,
    )


@pytest.mark.parametrize("quantity", [1, 5, 10])
def test_a_batch_of_1_5_or_10_codes_is_generated(merchant, product, owner, quantity):
    batch = _generate(merchant, [product], quantity=quantity, actor=owner)

    codes = AccessCode.objects.filter(batch=batch.batch)
    assert codes.count() == quantity
    assert all(list(code.products.all()) == [product] for code in codes)
    assert len({code.code for code in codes}) == quantity
    assert AuditEvent.objects.get(action="access_code.generate").data["quantity"] == quantity


@pytest.mark.parametrize("quantity", [0, 3, 11])
def test_other_batch_sizes_are_refused(merchant, product, quantity):
    with pytest.raises(AccessCodeError, match="1, 5 or 10"):
        _generate(merchant, [product], quantity=quantity)


def test_a_product_that_does_not_allow_codes_is_refused(merchant):
    plain = factories.ProductFactory(merchant=merchant)

    with pytest.raises(AccessCodeError, match="allow access codes"):
        _generate(merchant, [plain])


def test_a_timed_duration_needs_a_count(merchant, product):
    with pytest.raises(AccessCodeError, match="how many"):
        _generate(merchant, [product], duration="DAYS")


@pytest.mark.parametrize(
    ("duration", "count", "expected"),
    [
        ("LIFETIME", None, None),
        ("DAYS", 30, datetime(2026, 2, 28, 12, tzinfo=UTC)),
        ("MONTHS", 1, datetime(2026, 2, 28, 12, tzinfo=UTC)),
        ("YEARS", 2, datetime(2028, 1, 29, 12, tzinfo=UTC)),
    ],
)
def test_access_expiry_follows_the_duration(duration, count, expected):
    start = datetime(2026, 1, 29, 12, tzinfo=UTC)

    assert access_expiry(duration=duration, count=count, start=start) == expected


def test_redeeming_creates_access_code_purchases_for_the_buyer(merchant, product):
    second = factories.ProductFactory(merchant=merchant, allows_access_codes=True)
    code = _generate(merchant, [product, second], duration="MONTHS", count=3).codes[0]
    customer = factories.CustomerFactory(merchant=merchant, providers_used=["STRIPE"], used_access_code=False)
    now = timezone.now()

    purchases = access_code_redeem(code=code.code.lower(), customer=customer, now=now)

    code.refresh_from_db()
    customer.refresh_from_db()
    assert {p.product for p in purchases} == {product, second}
    assert all(p.kind == Purchase.Kind.ACCESS_CODE and p.status == Purchase.Status.ACTIVE for p in purchases)
    assert all(
        p.access_code == code and p.access_expires_at.month == (now.month + 2) % 12 + 1 for p in purchases
    )
    assert (code.redeemed_by, code.redeemed_at) == (customer, now)
    assert customer.used_access_code is True
    assert customer.providers_used == ["STRIPE", "ACCESS_CODE"]


def test_a_code_redeems_only_once(merchant, product):
    code = _generate(merchant, [product]).codes[0]
    access_code_redeem(
        code=code.code, customer=factories.CustomerFactory(merchant=merchant), now=timezone.now()
    )

    with pytest.raises(AccessCodeError, match="already been redeemed"):
        access_code_redeem(
            code=code.code, customer=factories.CustomerFactory(merchant=merchant), now=timezone.now()
        )


def test_another_merchants_code_is_unknown(merchant, other_merchant, product):
    code = _generate(merchant, [product]).codes[0]

    with pytest.raises(AccessCodeError, match="Unknown"):
        access_code_redeem(
            code=code.code, customer=factories.CustomerFactory(merchant=other_merchant), now=timezone.now()
        )


def test_an_unused_code_can_be_deleted(merchant, product, owner):
    code = _generate(merchant, [product]).codes[0]

    access_code_delete(actor=owner, now=timezone.now(), code=code)

    assert not AccessCode.objects.filter(pk=code.pk).exists()
    assert AuditEvent.objects.get(action="access_code.delete").data["code"] == code.code


def test_a_redeemed_code_cannot_be_deleted(merchant, product, owner):
    code = _generate(merchant, [product]).codes[0]
    access_code_redeem(
        code=code.code, customer=factories.CustomerFactory(merchant=merchant), now=timezone.now()
    )

    with pytest.raises(AccessCodeError, match="cannot be deleted"):
        access_code_delete(actor=owner, now=timezone.now(), code=code)

    assert AccessCode.objects.filter(pk=code.pk).exists()


def test_the_list_separates_unused_redeemed_and_expired(merchant, product):
    unused, redeemed, expired = _generate(merchant, [product], quantity=5, duration="DAYS", count=1).codes[:3]
    long_ago = timezone.now() - timedelta(days=5)
    access_code_redeem(
        code=redeemed.code, customer=factories.CustomerFactory(merchant=merchant), now=timezone.now()
    )
    access_code_redeem(code=expired.code, customer=factories.CustomerFactory(merchant=merchant), now=long_ago)
    now = timezone.now()

    def codes(status):
        return set(access_code_list(merchant=merchant, now=now, status=status).values_list("code", flat=True))

    assert unused.code in codes("UNUSED") and redeemed.code not in codes("UNUSED")
    assert codes("REDEEMED") == {redeemed.code}
    assert codes("EXPIRED") == {expired.code}


def test_a_redeemed_code_stays_listed_after_its_purchase_is_canceled(merchant, product):
    code = _generate(merchant, [product]).codes[0]
    [purchase] = access_code_redeem(
        code=code.code, customer=factories.CustomerFactory(merchant=merchant), now=timezone.now()
    )

    purchase_cancel(
        actor=None, now=timezone.now(), purchase=purchase, when="IMMEDIATELY", confirmation="CANCEL PURCHASE"
    )

    listed = access_code_list(merchant=merchant, now=timezone.now(), status="REDEEMED")
    assert list(listed.values_list("code", flat=True)) == [code.code]


def test_expiry_ends_purchases_whose_access_ran_out_and_only_those(merchant):
    now = timezone.now()
    due = factories.PurchaseFactory(
        customer__merchant=merchant, access_code=True, access_expires_at=now - timedelta(seconds=1)
    )
    later = factories.PurchaseFactory(
        customer__merchant=merchant, access_code=True, access_expires_at=now + timedelta(days=1)
    )
    lifetime = factories.PurchaseFactory(
        customer__merchant=merchant, access_code=True, access_expires_at=None
    )

    assert expire_access() == 1

    for purchase in (due, later, lifetime):
        purchase.refresh_from_db()
    assert due.status == Purchase.Status.EXPIRED and due.ended_at is not None
    assert later.status == lifetime.status == Purchase.Status.ACTIVE
    assert AuditEvent.objects.get(action="purchase.expire").target_id == str(due.pk)
    assert purchases_expire(now=timezone.now()) == 0


def test_the_command_redeems_by_public_id_or_email(merchant, product, capsys):
    first, second = _generate(merchant, [product], quantity=5).codes[:2]
    customer = factories.CustomerFactory(merchant=merchant, email="buyer@example.org")

    call_command("redeem_access_code", first.code, "--customer", customer.public_id, "--merchant", "acme")
    call_command("redeem_access_code", second.code, "--customer", "Buyer@example.org", "--merchant", "acme")

    assert customer.purchases.filter(kind=Purchase.Kind.ACCESS_CODE).count() == 2
    assert "Redeemed" in capsys.readouterr().out


def test_the_command_reports_a_used_code_clearly(merchant, product):
    code = _generate(merchant, [product]).codes[0]
    customer = factories.CustomerFactory(merchant=merchant)
    call_command("redeem_access_code", code.code, "--customer", customer.public_id, "--merchant", "acme")

    with pytest.raises(CommandError, match="already been redeemed"):
        call_command("redeem_access_code", code.code, "--customer", customer.public_id, "--merchant", "acme")
