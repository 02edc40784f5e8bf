"""The customer page costs the same number of SQL queries for a customer with 10,000 transactions and 300
purchases as for one with 10: every panel reads page-sized slices and aggregates in SQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.customers.page_data import build_customer

pytestmark = pytest.mark.django_db


def _urls(customer):
    pid = customer.public_id
    purchase = customer.purchases.order_by("id").first()
    identifier = customer.identifier_links.order_by("id").first().identifier_id
    detail = reverse("customers:detail", args=[pid])
    urls = [(detail, False)]
    for tab in ("details", "stats", "info", "activity"):
        urls += [(f"{detail}?tab={tab}", False), (f"{detail}?tab={tab}", True)]
    for kind in ("payments", "staff", "blocks", "notes", "subscriptions"):
        urls.append((f"{detail}?tab=activity&kind={kind}", True))
    for name in ("detail-header", "detail-products", "detail-payment-methods"):
        urls += [
            (reverse(f"customers:{name}", args=[pid]), True),
            (reverse(f"customers:{name}", args=[pid]), False),
        ]
    txns = reverse("customers:purchase-transactions", args=[pid, purchase.pk])
    urls += [(txns, True), (txns, False), (f"{txns}?page=2", True)]
    log = reverse("customers:identifier-log", args=[pid, identifier])
    urls += [(log, True), (log, False), (reverse("customers:detail-products", args=[pid]) + "?page=2", True)]
    return urls


def _count(client, url, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_every_tab_and_partial_costs_the_same_queries_for_a_huge_customer_as_for_a_small_one(
    owner_client, merchant, owner
):
    small = build_customer(merchant, purchases=30, transactions=10, actor=owner, tag="small")
    huge = build_customer(merchant, purchases=300, transactions=10_000, actor=owner, tag="huge")

    small_counts = [(u, h, _count(owner_client, u, h)) for u, h in _urls(small)]
    huge_counts = [(u, h, _count(owner_client, u, h)) for u, h in _urls(huge)]

    differing = [(s, h) for s, h in zip(small_counts, huge_counts, strict=True) if s[2] != h[2]]
    assert differing == []


def test_the_whole_page_stays_within_a_fixed_query_budget(owner_client, merchant, owner):
    customer = build_customer(merchant, purchases=30, transactions=200, actor=owner, tag="budget")

    count = _count(owner_client, reverse("customers:detail", args=[customer.public_id]), False)

    assert count <= 20
