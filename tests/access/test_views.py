"""Settings > Telegram, the Chats page and the customer page's Telegram panel, through the real views."""

import pytest
from django.urls import reverse

from access.models import AccessGrant, ChatMember, TelegramAccount, TelegramBot, TelegramChat
from audit.models import AuditEvent
from tests import factories
from tests.access.botapi_stub import BOT_USERNAME, user
from tests.access.conftest import CHAT_ID, TOKEN

pytestmark = pytest.mark.django_db
SETTINGS = reverse("access:settings")
STRANGER = user(822000001, username="walked_in", first_name="Walk")


def test_saving_the_token_checks_it_registers_the_webhook_and_never_shows_it(owner_client, botapi, merchant):
    response = owner_client.post(SETTINGS, {"action": "token", "token": TOKEN}, follow=True)

    page = response.content.decode()
    assert f"@{BOT_USERNAME}" in page
    assert TOKEN not in page and TOKEN.split(":")[1] not in page
    bot = TelegramBot.objects.get(merchant=merchant)
    hook = botapi.webhook
    assert hook["url"] == f"http://127.0.0.1:8000/webhooks/telegram/{merchant.slug}/"
    assert hook["secret_token"] == bot.webhook_secret and len(bot.webhook_secret) >= 32
    assert set(hook["allowed_updates"]) >= {"message", "chat_member", "chat_join_request", "my_chat_member"}
    merchant.refresh_from_db()
    assert merchant.telegram_bot_token == TOKEN
    event = AuditEvent.objects.get(action="settings.telegram_bot")
    assert event.data["token"] == "changed" and TOKEN not in str(event.data)
    assert bot.webhook_secret not in str(event.data)


def test_a_token_telegram_does_not_know_saves_nothing(owner_client, settings, merchant):
    from tests.access.botapi_stub import BotApiStub

    with BotApiStub(token="1:the-only-valid-token-here-000") as stub:
        settings.TELEGRAM_API_BASE = stub.url
        response = owner_client.post(SETTINGS, {"action": "token", "token": TOKEN}, follow=True)

    assert "Unauthorized" in response.content.decode()
    merchant.refresh_from_db()
    assert merchant.telegram_bot_token == ""
    assert not AuditEvent.objects.filter(action="settings.telegram_bot").exists()


def test_a_malformed_token_is_refused_without_calling_telegram(owner_client, botapi):
    response = owner_client.post(SETTINGS, {"action": "token", "token": "not-a-token"}, follow=True)

    assert "does not look like a bot token" in response.content.decode()
    assert botapi.calls == []


@pytest.mark.parametrize("client_name", ["manager_client", "support_client"])
def test_only_owners_open_the_telegram_settings(request, client_name):
    client = request.getfixturevalue(client_name)

    assert client.get(SETTINGS).status_code == 403
    assert client.post(SETTINGS, {"action": "token", "token": TOKEN}).status_code == 403


def test_the_page_says_plainly_what_the_bot_is_missing(owner_client, connected, botapi):
    botapi.add_chat(-1001700000001, "Free group", username="freegroup", kind="supergroup", rights=False)
    botapi.add_chat(-1001700000002, "Half channel", username="halfchan", rights={"can_invite_users": False})

    owner_client.post(SETTINGS, {"action": "chat_add", "chat": "@freegroup"})
    response = owner_client.post(
        SETTINGS, {"action": "chat_add", "chat": "https://t.me/halfchan"}, follow=True
    )

    page = response.content.decode()
    assert "The bot needs: administrator status, ban users (remove members), invite users via link." in page
    assert "The bot needs: invite users via link." in page
    half = TelegramChat.objects.get(chat_id=-1001700000002)
    assert half.bot_is_admin and half.bot_missing_rights == ["invite users via link"]


def test_an_unknown_chat_is_a_clear_message_and_adds_nothing(owner_client, connected):
    response = owner_client.post(SETTINGS, {"action": "chat_add", "chat": "@nosuchchat"}, follow=True)

    assert "could not find that chat" in response.content.decode()
    assert TelegramChat.objects.count() == 1


def test_products_giving_a_chat_are_saved_and_audited(owner_client, connected, merchant):
    other = factories.ProductFactory(merchant=merchant, name="Yearly")
    chat = connected["chat"]

    owner_client.post(SETTINGS, {"action": "chat_products", "chat": chat.pk, "products": [other.pk]})

    assert list(chat.products.all()) == [other]
    event = AuditEvent.objects.filter(action="settings.telegram_chat_products").latest("id")
    assert event.data == {"before": ["Signals monthly"], "after": ["Yearly"]}


