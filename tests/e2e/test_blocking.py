"""Browser: block one detail, Block all, Unblock all, and read a detail's log (issue 5)."""

import re

import pytest
from playwright.sync_api import expect

from customers.models import BlockEvent, Customer, Identifier
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_radar(monkeypatch):
    monkeypatch.setattr("customers.tasks.provider_mirrors_radar", lambda merchant: False)


@pytest.fixture
def customer(merchant):
    customer = factories.CustomerFactory(
        merchant=merchant,
        name="Jane Roe",
        email="jane.roe@example.org",
        provider_customer_id="cus_NffrFeUfNV2Hib",
    )
    twin = factories.CustomerFactory(merchant=merchant, name="Jon Roe")
    details = [
        factories.IdentifierFactory(merchant=merchant, value="fp_visa4242", display="Visa •••• 4242, 04/28"),
        factories.IdentifierFactory(
            merchant=merchant,
            value="fp_mc4444",
            brand="mastercard",
            last4="4444",
            display="Mastercard •••• 4444, 11/27",
            radar_status="SYNCED",
        ),
        factories.IdentifierFactory(merchant=merchant, sepa=True),
        factories.IdentifierFactory(merchant=merchant, email=True, value="jane.roe@example.org"),
        factories.IdentifierFactory(merchant=merchant, customer_id=True, value="cus_NffrFeUfNV2Hib"),
    ]
    for identifier in details:
        factories.CustomerIdentifierFactory(customer=customer, identifier=identifier)
    factories.CustomerIdentifierFactory(customer=twin, identifier=details[0])  # a shared card
    return customer


def open_modal(page, customer):
    page.goto(f"/customers/{customer.public_id}/?tab=info")
    page.click("#manage-details")
    modal = page.locator("#modal .identifier-manage")
    expect(modal).to_be_visible()
    return modal


def row(modal, text):
    return modal.locator(".detail-toggle", has_text=text)


def test_toggling_one_detail_blocks_it_and_refreshes_the_info_tab(page, sign_in, owner, customer, screenshot):
    sign_in(owner)
    modal = open_modal(page, customer)
    expect(row(modal, "Visa •••• 4242")).to_contain_text("Also used by 1 other customer")

    row(modal, "Visa •••• 4242").locator(".switch").click()
    modal.locator("label.radio-card", has_text="Fraud").click()
    screenshot(page, "block-modal")
    modal.locator("#save-details").click()

    expect(page.locator("#modal .modal")).to_have_count(0)
    expect(page.locator("#toasts")).to_contain_text("1 blocked")
    expect(page.locator("tr", has_text="Visa •••• 4242").locator(".badge-danger")).to_have_text("Blocked")
    card = Identifier.objects.get(value="fp_visa4242")
    assert card.is_blocked and card.block_events.get().reason == "FRAUD"


def test_block_all_blocks_the_customer_and_unblock_all_lifts_it(page, sign_in, owner, customer):
    sign_in(owner)
    modal = open_modal(page, customer)

    modal.locator("label.radio-card", has_text="Chargeback abuse").click()
    modal.locator("#block-all").click()

    expect(page.locator("#customer-blocked")).to_be_visible()
    assert Identifier.objects.filter(is_blocked=True).count() == 5

    modal = open_modal(page, customer)
    expect(modal.locator(".detail-toggle.is-blocked")).to_have_count(5)
    modal.locator("#unblock-all").click()

    expect(page.locator("#customer-blocked")).to_have_count(0)
    assert not Identifier.objects.filter(is_blocked=True).exists()
    assert not Customer.objects.get(pk=customer.pk).is_blocked


def test_reason_other_needs_a_text_in_the_browser(page, sign_in, owner, customer):
    sign_in(owner)
    modal = open_modal(page, customer)

    row(modal, "Visa •••• 4242").locator(".switch").click()
    modal.locator("label.radio-card", has_text="Other").click()
    modal.locator("#save-details").click()

    expect(page.locator("#modal")).to_contain_text("Describe the reason")
    assert not BlockEvent.objects.exists()


