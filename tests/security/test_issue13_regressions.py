"""Issue 13: one test per class of failure the hostile run found (each failed before its fix).

Run on PostgreSQL too (DATABASE_URL): out-of-range offsets and NUL bytes only fail there.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from common.pagination import decode_cursor
from common.params import parse_aware_datetime, safe_next
from customers.models import Customer
from merchants.middleware import SESSION_KEY
from merchants.models import Membership
from payments.registry import get_provider
from purchases.models import AccessCode
from refunds.models import Repayment
from sandbox import stripe_objects as so
from tests import factories

pytestmark = pytest.mark.django_db

FAR_OFFSET = "2026-01-01T00:00:00+20:00"  # Python accepts up to ±24 h, PostgreSQL only ±15:59


@pytest.fixture
def customer(merchant):
    customer = factories.CustomerFactory(merchant=merchant, first_purchase_at=timezone.now())
    factories.TransactionFactory(customer=customer)
    return customer


def test_a_cursor_with_an_offset_postgresql_refuses_is_normalised_to_utc():
    value, pk = decode_cursor(f"{FAR_OFFSET}~5", Customer._meta.get_field("first_purchase_at"))

    assert value.utcoffset() == timedelta(0) and value == datetime(2025, 12, 31, 4, tzinfo=UTC) and pk == 5
    assert parse_aware_datetime(FAR_OFFSET).utcoffset() == timedelta(0)
    assert parse_aware_datetime("0001-01-01T00:00:00+05:00") is None  # would overflow converting to UTC


@pytest.mark.parametrize("param", ["after", "before"])
@pytest.mark.parametrize(
    "cursor", [f"{FAR_OFFSET}~5", "0001-01-01T00:00:00+05:00~1", "9999-12-31T23:59:59-10:00~1"]
)
def test_keyset_cursors_with_hostile_offsets_show_a_page_on_every_list(owner_client, customer, param, cursor):
    for name in ("customers:list", "transactions:list", "audit:list"):
        response = owner_client.get(reverse(name), {param: cursor})
        assert response.status_code == 200, (name, response.status_code)


def test_the_activity_tab_with_a_hostile_before_shows_the_tab(owner_client, customer):
    url = reverse("customers:detail", args=[customer.public_id])
    for before in (FAR_OFFSET, "0001-01-01T00:00:00+05:00", "2026-13-45", "\x00"):
        response = owner_client.get(
            url, {"tab": "activity", "before": before}, headers={"HX-Request": "true"}
        )
        assert response.status_code == 200, before


def test_page_numbers_beyond_a_bigint_show_the_first_page(owner_client, customer):
    purchase = factories.PurchaseFactory(customer=customer)
    urls = [
        reverse("customers:detail-products", args=[customer.public_id]),
        reverse("customers:purchase-transactions", args=[customer.public_id, purchase.pk]),
        reverse("purchases:access-codes"),
    ]
    for url in urls:
        for page in ("99999999999999999999", "²", "-3", "1e9"):
            assert owner_client.get(url, {"page": page}).status_code == 200, (url, page)


def test_the_webhooks_page_ignores_a_superscript_after(owner_client, merchant):
    factories.ProviderEventFactory(merchant=merchant)

    response = owner_client.get(reverse("providers:events"), {"after": "²"})

    assert response.status_code == 200 and "ignored" in response.content.decode()


def test_a_batch_with_a_slash_is_no_filter_and_the_page_renders(owner_client, merchant):
    factories.AccessCodeFactory(merchant=merchant, batch="20260101-000000-abcd")

    response = owner_client.get(reverse("purchases:access-codes"), {"batch": "a/b"})

    assert response.status_code == 200 and "access-codes-csv" not in response.content.decode()


@pytest.mark.parametrize("merchant_value", ["abc", "", "99999999999999999999999", "1\x00"])
@pytest.mark.parametrize("next_value", ["x", "", "//evil.example/customers/", "https://evil.example/"])
def test_switching_merchant_with_malformed_input_changes_nothing(
    owner_client, merchant, merchant_value, next_value
):
    owner_client.get(reverse("customers:list"))  # binds the session to its merchant
    before = owner_client.session[SESSION_KEY]

    response = owner_client.post(reverse("merchant-switch"), {"merchant": merchant_value, "next": next_value})

    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert owner_client.session.get(SESSION_KEY) == before


def test_a_switch_with_a_next_that_is_not_a_path_goes_home(owner_client, owner, merchant, other_merchant):
    factories.MembershipFactory(user=owner, merchant=other_merchant, role="SUPPORT")

    response = owner_client.post(reverse("merchant-switch"), {"merchant": other_merchant.pk, "next": "x"})

    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert owner_client.session[SESSION_KEY] == other_merchant.pk


def test_a_refused_htmx_repayment_cancel_shows_the_reason(manager_client, merchant):
    chargeback = factories.TransactionFactory(customer__merchant=merchant, chargeback=True, amount=5000)
    manual = factories.RepaymentFactory(chargeback=chargeback, status=Repayment.Status.PAID)

    response = manager_client.post(
        reverse("refunds:repayment-cancel", args=[manual.pk]), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "Only an open repayment link can be canceled." in response.content.decode()


@pytest.mark.parametrize(
    "hostile", ["/a\r\nX-Evil: 1", "//evil.example/", "https://evil.example/", "\\\\x", "x"]
)
def test_deleting_a_code_with_a_hostile_next_deletes_once_and_redirects_home(owner_client, merchant, hostile):
    code = factories.AccessCodeFactory(merchant=merchant)

    response = owner_client.post(reverse("purchases:access-code-delete", args=[code.pk]), {"next": hostile})

    assert response.status_code == 302 and response["Location"] == reverse("purchases:access-codes")
    assert not AccessCode.objects.filter(pk=code.pk).exists()
    assert AuditEvent.objects.filter(action="access_code.delete").count() == 1


def test_a_delete_that_fails_after_writing_is_rolled_back(owner_client, merchant, monkeypatch):
    code = factories.AccessCodeFactory(merchant=merchant)
    owner_client.raise_request_exception = False

    def broken(*args, **kwargs):
        raise RuntimeError("the response could not be built")

    monkeypatch.setattr("purchases.views.redirect", broken)
    response = owner_client.post(reverse("purchases:access-code-delete", args=[code.pk]), {"next": "/"})

    assert response.status_code == 500
    assert AccessCode.objects.filter(pk=code.pk).exists()
    assert not AuditEvent.objects.filter(action="access_code.delete").exists()


def test_safe_next_accepts_only_a_local_path(rf):
    request = rf.get("/", HTTP_HOST="testserver")
    assert safe_next(request, "/customers/?q=a", "/d/") == "/customers/?q=a"
    for bad in ("", "customers", "//x.example/", "/\\x.example", "https://testserver/", "/a\nb", None, 5):
        assert safe_next(request, bad, "/d/") == "/d/"


def test_the_access_code_csv_defuses_formula_cells(owner_client, merchant):
    product = factories.ProductFactory(
        merchant=merchant, name='=HYPERLINK("http://x")', allows_access_codes=True
    )
    customer = factories.CustomerFactory(merchant=merchant, email="+1@example.com")
    code = factories.AccessCodeFactory(
        merchant=merchant, batch="b-1", redeemed_by=customer, redeemed_at=timezone.now()
    )
    code.products.set([product])

    response = owner_client.get(reverse("purchases:access-codes-csv", args=["b-1"]))

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][1] == '\'=HYPERLINK("http://x")' and rows[1][5] == "'+1@example.com"


def test_the_cancel_purchase_modal_says_why_an_invalid_when_was_refused(owner_client, customer):
    purchase = factories.PurchaseFactory(customer=customer)
    url = reverse("purchases:purchase-cancel", args=[purchase.pk])

    response = owner_client.post(url, {"when": "TOMORROW", "confirmation": "CANCEL PURCHASE"})

    assert "Select a valid choice" in response.content.decode()
    purchase.refresh_from_db()
    assert purchase.is_live


@pytest.mark.parametrize(
    "data, message",
    [
        ({"quantity": "7", "duration": "LIFETIME"}, "Select a valid choice"),
        ({"quantity": "1", "duration": "FOREVER"}, "Select a valid choice"),
        ({"quantity": "1", "duration": "DAYS", "duration_count": "0"}, "greater than or equal to 1"),
        # an id beyond a bigint overflowed in the database (a 500 on SQLite; found by the hostile test)
        (
            {"products": "99999999999999999999", "quantity": "1", "duration": "LIFETIME"},
            "is not a valid value",
        ),
    ],
)
def test_the_code_generator_says_why_it_refused(owner_client, merchant, data, message):
    product = factories.ProductFactory(merchant=merchant, allows_access_codes=True)

    response = owner_client.post(reverse("purchases:access-codes"), {"products": [product.pk], **data})

    assert response.status_code == 200 and message in response.content.decode()
    assert not AccessCode.objects.exists()


def test_a_refused_removal_message_says_why(owner_client, merchant):
    """Found by the hostile test's per-field check: a NUL byte was refused, the page showed no error."""
    bot = factories.TelegramBotFactory(merchant=merchant, removal_message="Your access ended.")

    response = owner_client.post(
        reverse("access:settings"), {"action": "removal", "removal_message": "a\x00b"}
    )

    assert response.status_code == 200
    assert 'id="id_removal_message_error"' in response.content.decode()
    assert "Null characters are not allowed" in response.content.decode()
    bot.refresh_from_db()
    assert bot.removal_message == "Your access ended."
    assert not AuditEvent.objects.exists()


