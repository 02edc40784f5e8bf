import pytest

from access.telegram import TelegramClient, TelegramError


def test_remove_member_bans_then_unbans_only_if_banned(botapi):
    client = TelegramClient("123:TOKEN")

    client.remove_member(chat_id=-1001, user_id=42)

    assert botapi.methods() == ["banChatMember", "unbanChatMember"]
    assert botapi.calls[0]["token"] == "123:TOKEN"
    assert botapi.calls[0]["params"] == {"chat_id": -1001, "user_id": 42, "revoke_messages": False}
    assert botapi.calls[1]["params"] == {"chat_id": -1001, "user_id": 42, "only_if_banned": True}


def test_a_refusal_raises_with_the_bot_api_description(botapi):
    botapi.fail("banChatMember", 400, "Bad Request: not enough rights to restrict/unrestrict chat member")
    client = TelegramClient("123:TOKEN")

    with pytest.raises(TelegramError) as caught:
        client.remove_member(chat_id=-1001, user_id=42)

    assert caught.value.status == 400
    assert "not enough rights" in caught.value.message.lower()
    assert botapi.methods() == ["banChatMember"]


def test_a_member_already_gone_counts_as_removed(botapi):
    botapi.fail("banChatMember", 400, "Bad Request: user not found")

    TelegramClient("123:TOKEN").remove_member(chat_id=-1001, user_id=42)

    assert botapi.methods() == ["banChatMember"]


def test_an_unreachable_api_is_a_telegram_error(settings):
    settings.TELEGRAM_API_BASE = "http://127.0.0.1:9"

    with pytest.raises(TelegramError, match="unreachable"):
        TelegramClient("123:TOKEN", timeout=1).remove_member(chat_id=-1001, user_id=42)


def test_a_missing_token_is_a_clear_error():
    with pytest.raises(TelegramError, match="No Telegram bot token"):
        TelegramClient("")
