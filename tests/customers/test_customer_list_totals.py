"""The customers list's per-customer facts (issue 16): spend per currency, payments, refunds, disputes, the
default payment method, the capped result count; a constant number of queries per page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from desk.selectors.customer_list import RESULT_COUNT_CAP, _totals_by_customer
from tests.factories import CustomerFactory, PaymentMethodFactory, TransactionFactory
from transactions.models import Transaction

pytestmark = pytest.mark.django_db
URL = reverse("customers:list")
K, S = Transaction.Kind, Transaction.Status


def _row(html, name):
    start = html.index(name)
    return html[start : html.index("</tr>", start)]


def test_totals_are_per_currency_and_count_only_what_succeeded(merchant):
    c = CustomerFactory(merchant=merchant)
    TransactionFactory(customer=c, amount=12000, currency="eur")
    TransactionFactory(customer=c, amount=3000, currency="usd", status=S.PARTIALLY_REFUNDED)
    TransactionFactory(customer=c, amount=999, currency="eur", status=S.FAILED)  # not spend
    TransactionFactory(customer=c, kind=K.REFUND, amount=500, currency="usd")
    TransactionFactory(customer=c, kind=K.REFUND, amount=700, currency="usd", status=S.FAILED)
    TransactionFactory(customer=c, kind=K.CHARGEBACK, amount=3000, currency="usd", status=S.NEEDS_RESPONSE)

    totals = _totals_by_customer([c.pk])[c.pk]

    assert [(t.currency, t.spend, t.refunded) for t in totals.per_currency] == [
        ("eur", 12000, 0),
        ("usd", 3000, 500),
    ]
    assert (totals.payments, totals.refunds, totals.disputes) == (2, 1, 1)


def test_the_list_shows_spend_payments_refunds_disputes_and_the_default_method(owner_client, merchant):
    c = CustomerFactory(merchant=merchant, name="Whale Wanda")
    TransactionFactory(customer=c, amount=12000, currency="eur")
    TransactionFactory(customer=c, amount=3000, currency="usd")
    TransactionFactory(customer=c, kind=K.REFUND, amount=500, currency="usd")
    PaymentMethodFactory(customer=c, brand="visa", last4="4242", is_default=True)
    PaymentMethodFactory(customer=c, brand="mastercard", last4="5555", is_default=False)
    CustomerFactory(merchant=merchant, name="Quiet Quentin")

    html = owner_client.get(URL).text

    row = _row(html, "Whale Wanda")
    assert "€120.00" in row and "$30.00" in row and "$5.00" in row
    assert "4242" in row and "5555" not in row
    quiet = _row(html, "Quiet Quentin")
    assert "€" not in quiet and "4242" not in quiet


def test_another_merchants_transactions_never_add_to_a_customer(merchant, other_merchant):
    mine = CustomerFactory(merchant=merchant)
    theirs = CustomerFactory(merchant=other_merchant)
    TransactionFactory(customer=theirs, amount=5000)

    assert mine.pk not in _totals_by_customer([mine.pk])


def _queries(client, **params):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL, params).status_code == 200
    return len(ctx.captured_queries)


def test_the_list_costs_the_same_queries_for_1_customer_as_for_30(owner_client, merchant):
    first = CustomerFactory(merchant=merchant, first_purchase_at=timezone.now())
    TransactionFactory(customer=first)
    PaymentMethodFactory(customer=first, is_default=True)
    one = _queries(owner_client)
    one_search = _queries(owner_client, q="example")
    for i in range(29):
        c = CustomerFactory(merchant=merchant, first_purchase_at=timezone.now() - timedelta(days=i + 1))
        for kind in (K.CHARGE, K.REFUND, K.CHARGEBACK):
            TransactionFactory(customer=c, kind=kind, currency=("eur", "usd")[i % 2])
        PaymentMethodFactory(customer=c, is_default=True)

    assert _queries(owner_client) == one
    assert _queries(owner_client, q="example") == one_search == one + 1


def test_a_search_says_how_many_it_found(owner_client, merchant):
    CustomerFactory(merchant=merchant, name="Ada Lovelace", email="ada@example.org")
    CustomerFactory(merchant=merchant, name="Ada Byron", email="byron@example.org")
    CustomerFactory(merchant=merchant, name="Grace", email="grace@example.org")

    assert "2 customers found" in owner_client.get(URL, {"q": "ada"}).text
    assert "1 customer found" in owner_client.get(URL, {"q": "ada@example.org"}).text
    assert "0 customers found" in owner_client.get(URL, {"q": "nobody@example.org"}).text
    assert 'id="customer-result-count"' not in owner_client.get(URL).text


def test_the_count_stops_at_the_cap(owner_client, merchant, monkeypatch):
    monkeypatch.setattr("desk.selectors.customer_list.RESULT_COUNT_CAP", 3)
    for i in range(5):
        CustomerFactory(merchant=merchant, name=f"Ada {i}")

    html = owner_client.get(URL, {"q": "ada"}).text

    assert "3+ customers found" in html
    assert RESULT_COUNT_CAP == 1000


def test_the_count_is_never_a_count_over_all_customers(owner_client, merchant):
    CustomerFactory(merchant=merchant, name="Ada")
    with CaptureQueriesContext(connection) as ctx:
        owner_client.get(URL, {"q": "ada"})
    counts = [q["sql"] for q in ctx.captured_queries if q["sql"].upper().startswith("SELECT COUNT(")]
    assert counts and all("LIMIT 1001" in sql.upper() for sql in counts)