def test_a_support_agent_cannot_switch_off_a_blocked_detail(page, sign_in, support, customer, screenshot):
    Identifier.objects.filter(value="fp_mc4444").update(is_blocked=True)
    sign_in(support)
    modal = open_modal(page, customer)

    expect(modal.locator(".unblock-note")).to_be_visible()
    expect(row(modal, "Mastercard").locator("input[type=checkbox]")).to_be_disabled()
    expect(modal.locator("#unblock-all")).to_have_count(0)
    screenshot(page, "block-modal-support")


def test_a_details_log_shows_each_block_and_unblock(page, sign_in, owner, customer, screenshot):
    sign_in(owner)
    modal = open_modal(page, customer)
    row(modal, "Visa •••• 4242").locator(".switch").click()
    modal.locator("label.radio-card", has_text="Other").click()
    modal.locator("input[name=reason_text]").fill("Card reported stolen by the bank")
    modal.locator("#save-details").click()
    expect(page.locator("#modal .modal")).to_have_count(0)
    modal = open_modal(page, customer)
    row(modal, "Visa •••• 4242").locator(".switch").click()
    modal.locator("#save-details").click()
    expect(page.locator("#modal .modal")).to_have_count(0)

    page.locator("tr", has_text="Visa •••• 4242").locator(".log-link").click()

    log = page.locator("#modal .modal")
    expect(log).to_contain_text("Card reported stolen by the bank")
    expect(log.locator("tbody tr")).to_have_count(2)
    expect(log.locator("tbody tr").first).to_contain_text("Unblocked")
    expect(log.locator("tbody tr").nth(1)).to_contain_text(re.compile("Blocked"))
    screenshot(page, "block-log")


def test_the_modal_works_as_a_page_without_javascript(browser, live_server, owner, customer):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", owner.email)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("#sign-in")

    page.goto(f"/customers/{customer.public_id}/details/manage/")
    page.locator(".detail-toggle", has_text="Visa •••• 4242").locator(".switch").click()
    page.click("#save-details")

    assert "tab=info" in page.url
    assert Identifier.objects.get(value="fp_visa4242").is_blocked
    context.close()


def test_block_all_linked_lists_the_linked_customers_and_blocks_the_ticked(
    page, sign_in, support, customer, screenshot
):
    merchant = customer.merchant
    email_twin = factories.CustomerFactory(merchant=merchant, name="Joy Roe")
    factories.CustomerIdentifierFactory(
        customer=email_twin, identifier=Identifier.objects.get(value="jane.roe@example.org")
    )
    sign_in(support)
    page.goto(f"/customers/{customer.public_id}/?tab=info")
    panel = page.locator("#linked-customers")
    expect(panel.locator("tbody tr")).to_have_count(2)
    expect(panel.locator("tr", has_text="Jon Roe")).to_contain_text("Visa •••• 4242")
    expect(panel.locator("tr", has_text="Joy Roe")).to_contain_text("jane.roe@example.org")

    panel.locator("#block-linked").click()
    modal = page.locator("#modal .linked-block")
    expect(modal).to_be_visible()
    expect(modal.locator("input[name=customers]:checked")).to_have_count(2)
    modal.locator("li", has_text="Joy Roe").locator("input[name=customers]").uncheck()
    modal.locator("label.radio-card", has_text="Fraud").click()
    screenshot(page, "block-linked-modal")
    modal.locator("#confirm-block-linked").click()

    expect(page.locator("#modal .modal")).to_have_count(0)
    expect(page.locator("#toasts")).to_contain_text("Blocked 1 linked customer")
    expect(page.locator("#linked-customers tr", has_text="Jon Roe").locator(".badge-danger")).to_have_text(
        "Blocked"
    )
    expect(page.locator("#linked-customers tr", has_text="Joy Roe").locator(".badge-success")).to_have_text(
        "Active"
    )
    assert Customer.objects.get(name="Jon Roe").is_blocked
    assert not Customer.objects.get(name="Joy Roe").is_blocked
    assert set(BlockEvent.objects.filter(customer__name="Jon Roe").values_list("source", flat=True)) == {
        "BLOCK_LINKED"
    }
