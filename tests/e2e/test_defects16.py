"""Browser: the defects of issue 16 a new user hits — a refused action shows its message in place, Back
closes a modal, no console errors across the modals, and the pages fit at 1440 / 1024 / 768 px."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from merchants.models import Membership
from tests import factories
from transactions.models import Transaction

pytestmark = pytest.mark.django_db(transaction=True)

LONG_WORD = "x" * 20_000
WIDTHS = (1440, 1024, 768)


@pytest.fixture
def book(merchant, owner):
    """A customer with a subscription, a one-time payment and an access code, a chargeback and long notes."""
    now = timezone.now()
    customer = factories.CustomerFactory(
        merchant=merchant,
        name="Maria Schneider",
        email="maria.schneider@example.org",
        description="Prefers email " + LONG_WORD,
        first_purchase_at=now - timedelta(days=200),
    )
    subscription = factories.PurchaseFactory(customer=customer, merchant=merchant)
    one_time = factories.PurchaseFactory(customer=customer, merchant=merchant, one_time=True, amount=5000)
    factories.PurchaseFactory(
        customer=customer, merchant=merchant, access_code=True, access_expires_at=now + timedelta(days=30)
    )
    for i in range(3):
        factories.TransactionFactory(
            customer=customer,
            purchase=subscription,
            occurred_at=now - timedelta(days=30 * i),
            description="Subscription creation with a long description " * 2,
        )
    charge = factories.TransactionFactory(
        customer=customer, purchase=one_time, amount=5000, status=Transaction.Status.CHARGED_BACK
    )
    chargeback = factories.TransactionFactory(
        customer=customer,
        purchase=one_time,
        parent=charge,
        chargeback=True,
        amount=5000,
        status=Transaction.Status.LOST,
        reason="fraudulent",
    )
    factories.NoteFactory(transaction=charge, merchant=merchant, author=owner, body=LONG_WORD)
    return {
        "customer": customer,
        "subscription": subscription,
        "one_time": one_time,
        "charge": charge,
        "chargeback": chargeback,
    }


def _customer_page(page, book):
    page.goto(f"/customers/{book['customer'].public_id}/")
    expect(page.locator(f"#product-{book['subscription'].pk}")).to_be_visible()
    return page


def _open_transactions(page, purchase):
    product = page.locator(f"#product-{purchase.pk}")
    product.locator("details.product-txns summary").click()
    expect(product.locator(".product-txns-body table")).to_be_visible(timeout=15_000)
    return product


def test_a_refused_action_shows_its_message_in_place(page, sign_in, merchant, manager, book, screenshot):
    sign_in(manager)
    _customer_page(page, book)
    product = _open_transactions(page, book["one_time"])
    add = product.locator(f"#txn-{book['chargeback'].pk}").get_by_role("link", name="Add repayment")
    expect(add).to_be_visible()
    # The role changes while the page is open (an owner demoted this manager): the next click is refused.
    Membership.objects.filter(user=manager, merchant=merchant).update(role="SUPPORT")

    add.click()

    message = page.locator("#modal #forbidden-message")
    expect(message).to_contain_text("does not allow")
    expect(page.locator(f"#product-{book['subscription'].pk}")).to_be_visible()  # the page is still there
    assert page.url.endswith(f"/customers/{book['customer'].public_id}/")
    screenshot(page, "forbidden-in-place", full_page=False)
    page.locator("#modal .modal-footer").get_by_role("button", name="Close").click()
    expect(page.locator("#modal .modal")).to_have_count(0)


def test_a_support_agent_is_not_offered_add_repayment(page, sign_in, support, book):
    sign_in(support)
    _customer_page(page, book)
    product = _open_transactions(page, book["one_time"])

    expect(product.locator(f"#txn-{book['chargeback'].pk}")).to_be_visible()
    expect(product.get_by_role("link", name="Add repayment")).to_have_count(0)


def test_back_closes_the_modal_and_stays_on_the_page(page, sign_in, owner, book):
    sign_in(owner)
    page.goto("/customers/")
    _customer_page(page, book)
    url = page.url
    product = page.locator(f"#product-{book['subscription'].pk}")

    product.get_by_role("link", name="Cancel purchase").click()
    expect(page.locator("#modal .modal")).to_be_visible()
    page.go_back()

    expect(page.locator("#modal .modal")).to_have_count(0)
    assert page.url == url
    expect(product).to_be_visible()

    # Closed by its own button, the modal leaves no history entry behind: Back leaves the page.
    product.get_by_role("link", name="Cancel purchase").click()
    expect(page.locator("#modal .modal")).to_be_visible()
    page.locator("#modal .modal-x").click()
    expect(page.locator("#modal .modal")).to_have_count(0)
    page.wait_for_timeout(300)
    page.go_back()
    page.wait_for_url("**/customers/")
    expect(page.locator("#modal .modal")).to_have_count(0)


def test_no_console_errors_across_the_modals(page, sign_in, owner, book):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(owner)
    _customer_page(page, book)
    modal = page.locator("#modal .modal")
    subscription = page.locator(f"#product-{book['subscription'].pk}")

    for opener in (
        subscription.get_by_role("link", name="Cancel", exact=True),
        subscription.get_by_role("link", name="Cancel purchase"),
        page.locator("#customer-header").get_by_role("link", name="Manage customer details"),
    ):
        opener.click()
        expect(modal).to_be_visible()
        page.keyboard.press("Escape")
        expect(modal).to_have_count(0)

    product = _open_transactions(page, book["one_time"])
    product.locator(f"#txn-{book['chargeback'].pk}").get_by_role("link", name="Add repayment").click()
    expect(modal.locator("#modal-title")).to_have_text("Add repayment")
    modal.locator("#repayment-link-submit").click()  # the submit whose hx-disabled-elt found no button
    expect(modal.locator("#repayment-link-created")).to_be_visible()
    page.keyboard.press("Escape")

    charge = book["subscription"].transactions.first()
    page.goto(f"/transactions/{charge.pk}/")
    page.get_by_role("link", name="Credit").click()
    expect(modal).to_be_visible()
    page.keyboard.press("Escape")
    page.wait_for_load_state("networkidle")

    assert errors == []


def _fits(page):
    """The document is no wider than the viewport, and no element pokes out to the right of it."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const out = [];
          const selector = '*';
          for (const el of document.querySelectorAll(selector)) {
            const r = el.getBoundingClientRect();
            const scrolled = el.parentElement && el.parentElement.closest('.table-wrap');
            if (r.width && r.right > width + 1 && !scrolled && !el.closest('.visually-hidden')) {
              out.push((el.id ? '#' + el.id : el.className || el.tagName) + ' ' + Math.round(r.right));
            }
          }
          return {scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 8)};
        }"""
    )


def _table_fits(page, selector):
    return page.evaluate(
        f"""() => {{ const w = document.querySelector('{selector}');
            return w ? [w.scrollWidth, w.clientWidth] : null; }}"""
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_pages_fit_the_viewport(page, sign_in, owner, book, screenshot, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(owner)

    _customer_page(page, book)
    _open_transactions(page, book["subscription"])
    page.locator("#customer-header").scroll_into_view_if_needed()
    fit = _fits(page)
    assert fit["scroll"] <= fit["width"] and fit["out"] == [], ("customer page", fit)
    for button in page.locator(".product-actions .btn").all():
        box, card = button.bounding_box(), button.locator("xpath=ancestor::article[1]").bounding_box()
        assert box["x"] >= card["x"] - 1 and box["x"] + box["width"] <= card["x"] + card["width"] + 1
    screenshot(page, f"defects16-customer-{width}")

    page.goto("/transactions/")
    fit = _fits(page)
    assert fit["scroll"] <= fit["width"] and fit["out"] == [], ("transactions", fit)
    scroll, client = _table_fits(page, ".table-wrap")
    if width >= 1024:
        assert scroll <= client + 1, ("transactions table overflows its card", scroll, client)
    screenshot(page, f"defects16-transactions-{width}")

    for name in ("Customers", "Transactions", "Audit", "Staff", "Settings"):
        link = page.locator(".mainnav").get_by_role("link", name=name, exact=True)
        expect(link).to_be_visible()
        box, nav = link.bounding_box(), page.locator(".mainnav").bounding_box()
        assert box["x"] >= nav["x"] - 1 and box["x"] + box["width"] <= nav["x"] + nav["width"] + 1, (
            name,
            box,
        )
    scroll, client = page.locator(".mainnav").evaluate("n => [n.scrollWidth, n.clientWidth]")
    assert scroll <= client + 1, ("the navigation hides links", scroll, client)
    menu = page.locator(".usermenu summary")
    expect(menu).to_be_visible()
    box = menu.bounding_box()
    assert box["x"] + box["width"] <= width
    screenshot(page, f"defects16-nav-{width}", full_page=False)

    page.goto(f"/transactions/{book['charge'].pk}/")
    fit = _fits(page)
    assert fit["scroll"] <= fit["width"] and fit["out"] == [], ("transaction with a long note", fit)