def test_sandbox_pay_links_are_random_and_cannot_be_computed(merchant, other_merchant, client):
    def create(m, key="teller-repayment-1"):
        return get_provider(m).repayment_link_create(
            amount=1200, currency="eur", description="Repay", metadata={}, idempotency_key=key
        )

    first, theirs = create(merchant), create(other_merchant)
    derived = so.stripe_id("cs_test", f"{merchant.slug}:teller-repayment-1", 58)

    assert first["id"] != derived and first["id"] != theirs["id"]
    assert len(first["id"]) >= len("cs_test_") + 50  # ~256 bits from secrets.token_urlsafe
    assert create(merchant)["id"] == first["id"]  # a retry with the same idempotency key: the same session
    assert client.get(f"/sandbox/pay/{derived}/").status_code == 404
    assert client.get(f"/sandbox/pay/{first['id']}/").status_code == 200


def test_deactivating_a_member_in_one_merchant_keeps_their_sessions_in_the_others(
    owner_client, merchant, other_merchant
):
    both = factories.MembershipFactory(merchant=merchant, role="SUPPORT").user
    factories.MembershipFactory(user=both, merchant=other_merchant, role="SUPPORT")
    here, elsewhere = Client(), Client()
    for browser in (here, elsewhere):
        browser.force_login(both)
    assert here.get(reverse("customers:list")).status_code == 200  # bound to Acme (first by name)
    elsewhere.post(reverse("merchant-switch"), {"merchant": other_merchant.pk})
    membership = Membership.objects.get(user=both, merchant=merchant)

    owner_client.post(reverse("staff-deactivate", args=[membership.pk]))

    assert here.get(reverse("customers:list"))["Location"].startswith(reverse("login"))
    assert elsewhere.get(reverse("customers:list")).status_code == 200
    assert elsewhere.session[SESSION_KEY] == other_merchant.pk
    assert AuditEvent.objects.get(action="staff.deactivate").data["sessions_ended"] == 1


def test_a_session_bound_to_a_merchant_it_lost_ends_instead_of_moving(merchant, other_merchant):
    both = factories.MembershipFactory(merchant=merchant, role="SUPPORT").user
    factories.MembershipFactory(user=both, merchant=other_merchant, role="SUPPORT")
    browser = Client()
    browser.force_login(both)
    browser.get(reverse("customers:list"))
    Membership.objects.filter(user=both, merchant=merchant).update(is_active=False)  # e.g. the admin

    assert browser.get(reverse("customers:list"))["Location"].startswith(reverse("login"))
