from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import CustomerFactory, PurchaseFactory, TransactionFactory
from transactions.models import Transaction

pytestmark = pytest.mark.django_db
URL = reverse("transactions:list")


def ids(response):
    return [t.provider_id for t in response.context["page"].items]


def at(day, hour=12):
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_each_row_shows_date_customer_link_product_type_status_amount_and_method(owner_client, merchant):
    purchase = PurchaseFactory(
        customer=CustomerFactory(merchant=merchant, email="ada@example.org"), product__name="Gold channel"
    )
    txn = TransactionFactory(
        customer=purchase.customer,
        purchase=purchase,
        amount=4250,
        currency="usd",
        method_brand="mastercard",
        method_last4="5454",
        occurred_at=at(14),
    )

    html = owner_client.get(URL).text

    assert "14 Mar 2026" in html
    assert f'href="{reverse("customers:detail", args=[purchase.customer.public_id])}"' in html
    assert "ada@example.org" in html and "Gold channel" in html
    assert "Charge" in html and 'badge-success">Succeeded' in html
    assert "$42.50" in html and "Mastercard •••• 5454" in html
    assert reverse("transactions:detail", args=[txn.pk]) in html


def test_refunds_and_chargebacks_are_shown_negative(owner_client, merchant):
    customer = CustomerFactory(merchant=merchant)
    TransactionFactory(customer=customer, refund=True, amount=500, status=Transaction.Status.SUCCEEDED)
    TransactionFactory(customer=customer, chargeback=True, amount=1999)

    html = owner_client.get(URL).text

    assert "-€5.00" in html and "-€19.99" in html
    assert 'badge-warning">Needs response' in html


def test_a_payment_with_a_blocked_detail_is_flagged_and_can_be_filtered(owner_client, merchant):
    customer = CustomerFactory(merchant=merchant)
    flagged = TransactionFactory(customer=customer, blocked_detail_used=True)
    TransactionFactory(customer=customer)

    response = owner_client.get(URL, {"blocked": "yes"})

    assert ids(response) == [flagged.provider_id]
    assert "Blocked detail used" in response.text


def test_newest_first_and_only_this_merchants(owner_client, merchant, other_merchant):
    mine = CustomerFactory(merchant=merchant)
    old = TransactionFactory(customer=mine, occurred_at=at(1))
    new = TransactionFactory(customer=mine, occurred_at=at(20))
    TransactionFactory(customer=CustomerFactory(merchant=other_merchant), occurred_at=at(10))

    assert ids(owner_client.get(URL)) == [new.provider_id, old.provider_id]


def test_filters_by_type_status_and_payment_method(owner_client, merchant):
    customer = CustomerFactory(merchant=merchant)
    charge = TransactionFactory(customer=customer)
    refund = TransactionFactory(customer=customer, refund=True)
    failed = TransactionFactory(customer=customer, failed=True)
    sepa = TransactionFactory(customer=customer, sepa=True)

    assert ids(owner_client.get(URL, {"type": "REFUND"})) == [refund.provider_id]
    assert ids(owner_client.get(URL, {"status": "FAILED"})) == [failed.provider_id]
    assert ids(owner_client.get(URL, {"method": "sepa_debit"})) == [sepa.provider_id]
    assert set(ids(owner_client.get(URL, {"type": "CHARGE", "method": "card", "status": "SUCCEEDED"}))) == {
        charge.provider_id
    }


def test_date_range_includes_both_whole_days(owner_client, merchant):
    customer = CustomerFactory(merchant=merchant)
    before = TransactionFactory(customer=customer, occurred_at=at(9, 23))
    first_day = TransactionFactory(customer=customer, occurred_at=at(10, 0))
    last_day = TransactionFactory(customer=customer, occurred_at=at(12, 23))
    TransactionFactory(customer=customer, occurred_at=at(13, 0))

    response = owner_client.get(URL, {"date_from": "2026-03-10", "date_to": "2026-03-12"})

    assert ids(response) == [last_day.provider_id, first_day.provider_id]
    assert before.provider_id not in ids(response)


@pytest.mark.parametrize("prefix", ["ch", "py", "re", "dp", "pi"])
def test_search_by_provider_id_is_exact(owner_client, merchant, prefix):
    customer = CustomerFactory(merchant=merchant)
    wanted = TransactionFactory(customer=customer, provider_id=f"{prefix}_3Abc123")
    TransactionFactory(customer=customer, provider_id=f"{prefix}_3Abc1234")

    assert ids(owner_client.get(URL, {"q": f"{prefix}_3Abc123"})) == [wanted.provider_id]


def test_search_by_full_or_partial_customer_email(owner_client, merchant):
    ada = TransactionFactory(customer=CustomerFactory(merchant=merchant, email="ada@example.org"))
    TransactionFactory(customer=CustomerFactory(merchant=merchant, email="bob@example.net"))

    assert ids(owner_client.get(URL, {"q": "ADA@example.org"})) == [ada.provider_id]
    assert ids(owner_client.get(URL, {"q": "ada@"})) == [ada.provider_id]


