import pytest
from django.urls import reverse
from django.utils import timezone

from access.bot_settings import telegram_bot_connect, telegram_chat_check, telegram_chat_products_set
from access.models import TelegramBot
from tests import factories
from tests.access.botapi_stub import BotApiStub

TOKEN = "7000000001:AAHtestTOKENtestTOKENtestTOKEN12345"
CHAT_ID = -1001500000001


@pytest.fixture
def botapi(settings):
    """The Bot API stand-in, with settings.TELEGRAM_API_BASE pointing at it."""
    with BotApiStub() as stub:
        settings.TELEGRAM_API_BASE = stub.url
        yield stub


@pytest.fixture
def connected(merchant, botapi, owner):
    """The merchant's bot connected through Settings (getMe + setWebhook), one paid channel checked and given
    by one subscription product (sandbox ids)."""
    telegram_bot_connect(actor=owner, now=timezone.now(), merchant=merchant, token=TOKEN)
    botapi.add_chat(CHAT_ID, "Premium signals", username="premiumsignals")
    chat = telegram_chat_check(actor=owner, now=timezone.now(), merchant=merchant, ref="@premiumsignals")
    product = factories.ProductFactory(
        merchant=merchant,
        name="Signals monthly",
        provider_product_id="prod_signals",
        provider_price_id="price_signals",
        amount=1900,
        currency="eur",
    )
    telegram_chat_products_set(actor=owner, now=timezone.now(), chat=chat, products=[product])
    botapi.calls.clear()
    merchant.refresh_from_db()
    return {"chat": chat, "product": product, "bot": TelegramBot.objects.get(merchant=merchant)}


@pytest.fixture
def deliver(client, merchant, django_capture_on_commit_callbacks):
    """POST an update to the merchant's webhook as Telegram does, running what it enqueued (eager Celery)."""

    def _deliver(update, *, secret=None):
        checked = secret is None  # with the right secret, Telegram's own shapes must be accepted
        if secret is None:
            secret = TelegramBot.objects.get(merchant=merchant).webhook_secret
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("telegram-webhook", args=[merchant.slug]),
                data=update,
                content_type="application/json",
                HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=secret,
            )
        assert not checked or response.status_code == 200, response.content
        return response

    return _deliver
