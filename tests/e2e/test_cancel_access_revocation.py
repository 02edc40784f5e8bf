"""Browser: canceling a purchase whose Telegram removal fails shows "Removal pending" with the error; Retry
finishes it once the bot has the rights (issue 6)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from access.models import AccessGrant
from purchases.services import purchase_cancel
from tests import factories
from tests.access.botapi_stub import BotApiStub

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _patient_expect():
    """The shared 2-core machine can be slow: wait up to 15 s for the page to settle, then restore."""
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def botapi(settings):
    with BotApiStub() as stub:
        settings.TELEGRAM_API_BASE = stub.url
        yield stub


def test_a_failed_removal_is_visible_and_retry_finishes_it(
    page, sign_in, owner, merchant, botapi, screenshot
):
    merchant.telegram_bot_token = "123:TOKEN"
    merchant.save()
    customer = factories.CustomerFactory(merchant=merchant, name="Jane Roe")
    factories.TelegramAccountFactory(customer=customer, merchant=merchant)
    purchase = factories.PurchaseFactory(
        customer=customer, merchant=merchant, one_time=True, product__name="VIP room"
    )
    chat = factories.TelegramChatFactory(merchant=merchant, title="VIP room chat")
    chat.products.add(purchase.product)
    purchase.save()  # now that the product has a chat, the live purchase gets its grant
    botapi.fail("banChatMember", 400, "Bad Request: not enough rights to restrict/unrestrict chat member")
    purchase_cancel(
        actor=owner, now=timezone.now(), purchase=purchase, when="IMMEDIATELY", confirmation="CANCEL PURCHASE"
    )
    assert purchase.access_grants.get().status == AccessGrant.Status.REVOKE_PENDING
    botapi.heal()
    sign_in(owner)

    page.goto(f"/customers/{customer.public_id}/")
    alert = page.locator(f"#product-{purchase.pk} .product-alert")
    expect(alert).to_contain_text("Removal pending")
    # python-telegram-bot drops Telegram's "Bad Request: " prefix and capitalises the rest.
    expect(alert).to_contain_text(re.compile("not enough rights", re.IGNORECASE))
    screenshot(page, "removal-pending")
    alert.get_by_role("button", name="Retry").click()

    expect(page.locator(f"#product-{purchase.pk} .product-alert")).to_have_count(0, timeout=15_000)
    assert purchase.access_grants.get().status == AccessGrant.Status.REVOKED
    assert botapi.methods()[-2:] == ["banChatMember", "unbanChatMember"]
