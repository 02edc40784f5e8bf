"""/search/: each query form finds the signed-in merchant's customers and transactions (never another
merchant's), exact ids open the one object they name, bad queries get a message, and the page runs a fixed
number of queries."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    CustomerFactory,
    CustomerIdentifierFactory,
    DisputeFactory,
    IdentifierFactory,
    InvoicePaymentFactory,
    ProviderInvoiceFactory,
    PurchaseFactory,
    TransactionFactory,
)
from transactions.models import Transaction

URL = reverse("search:results")
NOV = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(merchant, other_merchant):
    """The same shapes at both merchants: a hit at the other one must never show."""
    made = {}
    for key, m in (("mine", merchant), ("theirs", other_merchant)):
        public_id = f"A1{key.upper():0<10}"  # a digit in it: typed in lower case it is still an id
        ada = CustomerFactory(
            merchant=m, name="Ada Lovelace", email=f"ada@{key}.example", public_id=public_id
        )
        bob = CustomerFactory(merchant=m, name="Bob Stone", email=f"bob@{key}.example")
        card = IdentifierFactory(merchant=m, last4="1881")
        CustomerIdentifierFactory(customer=ada, identifier=card)
        purchase = PurchaseFactory(customer=ada, provider_subscription_id=f"sub_{key}1")
        charge = TransactionFactory(
            customer=ada,
            purchase=purchase,
            amount=4900,
            method_last4="1881",
            occurred_at=NOV,
            provider_id=f"ch_{key}1",
            provider_payment_intent_id=f"pi_{key}1",
        )
        refunded = TransactionFactory(
            customer=bob, amount=12000, status=Transaction.Status.REFUNDED, provider_id=f"re_{key}1"
        )
        dispute = DisputeFactory(transaction__customer=bob, transaction__provider_id=f"dp_{key}1")
        InvoicePaymentFactory(merchant=m, provider_invoice_id=f"in_{key}1", payment_intent_id=f"pi_{key}1")
        made[key] = {"ada": ada, "bob": bob, "charge": charge, "refunded": refunded, "dispute": dispute}
    return made


def results(client, q, **params):
    response = client.get(URL, {"q": q, **params})
    assert response.status_code == 200, (q, response.status_code)
    return response


def ids(response, kind):
    for group in response.context["groups"]:
        if group["kind"] == kind:
            return {obj.pk for obj in group["items"]}
    return None


@pytest.mark.parametrize(
    "q,customers,transactions",
    [
        ("Ada", {"ada"}, {"charge"}),
        ("lovelace", {"ada"}, {"charge"}),
        ("Ad", {"ada"}, {"charge"}),  # short: a prefix
        ("ada@mine.example", {"ada"}, {"charge"}),
        ("email:bob@mine.example", {"bob"}, {"refunded", "dispute"}),
        ("last4:1881", {"ada"}, {"charge"}),
        ("49", None, {"charge"}),
        ("49.00", None, {"charge"}),
        ("amount:>100", None, {"refunded"}),
        ("amount:<=49", None, {"charge", "dispute"}),
        ("amount:=120", None, {"refunded"}),
        ("status:refunded", None, {"refunded"}),
        ("date:2026-11", None, {"charge"}),
        ("date:2026-11-05", None, {"charge"}),
        ("date:2026-11-06", None, set()),
        ("Ada date:2026-11", None, {"charge"}),
        ("Bob status:refunded", None, {"refunded"}),
        ("Ada status:refunded", None, set()),
        ("Ada last4:1881", {"ada"}, {"charge"}),
    ],
)
def test_query_forms_find_only_this_merchants_objects(owner_client, world, q, customers, transactions):
    response = results(owner_client, q)
    mine = world["mine"]

    def pk(name):
        return mine[name].transaction.pk if name == "dispute" else mine[name].pk

    found_customers = ids(response, "customers")
    assert found_customers == ({mine[n].pk for n in customers} if customers is not None else None)
    assert ids(response, "transactions") == {pk(n) for n in transactions}


@pytest.mark.parametrize(
    "q,target",
    [
        ("cus", lambda w: reverse("customers:detail", args=[w["ada"].public_id])),
        ("public", lambda w: reverse("customers:detail", args=[w["ada"].public_id])),
        ("sub_mine1", lambda w: reverse("customers:detail", args=[w["ada"].public_id])),
        ("ch_mine1", lambda w: reverse("transactions:detail", args=[w["charge"].pk])),
        ("pi_mine1", lambda w: reverse("transactions:detail", args=[w["charge"].pk])),
        ("in_mine1", lambda w: reverse("transactions:detail", args=[w["charge"].pk])),
        ("re_mine1", lambda w: reverse("transactions:detail", args=[w["refunded"].pk])),
        ("dp_mine1", lambda w: reverse("transactions:detail", args=[w["dispute"].transaction.pk])),
    ],
)
def test_an_exact_id_opens_its_object(owner_client, world, q, target):
    mine = world["mine"]
    q = {"cus": mine["ada"].provider_customer_id, "public": mine["ada"].public_id.lower()}.get(q, q)
    response = owner_client.get(URL, {"q": q})
    assert response.status_code == 302
    assert response["Location"] == target(mine)


@pytest.mark.parametrize("q", ["ch_theirs1", "sub_theirs1", "in_theirs1", "dp_theirs1", "theirs_public"])
def test_another_merchants_id_finds_nothing(owner_client, world, q):
    if q == "theirs_public":
        q = world["theirs"]["ada"].public_id
    response = results(owner_client, q)
    assert all(not group["items"] for group in response.context["groups"])
    assert b"No transactions match" in response.content


def test_unknown_provider_customer_id_shows_empty_results(owner_client, world):
    response = results(owner_client, "cus_doesnotexist")
    assert ids(response, "customers") == set()


@pytest.mark.parametrize(
    "q",
    ["colour:red", "amount:lots", "status:nope", "date:2026-13", "x" * 5000, "ada\x00", '"open', "last4:1"],
)
def test_bad_queries_get_a_message_not_a_500(owner_client, world, q):
    response = results(owner_client, q)
    assert response.context["error"]
    assert b'id="search-error"' in response.content


def test_unicode_and_empty(owner_client, world):
    assert ids(results(owner_client, "Zoë 日本"), "customers") == set()
    response = results(owner_client, "")
    assert b"Search everything" in response.content


def test_groups_are_limited_with_a_link_to_the_full_list(owner_client, merchant):
    ada = CustomerFactory(merchant=merchant, name="Many Payments")
    TransactionFactory.create_batch(25, customer=ada, amount=700)
    response = results(owner_client, "amount:7")
    assert len(ids(response, "transactions")) == 20
    assert b'id="search-transactions-all"' in response.content
    full = results(owner_client, "amount:7", kind="transactions")
    group = full.context["groups"][0]
    assert len(group["items"]) == 25  # the full list pages by 30


def test_query_count_is_fixed(owner_client, merchant):
    for n in range(3):
        c = CustomerFactory(merchant=merchant, name=f"Query Count {n}")
        TransactionFactory.create_batch(3, customer=c)
    owner_client.get(URL, {"q": "Query"})  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        results(owner_client, "Query")
    for n in range(3, 9):
        c = CustomerFactory(merchant=merchant, name=f"Query Count {n}")
        TransactionFactory.create_batch(3, customer=c)
    with CaptureQueriesContext(connection) as many:
        results(owner_client, "Query")
    assert len(many) == len(few)
    assert len(few) <= 12


def test_every_role_may_search_and_anonymous_is_sent_to_sign_in(client, support_client, world):
    assert support_client.get(URL, {"q": "Ada"}).status_code == 200
    client.logout()
    response = client.get(URL, {"q": "Ada"})
    assert response.status_code == 302 and "login" in response["Location"]


def test_nav_box_is_on_staff_pages(owner_client):
    page = owner_client.get(reverse("customers:list"))
    assert b'id="nav-search-q"' in page.content and b'aria-keyshortcuts="/"' in page.content


def test_transactions_list_finds_by_customer_name_and_public_id(owner_client, world):
    mine = world["mine"]
    for q in ("Lovelace", mine["ada"].public_id, "Ad"):
        response = owner_client.get(reverse("transactions:list"), {"q": q})
        assert {t.pk for t in response.context["page"].items} == {mine["charge"].pk}, q


def test_an_invoice_known_only_by_its_subscription_finds_that_subscriptions_payments(owner_client, merchant):
    purchase = PurchaseFactory(
        customer=CustomerFactory(merchant=merchant), provider_subscription_id="sub_only"
    )
    first, second = TransactionFactory.create_batch(2, customer=purchase.customer, purchase=purchase)
    ProviderInvoiceFactory(
        merchant=merchant, provider_invoice_id="in_only", provider_subscription_id="sub_only"
    )
    response = results(owner_client, "in_only")
    assert ids(response, "transactions") == {first.pk, second.pk}