def test_another_merchants_product_cannot_be_given_a_chat(owner_client, connected, other_merchant):
    foreign = factories.ProductFactory(merchant=other_merchant)
    chat = connected["chat"]

    owner_client.post(SETTINGS, {"action": "chat_products", "chat": chat.pk, "products": [foreign.pk]})

    assert list(chat.products.all()) == [connected["product"]]


# -- Chats page --------------------------------------------------------------------------------------------


def test_a_member_who_joined_without_a_purchase_is_not_entitled_and_can_be_removed(
    owner_client, connected, botapi, deliver
):
    chat = connected["chat"]
    deliver(botapi.chat_member_update(CHAT_ID, STRANGER, "left", "member"))
    url = reverse("access:chat-detail", args=[chat.pk])

    page = owner_client.get(url).content.decode()
    assert "@walked_in" in page and "Not entitled" in page

    owner_client.post(
        reverse("access:chat-member-remove", args=[chat.pk]), {"telegram_user_id": STRANGER["id"]}
    )

    assert botapi.calls_of("banChatMember") == [
        {"chat_id": CHAT_ID, "user_id": STRANGER["id"], "revoke_messages": False}
    ]
    assert ChatMember.objects.get(telegram_user_id=STRANGER["id"]).status == ChatMember.Status.KICKED
    assert AuditEvent.objects.filter(action="access.staff_remove").exists()
    assert "@walked_in" not in owner_client.get(url).content.decode()


def test_a_not_entitled_member_can_be_linked_to_a_customer(
    owner_client, connected, botapi, deliver, merchant
):
    chat = connected["chat"]
    deliver(botapi.chat_member_update(CHAT_ID, STRANGER, "left", "member"))
    customer = factories.CustomerFactory(merchant=merchant, email="walk@example.org")
    factories.PurchaseFactory(customer=customer, merchant=merchant, product=connected["product"])

    owner_client.post(
        reverse("access:chat-member-link", args=[chat.pk]),
        {"telegram_user_id": STRANGER["id"], "customer": "WALK@example.org"},
    )

    account = TelegramAccount.objects.get(telegram_user_id=STRANGER["id"])
    assert account.customer == customer and account.linked_via == TelegramAccount.LinkedVia.STAFF
    page = owner_client.get(reverse("access:chat-detail", args=[chat.pk])).content.decode()
    assert "Not entitled <span" in page and 'class="not-entitled-row"' not in page
    assert AuditEvent.objects.get(action="telegram.link").actor is not None


def test_a_telegram_refusal_on_remove_is_a_message_and_changes_nothing(
    owner_client, connected, botapi, deliver
):
    chat = connected["chat"]
    deliver(botapi.chat_member_update(CHAT_ID, STRANGER, "left", "member"))
    botapi.fail("banChatMember", 400, "Bad Request: not enough rights to restrict/unrestrict chat member")

    response = owner_client.post(
        reverse("access:chat-member-remove", args=[chat.pk]),
        {"telegram_user_id": STRANGER["id"]},
        follow=True,
    )

    assert "Not enough rights" in response.content.decode()
    assert ChatMember.objects.get(telegram_user_id=STRANGER["id"]).in_chat
    assert not AuditEvent.objects.filter(action="access.staff_remove").exists()


def test_support_cannot_remove_members(support_client, connected):
    response = support_client.post(
        reverse("access:chat-member-remove", args=[connected["chat"].pk]), {"telegram_user_id": 1}
    )

    assert response.status_code == 403


def test_an_older_chat_member_update_does_not_overwrite_a_newer_one(connected, botapi, deliver):
    newer = botapi.chat_member_update(CHAT_ID, STRANGER, "member", "left", at=2_000_000_000)
    older = botapi.chat_member_update(CHAT_ID, STRANGER, "left", "member", at=1_900_000_000)

    deliver(newer)
    deliver(older)

    assert ChatMember.objects.get(telegram_user_id=STRANGER["id"]).status == ChatMember.Status.LEFT


# -- Customer panel ----------------------------------------------------------------------------------------


@pytest.fixture
def linked(connected, merchant, django_capture_on_commit_callbacks):
    """A linked buyer whose purchase went live: the invite is sent when it commits."""
    customer = factories.CustomerFactory(merchant=merchant)
    account = factories.TelegramAccountFactory(customer=customer, merchant=merchant, username="ann_buys")
    with django_capture_on_commit_callbacks(execute=True):
        purchase = factories.PurchaseFactory(
            customer=customer, merchant=merchant, product=connected["product"]
        )
    return customer, account, purchase


