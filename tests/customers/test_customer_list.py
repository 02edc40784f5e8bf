from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import CustomerFactory, CustomerIdentifierFactory, IdentifierFactory, PurchaseFactory

pytestmark = pytest.mark.django_db
URL = reverse("customers:list")


def names(response):
    return [c.name for c in response.context["page"].items]


def days_ago(n):
    return timezone.now() - timedelta(days=n)


def test_the_list_shows_name_email_public_id_providers_and_customer_since(owner_client, merchant):
    customer = CustomerFactory(
        merchant=merchant,
        name="Ada Lovelace",
        email="ada@example.org",
        providers_used=["STRIPE", "ACCESS_CODE"],
        first_purchase_at=days_ago(3),
    )

    response = owner_client.get(URL)

    assert response.status_code == 200
    html = response.text
    assert "Ada Lovelace" in html and "ada@example.org" in html and customer.public_id in html
    assert "Stripe" in html and "Access code" in html
    assert customer.first_purchase_at.strftime("%b") in html
    assert reverse("customers:detail", args=[customer.public_id]) in html


def test_a_customer_without_a_picture_gets_initials_and_one_with_a_picture_gets_an_img(
    owner_client, merchant
):
    CustomerFactory(merchant=merchant, name="Grace Hopper")
    CustomerFactory(merchant=merchant, name="Alan Turing", avatar_url="https://example.org/alan.png")

    html = owner_client.get(URL).text

    assert ">GH<" in html
    assert 'src="https://example.org/alan.png"' in html


def test_a_blocked_customer_shows_a_blocked_badge(owner_client, merchant):
    CustomerFactory(merchant=merchant, name="Mallory", is_blocked=True)

    assert 'badge-danger">Blocked' in owner_client.get(URL).text


def test_only_the_signed_in_merchants_customers_are_listed(owner_client, merchant, other_merchant):
    CustomerFactory(merchant=merchant, name="Mine")
    CustomerFactory(merchant=other_merchant, name="Theirs")

    assert names(owner_client.get(URL)) == ["Mine"]


def test_newest_customers_come_first_and_oldest_first_on_request(owner_client, merchant):
    CustomerFactory(merchant=merchant, name="Old", first_purchase_at=days_ago(30))
    CustomerFactory(merchant=merchant, name="New", first_purchase_at=days_ago(1))
    CustomerFactory(merchant=merchant, name="Middle", first_purchase_at=days_ago(10))

    assert names(owner_client.get(URL)) == ["New", "Middle", "Old"]
    assert names(owner_client.get(URL, {"sort": "oldest"})) == ["Old", "Middle", "New"]


@pytest.mark.parametrize("term", ["ada", "LOVELACE", "example.org", "ada@exa"])
def test_search_matches_part_of_a_name_or_an_email(owner_client, merchant, term):
    CustomerFactory(merchant=merchant, name="Ada Lovelace", email="ada@example.org")
    CustomerFactory(merchant=merchant, name="Bob", email="bob@elsewhere.net")

    assert names(owner_client.get(URL, {"q": term})) == ["Ada Lovelace"]


def test_search_by_full_email_is_exact_and_case_insensitive(owner_client, merchant):
    CustomerFactory(merchant=merchant, name="Ada", email="ada@example.org")
    CustomerFactory(merchant=merchant, name="Ada's twin", email="xada@example.org")

    assert names(owner_client.get(URL, {"q": "ADA@example.org"})) == ["Ada"]


def test_search_by_public_id_finds_the_customer_in_any_case(owner_client, merchant):
    customer = CustomerFactory(merchant=merchant, name="Ada", public_id="AB12CD34EF56")
    CustomerFactory(merchant=merchant, name="Bob")

    assert names(owner_client.get(URL, {"q": customer.public_id.lower()})) == ["Ada"]


