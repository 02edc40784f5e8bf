import pytest

from tests.access.botapi_stub import BotApiStub


@pytest.fixture
def botapi(settings):
    """The Bot API stand-in, with settings.TELEGRAM_API_BASE pointing at it."""
    with BotApiStub() as stub:
        settings.TELEGRAM_API_BASE = stub.url
        yield stub
