"""Browser: a modal takes the focus, keeps it (Tab and Shift+Tab cycle inside), and gives it back to the
control that opened it when it closes (Escape, Cancel or Back)."""

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def customer(merchant):
    customer = factories.CustomerFactory(merchant=merchant, name="Jane Roe")
    factories.CustomerIdentifierFactory(
        customer=customer, identifier=factories.IdentifierFactory(merchant=merchant)
    )
    return customer


def focus_in_modal(page) -> bool:
    return page.evaluate(
        "() => Boolean(document.activeElement && document.activeElement.closest('#modal .modal'))"
    )


def test_the_modal_traps_the_focus_and_returns_it_to_its_opener(page, sign_in, owner, customer):
    sign_in(owner)
    page.goto(f"/customers/{customer.public_id}/")
    opener = page.locator("#manage-details")
    opener.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#modal .modal")).to_be_visible()
    expect(page.locator("#modal .modal :focus")).to_have_count(1)

    for _ in range(40):  # more presses than the modal has controls: the focus never leaves it
        page.keyboard.press("Tab")
        assert focus_in_modal(page)
    for _ in range(5):
        page.keyboard.press("Shift+Tab")
        assert focus_in_modal(page)

    page.keyboard.press("Escape")
    expect(page.locator("#modal .modal")).to_have_count(0)
    expect(opener).to_be_focused()

    opener.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#modal .modal")).to_be_visible()
    page.locator("#modal [data-modal-close].btn").click()
    expect(page.locator("#modal .modal")).to_have_count(0)
    expect(opener).to_be_focused()

    opener.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#modal .modal")).to_be_visible()
    page.go_back()
    expect(page.locator("#modal .modal")).to_have_count(0)
    expect(opener).to_be_focused()
