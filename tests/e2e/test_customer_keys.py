"""Browser: the customer page's keys. d / t / s / i / a open the tabs, c / x / b open the same modal as the
Credit, Cancel and Manage details buttons, ? lists them; no key fires while typing in a field or while a modal
is open, and everything stays reachable with the buttons."""

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _patient_expect():
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def customer(merchant):
    customer = factories.CustomerFactory(merchant=merchant, name="Jane Roe", email="jane.roe@example.org")
    purchase = factories.PurchaseFactory(
        customer=customer, merchant=merchant, product__name="Premium signals"
    )
    factories.TransactionFactory(customer=customer, purchase=purchase, amount=4900)
    return customer


def _settled(page):
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')")


def _press_and_expect_modal(page, key, title):
    page.keyboard.press(key)
    modal = page.locator("#modal .modal")
    expect(modal.locator("#modal-title")).to_have_text(title)
    page.keyboard.press("Escape")
    expect(modal).to_have_count(0)


def test_keys_open_the_tabs_and_the_same_modals_as_the_buttons(page, sign_in, owner, customer):
    sign_in(owner)
    page.goto(f"/customers/{customer.public_id}/")
    _settled(page)

    tabs = (("t", "transactions"), ("s", "stats"), ("i", "info"), ("a", "activity"), ("d", "details"))
    for key, tab in tabs:
        page.keyboard.press(key)
        expect(page.locator(f"#tab-{tab}")).to_have_attribute("aria-selected", "true")
        expect(page.locator(".tab-panel")).to_have_attribute("data-tab", tab)
        _settled(page)

    _press_and_expect_modal(page, "c", "Credit transaction")
    expect(page.locator("#credit-last")).to_be_focused()  # the modal gave the focus back to the button
    _press_and_expect_modal(page, "x", "Cancel subscription")
    _press_and_expect_modal(page, "b", "Manage customer details")

    page.keyboard.press("?")
    shortcuts = page.locator("#shortcuts-dialog")
    expect(shortcuts).to_be_visible()
    for label in ("Credit the last payment", "Cancel the first subscription", "Manage details", "Stats tab"):
        expect(shortcuts).to_contain_text(label)
    page.keyboard.press("Escape")
    expect(shortcuts).not_to_be_visible()


def test_keys_do_nothing_while_typing_or_while_a_modal_is_open(page, sign_in, owner, customer):
    sign_in(owner)
    page.goto(f"/customers/{customer.public_id}/")
    _settled(page)

    search = page.locator("input[type=search]").first
    search.focus()
    page.keyboard.type("stacked")  # s, t, a, c, d: every one a page key, none may fire
    expect(search).to_have_value("stacked")
    expect(page.locator("#modal .modal")).to_have_count(0)
    expect(page.locator("#tab-details")).to_have_attribute("aria-selected", "true")

    search.blur()
    page.keyboard.press("b")
    modal = page.locator("#modal .modal")
    expect(modal.locator("#modal-title")).to_have_text("Manage customer details")
    page.keyboard.press("s")  # inside the modal: not the Stats tab, not another modal
    page.keyboard.press("c")
    expect(modal.locator("#modal-title")).to_have_text("Manage customer details")
    expect(page.locator("#tab-details")).to_have_attribute("aria-selected", "true")

    page.keyboard.press("Escape")
    page.locator("#credit-last").click()  # and the buttons still do the same without keys
    expect(modal.locator("#modal-title")).to_have_text("Credit transaction")
