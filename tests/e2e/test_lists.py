"""Browser tests of the customers list and the transactions table: search, filters, sort, HTMX updates."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import CustomerFactory, ProductFactory, PurchaseFactory, TransactionFactory
from transactions.models import Transaction

pytestmark = pytest.mark.django_db(transaction=True)

FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Radia",
    "Edsger",
    "Frances",
    "Donald",
    "Hedy",
    "Tim",
    "Katherine",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Perlman",
    "Dijkstra",
    "Allen",
    "Knuth",
    "Lamarr",
    "Berners-Lee",
    "Johnson",
]


def book_of_business(merchant, count=30):
    """~30 customers with purchases of two products and a realistic mix of transactions."""
    rng = random.Random(7)
    now = timezone.now()
    gold = ProductFactory(merchant=merchant, name="Gold signals channel")
    course = ProductFactory(merchant=merchant, name="Trading course", one_time=True, amount=14900)
    customers = []
    for i in range(count):
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}"
        providers = ["STRIPE"] if i % 5 else ["STRIPE", "ACCESS_CODE"]
        customer = CustomerFactory(
            merchant=merchant,
            name=name,
            email=f"{name.split()[0].lower()}.{i}@example.org",
            providers_used=providers,
            used_access_code="ACCESS_CODE" in providers,
            is_blocked=(i % 11 == 3),
            first_purchase_at=now - timedelta(days=3 * i + 1, hours=i),
        )
        product = gold if i % 3 else course
        purchase = PurchaseFactory(
            customer=customer, product=product, **({"one_time": True} if product is course else {})
        )
        kind_roll = rng.random()
        currency = "usd" if i % 4 == 0 else "eur"
        charge = TransactionFactory(
            customer=customer,
            purchase=purchase,
            amount=product.amount or 1999,
            currency=currency,
            occurred_at=now - timedelta(days=i, hours=rng.randint(0, 20)),
            **({"sepa": True} if i % 6 == 0 else {}),
            method_brand=("mastercard" if i % 4 == 1 else "visa") if i % 6 else "",
            blocked_detail_used=(i % 11 == 3),
        )
        if kind_roll < 0.2:
            TransactionFactory(
                customer=customer,
                purchase=purchase,
                refund=True,
                amount=500,
                currency=currency,
                parent=charge,
                occurred_at=charge.occurred_at + timedelta(hours=5),
            )
            charge.status = Transaction.Status.PARTIALLY_REFUNDED
            charge.refunded_amount = 500
            charge.save()
        elif kind_roll < 0.3:
            TransactionFactory(
                customer=customer,
                purchase=purchase,
                chargeback=True,
                amount=charge.amount,
                currency=currency,
                parent=charge,
                occurred_at=charge.occurred_at + timedelta(days=1),
            )
        elif kind_roll < 0.4:
            TransactionFactory(
                customer=customer,
                purchase=purchase,
                failed=True,
                currency=currency,
                occurred_at=charge.occurred_at - timedelta(hours=1),
            )
        customers.append(customer)
    return customers


def rows(page):
    return page.locator("#customer-results tbody tr")


def test_customers_list_search_filter_sort_and_open(page, sign_in, owner, merchant, screenshot):
    customers = book_of_business(merchant)
    sign_in(owner)
    page.goto("/customers/")
    assert rows(page).count() == 25
    assert page.locator(".pager a", has_text="Older").count() == 1
    screenshot(page, "customers-list")

    # Typing searches through HTMX after a short pause: the URL follows, the page is not reloaded.
    page.evaluate("window.__same_page = true")
    page.fill("#id_q", "hopper")
    page.wait_for_url("**/customers/?*q=hopper*")
    page.wait_for_function("document.querySelectorAll('#customer-results tbody tr').length < 25")
    assert page.evaluate("window.__same_page") is True
    names = page.locator("#customer-results .person-name").all_inner_texts()
    assert names and all("Hopper" in n for n in names)

    page.fill("#id_q", "")
    page.select_option("#id_access_code", "yes")
    page.wait_for_url("**access_code=yes*")
    page.wait_for_load_state("networkidle")
    assert rows(page).count() == sum(c.used_access_code for c in customers)
    page.select_option("#id_sort", "oldest")
    page.wait_for_url("**sort=oldest*")
    page.wait_for_load_state("networkidle")
    first_name = page.locator("#customer-results .person-name").first.inner_text()
    oldest = max(
        (c for c in customers if c.used_access_code), key=lambda c: timezone.now() - c.first_purchase_at
    )
    assert first_name == oldest.name
    screenshot(page, "customers-list-filtered")

    # The filtered URL is shareable: reloading it gives the same table with the form filled in.
    page.reload()
    assert page.locator("#id_sort").input_value() == "oldest"
    assert rows(page).count() == sum(c.used_access_code for c in customers)

    page.locator("#customer-results .person").first.click()
    page.wait_for_load_state("networkidle")
    assert f"/customers/{oldest.public_id}/" in page.url
    assert oldest.name in page.locator("h1").first.inner_text()


def test_customers_no_match_shows_the_empty_state(page, sign_in, owner, merchant):
    book_of_business(merchant, count=3)
    sign_in(owner)
    page.goto("/customers/")

    page.fill("#id_q", "nobody-by-this-name")
    page.wait_for_selector("text=No customers match")

    assert "q=nobody-by-this-name" in page.url


def test_customers_pagination_moves_forward_and_back(page, sign_in, owner, merchant):
    book_of_business(merchant)
    sign_in(owner)
    page.goto("/customers/")
    first_page = page.locator("#customer-results .person-name").all_inner_texts()

    page.locator(".pager a", has_text="Older").click()
    page.wait_for_url("**after=*")
    page.wait_for_load_state("networkidle")
    assert rows(page).count() == 5
    page.locator(".pager a", has_text="Newer").click()
    page.wait_for_url("**before=*")
    page.wait_for_load_state("networkidle")

    assert page.locator("#customer-results .person-name").all_inner_texts() == first_page


def test_transactions_table_with_filters(page, sign_in, owner, merchant, screenshot):
    book_of_business(merchant)
    sign_in(owner)
    page.goto("/transactions/")
    assert page.locator("#transaction-results tbody tr").count() == 30
    assert page.locator("#transaction-results .badge-success").count() > 0
    assert page.locator("#transaction-results td.negative").count() > 0
    screenshot(page, "transactions-list")

    page.select_option("#id_type", "REFUND")
    page.wait_for_url("**type=REFUND*")
    page.wait_for_load_state("networkidle")
    kinds = page.locator("#transaction-results tbody tr td:nth-child(4) .nowrap").all_inner_texts()
    assert kinds and set(kinds) == {"Refund"}
    assert all(a.startswith("-") for a in page.locator("#transaction-results td.num").all_inner_texts())

    page.select_option("#id_type", "")
    page.select_option("#id_blocked", "yes")
    page.wait_for_url("**blocked=yes*")
    page.wait_for_load_state("networkidle")
    assert (
        page.locator("#transaction-results .flag-blocked").count()
        == page.locator("#transaction-results tbody tr").count()
        > 0
    )
    screenshot(page, "transactions-list-filtered")

    # The customer's email is how staff reach the customer.
    email = page.locator("#transaction-results tbody tr td:nth-child(2) a").first
    email_text = email.inner_text()
    email.click()
    page.wait_for_load_state("networkidle")
    assert "/customers/" in page.url and email_text in page.content()


def test_without_javascript_the_lists_work_with_plain_links_and_forms(browser, live_server, owner, merchant):
    book_of_business(merchant, count=8)
    context = browser.new_context(
        java_script_enabled=False, base_url=live_server.url, viewport={"width": 1366, "height": 900}
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", owner.email)
    page.fill("input[name=password]", "correct-horse-battery-9")
    page.click("#sign-in")

    page.goto("/customers/")
    page.fill("#id_q", "hopper")
    page.click("#customer-search")
    assert "q=hopper" in page.url
    assert all("Hopper" in n for n in page.locator(".person-name").all_inner_texts())

    page.goto("/transactions/?type=CHARGE&status=SUCCEEDED&date_from=2000-01-01")
    assert page.locator("h1").inner_text() == "Transactions"
    assert page.locator("#id_type").input_value() == "CHARGE"
    assert page.locator("#transaction-results tbody tr").count() > 0
    context.close()