def test_search_by_stripe_customer_id_finds_the_customer_and_customers_linked_to_it(owner_client, merchant):
    direct = CustomerFactory(merchant=merchant, name="Direct", provider_customer_id="cus_Direct123")
    linked = CustomerFactory(merchant=merchant, name="Linked", first_purchase_at=days_ago(200))
    identifier = IdentifierFactory(merchant=merchant, customer_id=True, value="cus_Direct123")
    CustomerIdentifierFactory(customer=linked, identifier=identifier)
    CustomerFactory(merchant=merchant, name="Other")

    assert names(owner_client.get(URL, {"q": direct.provider_customer_id})) == ["Direct", "Linked"]


def test_filter_by_product_purchased(owner_client, merchant):
    buyer = CustomerFactory(merchant=merchant, name="Buyer")
    purchase = PurchaseFactory(customer=buyer)
    PurchaseFactory(customer=CustomerFactory(merchant=merchant, name="Someone else"))

    assert names(owner_client.get(URL, {"product": purchase.product_id})) == ["Buyer"]


def test_filter_by_payment_provider(owner_client, merchant):
    CustomerFactory(merchant=merchant, name="Stripe buyer", providers_used=["STRIPE"])
    CustomerFactory(merchant=merchant, name="Code user", providers_used=["ACCESS_CODE"])

    assert names(owner_client.get(URL, {"provider": "ACCESS_CODE"})) == ["Code user"]
    assert names(owner_client.get(URL, {"provider": "STRIPE"})) == ["Stripe buyer"]


def test_filter_by_access_code_use_and_by_blocked(owner_client, merchant):
    CustomerFactory(merchant=merchant, name="Coder", used_access_code=True)
    CustomerFactory(merchant=merchant, name="Payer", is_blocked=True)

    assert names(owner_client.get(URL, {"access_code": "yes"})) == ["Coder"]
    assert names(owner_client.get(URL, {"access_code": "no"})) == ["Payer"]
    assert names(owner_client.get(URL, {"blocked": "yes"})) == ["Payer"]


def test_no_match_shows_the_empty_state(owner_client, merchant):
    CustomerFactory(merchant=merchant, name="Ada")

    response = owner_client.get(URL, {"q": "zzz-nobody"})

    assert response.status_code == 200
    assert "No customers match" in response.text


@pytest.mark.parametrize(
    "params",
    [
        {"product": "999999"},
        {"product": "not-a-number"},
        {"provider": "PAYPAL"},
        {"access_code": "maybe"},
        {"blocked": "1"},
        {"sort": "sideways"},
        {"q": "nul\x00byte"},
        {"product": "9" * 30},
        {"product": "-1"},
    ],
)
def test_an_unknown_filter_value_is_ignored_with_a_note(owner_client, merchant, params):
    CustomerFactory(merchant=merchant, name="Ada")

    response = owner_client.get(URL, params)

    assert response.status_code == 200
    assert names(response) == ["Ada"]
    assert "This filter was ignored" in response.text


def test_another_merchants_product_is_not_a_valid_filter(owner_client, merchant, other_merchant):
    CustomerFactory(merchant=merchant, name="Ada")
    theirs = PurchaseFactory(customer=CustomerFactory(merchant=other_merchant))

    response = owner_client.get(URL, {"product": theirs.product_id})

    assert names(response) == ["Ada"]
    assert "This filter was ignored" in response.text
    assert theirs.product.name not in response.text


