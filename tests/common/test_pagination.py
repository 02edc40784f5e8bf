from datetime import UTC, datetime

import pytest
from django.test import RequestFactory

from common.pagination import Keyset, decode_cursor, encode_cursor, keyset_paginate
from customers.models import Customer
from tests.factories import CustomerFactory

FIELD = Customer._meta.get_field("first_purchase_at")


def test_a_cursor_round_trips_a_datetime_and_a_null():
    moment = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)

    assert decode_cursor(encode_cursor(moment, 42), FIELD) == (moment, 42)
    assert decode_cursor(encode_cursor(None, 7), FIELD) == (None, 7)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "~",
        "abc",
        "2026-01-01~x",
        "nonsense~3",
        "2026-02-30T00:00:00~3",
        "9" * 200,
        "null~²",
        "null~" + "9" * 30,
        "2026\x00~1",
    ],
)
def test_a_malformed_cursor_raises_value_error(raw):
    with pytest.raises(ValueError):
        decode_cursor(raw, FIELD)


def test_descending_order_puts_nulls_first_and_ascending_puts_them_last():
    newest, oldest = (
        Keyset("first_purchase_at", descending=True),
        Keyset("first_purchase_at", descending=False),
    )

    assert newest.order_by()[0].nulls_first and newest.order_by()[0].descending
    assert oldest.order_by()[0].nulls_last
    assert newest.order_by(reverse=True)[0].nulls_last


@pytest.mark.django_db
def test_a_page_knows_its_neighbours_and_keeps_other_parameters(merchant):
    for _ in range(5):
        CustomerFactory(merchant=merchant)
    request = RequestFactory().get("/customers/", {"q": "x", "product": "", "sort": "newest"})

    page = keyset_paginate(Customer.objects.all(), request, Keyset("first_purchase_at"), per_page=2)

    assert len(page) == 2 and page.has_next and not page.has_previous
    assert page.next_url.startswith("/customers/?q=x&sort=newest&after=")
    assert "product=" not in page.next_url
