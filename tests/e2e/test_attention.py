"""Browser: the Needs attention queue walked with the keyboard only, a removal retried from it, and a row
taken by one agent seen taken by another (two browser contexts)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from access.models import AccessGrant
from purchases.services import purchase_cancel
from refunds.models import Repayment
from tests import factories
from tests.access.botapi_stub import BotApiStub
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _patient_expect():
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def botapi(settings):
    with BotApiStub() as stub:
        settings.TELEGRAM_API_BASE = stub.url
        yield stub


def pending_removal(merchant, owner, botapi):
    merchant.telegram_bot_token = "123:TOKEN"
    merchant.save()
    customer = factories.CustomerFactory(merchant=merchant, name="Jane Roe", email="jane@example.com")
    factories.TelegramAccountFactory(customer=customer, merchant=merchant)
    purchase = factories.PurchaseFactory(
        customer=customer, merchant=merchant, one_time=True, product__name="VIP"
    )
    chat = factories.TelegramChatFactory(merchant=merchant, title="VIP room chat")
    chat.products.add(purchase.product)
    purchase.save()
    botapi.fail("banChatMember", 400, "Bad Request: not enough rights to restrict/unrestrict chat member")
    purchase_cancel(
        actor=owner, now=timezone.now(), purchase=purchase, when="IMMEDIATELY", confirmation="CANCEL PURCHASE"
    )
    grant = purchase.access_grants.get()
    assert grant.status == AccessGrant.Status.REVOKE_PENDING
    botapi.heal()
    return grant


def other_rows(merchant):
    factories.CreditFactory(
        transaction__customer__merchant=merchant, transaction__customer__email="bob@example.com"
    )
    factories.ProviderEventFactory(
        merchant=merchant,
        status="FAILED",
        error="Malformed event: amount is not a number",
        type="charge.refunded",
    )
    factories.DisputeFactory(
        transaction__customer__merchant=merchant, due_by=timezone.now() + timedelta(days=2)
    )
    factories.RepaymentFactory(
        chargeback__customer__merchant=merchant,
        method=Repayment.Method.LINK,
        expires_at=timezone.now() + timedelta(hours=6),
    )
    factories.TransactionFactory(customer__merchant=merchant, blocked_detail_used=True)


def test_walk_the_queue_with_the_keyboard_and_retry_a_removal(
    page, sign_in, owner, merchant, botapi, screenshot
):
    grant = pending_removal(merchant, owner, botapi)
    other_rows(merchant)
    sign_in(owner)
    page.goto("/attention/")
    expect(page.locator("#nav-attention .nav-badge")).to_have_text("6")
    rows = page.locator("[data-keyboard-list] tbody tr[data-href]")
    expect(rows).to_have_count(6)
    removal = page.locator(f"#attention-removal-{grant.pk}")
    expect(removal).to_contain_text(re.compile("not enough rights", re.IGNORECASE))
    for width in (1440, 1024, 768):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"attention-{width}")
    page.set_viewport_size({"width": 1440, "height": 900})

    page.keyboard.press("?")
    expect(page.locator("#shortcuts-dialog")).to_be_visible()
    screenshot(page, "attention-shortcuts", full_page=False)
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts-dialog")).to_be_hidden()

    # j moves down row by row, k back up; the removal is the oldest row ("since" 0 s ago is the newest)
    index = [rows.nth(i).get_attribute("id") for i in range(6)].index(f"attention-removal-{grant.pk}")
    for _ in range(index + 2 if index < 5 else index + 1):
        page.keyboard.press("j")
    if index < 5:
        page.keyboard.press("k")
    expect(removal).to_have_class("row-focus")
    # shortcuts never fire with a modifier key held, nor while typing in a field
    page.keyboard.press("Control+j")
    page.keyboard.press("Alt+k")
    expect(removal).to_have_class("row-focus")
    page.locator("#id_kind").focus()
    page.keyboard.press("j")
    expect(removal).to_have_class("row-focus")
    page.locator("#id_kind").evaluate("el => el.blur()")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/customers/{grant.purchase.customer.public_id}/")
    expect(page.locator(f"#product-{grant.purchase_id} .product-alert")).to_contain_text("Removal pending")

    page.go_back()
    expect(removal).to_be_visible()
    removal.get_by_role("button", name="Retry removal").click()
    expect(page.locator(f"#attention-removal-{grant.pk}")).to_have_count(0)
    expect(rows).to_have_count(5)
    grant.refresh_from_db()
    assert grant.status == AccessGrant.Status.REVOKED
    assert botapi.methods()[-2:] == ["banChatMember", "unbanChatMember"]


def test_a_row_taken_by_one_agent_is_taken_for_another(browser, live_server, merchant, manager, support):
    credit = factories.CreditFactory(transaction__customer__merchant=merchant)
    row_id = f"#attention-credit-{credit.pk}"
    pages = []
    for user in (manager, support):
        context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=live_server.url)
        agent = context.new_page()
        agent.goto("/accounts/login/")
        agent.fill("input[name=username]", user.email)
        agent.fill("input[name=password]", PASSWORD)
        agent.click("#sign-in")
        agent.wait_for_load_state("networkidle")
        agent.goto("/attention/")
        pages.append(agent)
    first, second = pages
    try:
        first.locator(row_id).get_by_role("button", name="Take").click()
        expect(first.locator(row_id)).to_contain_text("You")
        # the second agent's page is older: taking the row now says who has it
        second.locator(row_id).get_by_role("button", name="Take").click()
        expect(second.locator(".flashes")).to_contain_text(
            f"{manager.get_full_name()} has taken this already."
        )
        expect(second.locator(row_id)).to_contain_text(manager.get_full_name())
        expect(second.locator(row_id).get_by_role("button", name="Take")).to_have_count(0)
        # released, the row can be taken again
        first.locator(row_id).get_by_role("button", name="Release").click()
        second.reload()
        second.locator(row_id).get_by_role("button", name="Take").click()
        expect(second.locator(row_id)).to_contain_text("You")
    finally:
        for agent in pages:
            agent.context.close()
