"""Browser: Settings > Telegram (connect the bot, add chats, see what the bot lacks), the Chats page (a member
who is not entitled, removed by staff) and the customer page's Telegram panel (states, resend invite)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from access.bot_settings import telegram_bot_connect, telegram_chat_check
from access.models import ChatMember
from tests import factories
from tests.access.botapi_stub import BotApiStub
from tests.access.conftest import TOKEN

pytestmark = pytest.mark.django_db(transaction=True)
WIDTHS = (1440, 1024, 768)


@pytest.fixture(autouse=True)
def _patient_expect():
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def botapi(settings):
    with BotApiStub() as stub:
        settings.TELEGRAM_API_BASE = stub.url
        stub.add_chat(-1001500000001, "Premium signals", username="premiumsignals")
        stub.add_chat(
            -1001500000002, "Members lounge", username="memberslounge", kind="supergroup", rights=False
        )
        yield stub


def _shots(page, screenshot, name):
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1366, "height": 900})


@pytest.fixture
def bot_with_chat(merchant, owner, botapi):
    now = timezone.now()
    telegram_bot_connect(actor=owner, now=now, merchant=merchant, token=TOKEN)
    merchant.refresh_from_db()
    chat = telegram_chat_check(actor=owner, now=now, merchant=merchant, ref="@premiumsignals")
    product = factories.ProductFactory(merchant=merchant, name="Signals monthly")
    chat.products.add(product)
    return chat, product


def test_an_owner_connects_the_bot_and_adds_chats(page, sign_in, owner, merchant, botapi, screenshot):
    factories.ProductFactory(merchant=merchant, name="Signals monthly")
    sign_in(owner)
    page.goto("/settings/telegram/")

    page.fill("#bot-token-form input[name=token]", TOKEN)
    page.click("#bot-token-form button[type=submit]")
    expect(page.locator("#bot-username")).to_have_text("@teller_test_bot")
    assert TOKEN not in page.content()

    page.fill("#chat-add-form input[name=chat]", "@premiumsignals")
    page.click("#chat-add-form button[type=submit]")
    expect(page.locator("#chat-table")).to_contain_text("Premium signals")
    page.fill("#chat-add-form input[name=chat]", "@memberslounge")
    page.click("#chat-add-form button[type=submit]")
    expect(page.locator("#chat-table")).to_contain_text("The bot needs: administrator status")

    row = page.locator("#chat-table tr", has_text="Premium signals")
    row.get_by_label("Signals monthly").check()
    row.get_by_role("button", name="Save products").click()
    expect(page.locator(".flashes, .flash").first).to_contain_text(
        "Products giving access to Premium signals"
    )
    expect(
        page.locator("#chat-table tr", has_text="Premium signals").get_by_label("Signals monthly")
    ).to_be_checked()
    _shots(page, screenshot, "telegram-settings")


def test_the_chats_page_shows_a_member_who_is_not_entitled_and_staff_remove_them(
    page, sign_in, owner, merchant, botapi, bot_with_chat, screenshot
):
    chat, product = bot_with_chat
    buyer = factories.CustomerFactory(merchant=merchant, name="Ann Buyer")
    account = factories.TelegramAccountFactory(customer=buyer, merchant=merchant, username="ann_buys")
    factories.PurchaseFactory(customer=buyer, merchant=merchant, product=product)
    factories.ChatMemberFactory(chat=chat, telegram_user_id=account.telegram_user_id, username="ann_buys")
    factories.ChatMemberFactory(chat=chat, username="walked_in", first_name="Walk")
    waiting = factories.CustomerFactory(merchant=merchant, name="Bea Waiting")
    factories.TelegramAccountFactory(customer=waiting, merchant=merchant, username="bea_waits")
    factories.PurchaseFactory(customer=waiting, merchant=merchant, product=product)
    sign_in(owner)

    page.goto("/telegram/chats/")
    page.get_by_role("link", name="Premium signals").first.click()
    expect(page.locator("#not-entitled")).to_contain_text("@walked_in")
    expect(page.locator("#paying")).to_contain_text("@ann_buys")
    expect(page.locator("#waiting")).to_contain_text("Bea Waiting")
    _shots(page, screenshot, "telegram-chat")

    page.locator("#not-entitled tr", has_text="@walked_in").get_by_role("button", name="Remove").click()

    expect(page.locator("#not-entitled")).not_to_contain_text("@walked_in")
    assert ChatMember.objects.get(username="walked_in").status == ChatMember.Status.KICKED
    assert [c["method"] for c in botapi.calls][-2:] == ["banChatMember", "unbanChatMember"]


def test_the_customer_panel_shows_the_state_per_chat_and_resends_the_invite(
    page, sign_in, owner, merchant, botapi, bot_with_chat, screenshot
):
    chat, product = bot_with_chat
    customer = factories.CustomerFactory(merchant=merchant, name="Ann Buyer")
    factories.TelegramAccountFactory(customer=customer, merchant=merchant, username="ann_buys")
    factories.PurchaseFactory(customer=customer, merchant=merchant, product=product)  # invite sent on commit
    sign_in(owner)

    page.goto(f"/customers/{customer.public_id}/")
    page.locator("#customer-telegram-card summary").click()
    panel = page.locator("#customer-telegram")
    expect(panel).to_contain_text("@ann_buys")
    expect(panel).to_contain_text("Invited")
    expect(panel.locator("input.deep-link")).to_have_value(
        re.compile(r"^https://t\.me/teller_test_bot\?start=[A-Za-z0-9_-]{16,64}$")
    )
    _shots(page, screenshot, "telegram-panel")
    before = len([c for c in botapi.calls if c["method"] == "createChatInviteLink"])

    panel.get_by_role("button", name="Resend invite link").click()

    expect(page.locator(".flashes, .flash").first).to_contain_text("Sent 1 new invite link")
    assert len([c for c in botapi.calls if c["method"] == "createChatInviteLink"]) == before + 1