def test_the_panel_shows_each_chat_with_the_members_state_and_the_deep_link(owner_client, linked, botapi):
    customer, account, purchase = linked
    url = reverse("access:customer-panel", args=[customer.public_id])

    page = owner_client.get(url, HTTP_HX_REQUEST="true").content.decode()

    assert "@ann_buys" in page and "Premium signals" in page and "Invited" in page
    assert f"https://t.me/{BOT_USERNAME}?start={purchase.link_token.token}" in page
    assert "<html" not in page  # the fragment only
    assert "<html" in owner_client.get(url).content.decode()  # without JS: a page


def test_resend_invite_sends_a_fresh_link(owner_client, linked, botapi):
    customer, account, purchase = linked
    first = AccessGrant.objects.get(purchase=purchase).invite_link
    botapi.calls.clear()

    owner_client.post(
        reverse("access:invite-resend", args=[account.pk]), {"chat": AccessGrant.objects.get().chat_id}
    )

    assert len(botapi.calls_of("createChatInviteLink")) == 1
    grant = AccessGrant.objects.get(purchase=purchase)
    assert grant.invite_link and grant.invite_link != first
    assert AuditEvent.objects.filter(action="access.invite_resend", customer=customer).exists()


def test_an_invite_to_someone_who_never_started_the_bot_shows_why(owner_client, linked, botapi):
    customer, account, purchase = linked
    botapi.unreachable_users.add(account.telegram_user_id)

    owner_client.post(reverse("access:invite-resend", args=[account.pk]), {})

    page = owner_client.get(
        reverse("access:customer-panel", args=[customer.public_id]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Invite not sent: Forbidden: bot can&#x27;t initiate conversation with a user" in page


def test_remove_now_removes_a_paying_member(owner_client, linked, botapi, deliver):
    customer, account, purchase = linked
    grant = AccessGrant.objects.get(purchase=purchase)
    deliver(botapi.chat_member_update(CHAT_ID, user(account.telegram_user_id), "left", "member"))

    owner_client.post(reverse("access:account-remove", args=[account.pk]), {"chat": grant.chat_id})

    grant.refresh_from_db()
    assert grant.status == AccessGrant.Status.REVOKED
    assert botapi.calls_of("banChatMember")[-1]["user_id"] == account.telegram_user_id


def test_staff_link_an_account_to_a_customer_from_the_panel(
    owner_client, connected, merchant, botapi, django_capture_on_commit_callbacks
):
    customer = factories.CustomerFactory(merchant=merchant)
    factories.PurchaseFactory(customer=customer, merchant=merchant, product=connected["product"])

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(
            reverse("access:account-add", args=[customer.public_id]),
            {"telegram_user_id": 833000001, "username": "@newbie"},
        )

    account = TelegramAccount.objects.get(telegram_user_id=833000001)
    assert account.customer == customer and account.username == "newbie"
    assert AccessGrant.objects.filter(account=account).exists()
    assert botapi.calls_of("createChatInviteLink")


def test_the_bot_demoted_in_a_chat_shows_up_on_the_settings_page(owner_client, connected, botapi, deliver):
    bot = user(7000000001, username=BOT_USERNAME, first_name="Teller", is_bot=True)
    update = botapi.chat_member_update(CHAT_ID, bot, "administrator", "member")
    update["my_chat_member"] = update.pop("chat_member")

    deliver(update)

    page = owner_client.get(SETTINGS).content.decode()
    assert "The bot needs: administrator status" in page
    assert TelegramChat.objects.get(chat_id=CHAT_ID).bot_is_admin is False


def test_a_product_newly_giving_a_chat_grants_its_live_buyers(owner_client, connected, merchant, botapi):
    other = factories.ProductFactory(merchant=merchant, name="Yearly")
    customer = factories.CustomerFactory(merchant=merchant)
    account = factories.TelegramAccountFactory(customer=customer, merchant=merchant)
    purchase = factories.PurchaseFactory(customer=customer, merchant=merchant, product=other)
    chat = connected["chat"]

    owner_client.post(
        SETTINGS,
        {"action": "chat_products", "chat": chat.pk, "products": [other.pk, connected["product"].pk]},
    )

    grant = AccessGrant.objects.get(purchase=purchase)
    assert (grant.chat, grant.account) == (chat, account)


@pytest.mark.parametrize("value", ["-999999999999999999999999", "99999999999999999999999", "1\x00"])
def test_hostile_product_and_chat_ids_are_refused_without_a_500(owner_client, connected, value):
    chat = connected["chat"]

    products = owner_client.post(SETTINGS, {"action": "chat_products", "chat": chat.pk, "products": [value]})
    chats = owner_client.post(SETTINGS, {"action": "chat_products", "chat": value, "products": []})
    resend = owner_client.post(reverse("access:invite-resend", args=[1]), {"chat": value})

    assert products.status_code == chats.status_code == 302
    assert resend.status_code == 404
    assert list(chat.products.all()) == [connected["product"]]