def test_no_match_shows_the_empty_state(owner_client, merchant):
    TransactionFactory(customer=CustomerFactory(merchant=merchant))

    response = owner_client.get(URL, {"q": "nobody@nowhere.test"})

    assert response.status_code == 200
    assert "No transactions match" in response.text


@pytest.mark.parametrize(
    "params",
    [
        {"type": "GIFT"},
        {"status": "succeeded?"},
        {"method": "bitcoin"},
        {"date_from": "2026-02-30"},
        {"date_to": "yesterday"},
        {"date_from": "99999-01-01"},
        {"blocked": "maybe"},
        {"q": "y" * 10_000},
        {"q": "nul\x00byte"},
        {"status": "\x00"},
    ],
)
def test_a_bad_parameter_is_ignored_with_a_note(owner_client, merchant, params):
    txn = TransactionFactory(customer=CustomerFactory(merchant=merchant))

    response = owner_client.get(URL, params)

    assert response.status_code == 200
    assert ids(response) == [txn.provider_id]
    assert "This filter was ignored" in response.text


@pytest.mark.parametrize("params", [{"date_from": "0001-01-01"}, {"date_to": "9999-12-31"}])
def test_extreme_dates_do_not_break_the_page(owner_client, merchant, params):
    txn = TransactionFactory(customer=CustomerFactory(merchant=merchant))

    response = owner_client.get(URL, params)

    assert response.status_code == 200
    assert ids(response) == [txn.provider_id]


def test_pages_walk_the_whole_table_without_counting(owner_client, merchant):
    customer = CustomerFactory(merchant=merchant)
    same_moment = timezone.now()
    for i in range(70):
        TransactionFactory(customer=customer, occurred_at=same_moment - timedelta(hours=i // 4))
    seen, url = [], URL

    with CaptureQueriesContext(connection) as ctx:
        while url:
            response = owner_client.get(url)
            seen += ids(response)
            page = response.context["page"]
            url = page.next_url if page.has_next else None

    assert len(seen) == len(set(seen)) == 70
    assert not any("COUNT(" in q["sql"].upper() for q in ctx.captured_queries)


def test_a_page_past_the_end_and_a_malformed_cursor_do_not_error(owner_client, merchant):
    txn = TransactionFactory(customer=CustomerFactory(merchant=merchant), occurred_at=at(5))

    past_end = owner_client.get(URL, {"after": "2000-01-01T00:00:00+00:00~1"})
    malformed = owner_client.get(URL, {"before": "not-a-cursor"})

    assert past_end.status_code == 200 and ids(past_end) == []
    assert "Back to the first page" in past_end.text
    assert malformed.status_code == 200 and ids(malformed) == [txn.provider_id]


def test_an_htmx_request_gets_only_the_table(owner_client, merchant):
    TransactionFactory(customer=CustomerFactory(merchant=merchant, email="ada@example.org"))

    response = owner_client.get(
        URL, {"q": "ada"}, headers={"HX-Request": "true", "HX-Target": "transaction-results"}
    )

    assert "ada@example.org" in response.text
    assert "<html" not in response.text


def test_without_javascript_a_filtered_url_renders_the_full_page(owner_client, merchant):
    TransactionFactory(customer=CustomerFactory(merchant=merchant))

    response = owner_client.get(URL, {"type": "CHARGE", "date_from": "2026-01-01"})

    assert "<html" in response.text
    assert '<option value="CHARGE" selected>' in response.text
    assert 'value="2026-01-01"' in response.text


def _list_queries(client, merchant, count, params):
    for _ in range(count):
        purchase = PurchaseFactory(customer=CustomerFactory(merchant=merchant))
        TransactionFactory(customer=purchase.customer, purchase=purchase)
        TransactionFactory(customer=None, merchant=merchant)
    client.get(URL, params)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("params", [{}, {"q": "example", "type": "CHARGE", "date_from": "2020-01-01"}])
def test_the_table_runs_the_same_number_of_queries_for_3_or_40_rows(owner_client, merchant, params):
    few = _list_queries(owner_client, merchant, 3, params)
    many = _list_queries(owner_client, merchant, 37, params)

    assert few == many


def test_an_inverted_date_range_says_it_is_inverted(owner_client, merchant):
    url = reverse("transactions:list") + "?date_from=2026-11-30&date_to=2026-11-01"

    page = owner_client.get(url).content.decode()
    fragment = owner_client.get(url, headers={"HX-Request": "true", "HX-Target": "transaction-results"})
    forward = owner_client.get(reverse("transactions:list") + "?date_from=2026-11-01&date_to=2026-11-30")

    assert "The date range is inverted" in page and "2026-11-30" in page
    assert "The date range is inverted" in fragment.content.decode()
    assert "inverted" not in forward.content.decode()