def test_a_huge_search_string_is_ignored_not_an_error(owner_client, merchant):
    CustomerFactory(merchant=merchant, name="Ada")

    response = owner_client.get(URL, {"q": "x" * 50_000})

    assert response.status_code == 200
    assert names(response) == ["Ada"]
    assert "This filter was ignored" in response.text


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_pages_follow_each_other_without_gaps_or_repeats(owner_client, merchant, sort):
    for i in range(60):
        # Some share a timestamp and some have none: the id breaks ties and NULLs sort consistently.
        CustomerFactory(
            merchant=merchant, name=f"C{i:02d}", first_purchase_at=None if i % 7 == 0 else days_ago(i // 3)
        )
    seen, url = [], f"{URL}?sort={sort}"

    while url:
        response = owner_client.get(url)
        seen += names(response)
        page = response.context["page"]
        url = page.next_url if page.has_next else None

    assert sorted(seen) == sorted(f"C{i:02d}" for i in range(60))
    assert len(seen) == 60


def test_previous_page_link_returns_the_same_rows(owner_client, merchant):
    for i in range(30):
        CustomerFactory(merchant=merchant, name=f"C{i:02d}", first_purchase_at=days_ago(i))
    first = owner_client.get(URL, {"sort": "oldest"})
    second = owner_client.get(first.context["page"].next_url)

    back = owner_client.get(second.context["page"].previous_url)

    assert names(back) == names(first)
    assert "sort=oldest" in second.context["page"].previous_url


@pytest.mark.parametrize("cursor", ["garbage", "2026-13-45T00:00:00~12", "null~abc", "~", "x" * 5000])
def test_a_malformed_page_cursor_shows_the_first_page(owner_client, merchant, cursor):
    CustomerFactory(merchant=merchant, name="Ada")

    response = owner_client.get(URL, {"after": cursor})

    assert response.status_code == 200
    assert names(response) == ["Ada"]


def test_a_page_past_the_end_is_empty_with_a_way_back(owner_client, merchant):
    CustomerFactory(merchant=merchant, name="Ada", first_purchase_at=days_ago(5))

    response = owner_client.get(URL, {"after": "2000-01-01T00:00:00+00:00~1"})

    assert response.status_code == 200
    assert names(response) == []
    assert "Back to the first page" in response.text


def test_an_htmx_request_gets_only_the_results_table(owner_client, merchant):
    CustomerFactory(merchant=merchant, name="Ada")

    response = owner_client.get(
        URL, {"q": "ada"}, headers={"HX-Request": "true", "HX-Target": "customer-results"}
    )

    assert "Ada" in response.text
    assert "<html" not in response.text and 'id="customer-results"' not in response.text


def test_without_javascript_the_filtered_page_renders_in_full_with_the_form_filled_in(owner_client, merchant):
    CustomerFactory(merchant=merchant, name="Ada")

    response = owner_client.get(URL, {"q": "ada", "sort": "oldest"})

    assert "<html" in response.text
    assert 'value="ada"' in response.text
    assert '<option value="oldest" selected>' in response.text


def _list_queries(client, merchant, count, **params):
    for _ in range(count):
        customer = CustomerFactory(merchant=merchant, providers_used=["STRIPE", "SANDBOX"])
        PurchaseFactory(customer=customer)
    client.get(URL, params)  # warm up the session and caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("params", [{}, {"q": "example", "provider": "STRIPE", "blocked": "no"}])
def test_the_list_runs_the_same_number_of_queries_for_3_or_40_customers(owner_client, merchant, params):
    few = _list_queries(owner_client, merchant, 3, **params)
    many = _list_queries(owner_client, merchant, 37, **params)

    assert few == many


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_walking_back_from_the_last_page_meets_every_customer_once(owner_client, merchant, sort):
    for i in range(55):
        CustomerFactory(
            merchant=merchant, name=f"C{i:02d}", first_purchase_at=None if i % 6 == 0 else days_ago(i // 4)
        )
    url = f"{URL}?sort={sort}"
    while owner_client.get(url).context["page"].has_next:
        url = owner_client.get(url).context["page"].next_url
    seen = []

    while url:
        page = owner_client.get(url).context["page"]
        seen = [c.name for c in page.items] + seen
        url = page.previous_url if page.has_previous else None

    assert len(seen) == len(set(seen)) == 55


def test_an_htmx_update_pushes_a_tidy_shareable_url(owner_client, merchant):
    response = owner_client.get(
        URL,
        {"q": "ada", "product": "", "provider": "", "sort": "oldest"},
        headers={"HX-Request": "true", "HX-Target": "customer-results"},
    )

    assert response["HX-Push-Url"] == f"{URL}?q=ada&sort=oldest"
