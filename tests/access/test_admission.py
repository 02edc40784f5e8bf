"""End to end against the Bot API stand-in and the sandbox provider: pay, open the deep link, get the
invite, ask to join, get approved; strangers are declined; access ends in every way removes the member."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from access.bot_settings import telegram_chat_check
from access.models import AccessGrant, ChatMember, LinkToken, TelegramAccount, TelegramBot, TelegramUpdate
from access.tasks import MAX_RETRIES, retry_pending_revocations
from audit.models import AuditEvent
from purchases.models import Purchase
from purchases.services import purchase_cancel, purchases_expire, subscription_cancel, subscription_cancel_now
from sandbox import provider as sandbox
from sandbox import simulate as sim
from tests import factories
from tests.access.botapi_stub import user
from tests.access.conftest import CHAT_ID

pytestmark = pytest.mark.django_db

BUYER = user(811000001, username="ann_buys", first_name="Ann")
STRANGER = user(811000002, username="forwarded_to", first_name="Bob")


@pytest.fixture
def pipeline(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def paid(merchant, connected, pipeline):
    """Ann pays a monthly subscription through the sandbox (events -> inbox -> apply)."""
    now = timezone.now()

    def build():
        customer = sim.simulate_customer(merchant, key="ann", email="ann@example.org", name="Ann", at=now)
        pm = sim.simulate_payment_method(merchant, key="ann", customer=customer, at=now)
        return sim.simulate_subscription(
            merchant,
            key="ann-sub",
            customer=customer["id"],
            product=connected["product"],
            pm=pm,
            at=now - timedelta(days=3),
            now=now,
        )

    sub = pipeline(build)
    return Purchase.objects.get(provider_subscription_id=sub["id"])


def _joined(botapi, deliver, purchase, person=BUYER):
    """The buyer opens the deep link, receives the invite and asks to join with it."""
    token = LinkToken.objects.get(purchase=purchase).token
    deliver(botapi.start_update(person, token))
    link = botapi.calls_of("createChatInviteLink")[-1]
    invite = next(url for url, body in botapi.invite_links.items() if body.get("name") == link["name"])
    deliver(botapi.join_request_update(CHAT_ID, person, invite))
    deliver(botapi.chat_member_update(CHAT_ID, person, "left", "member"))
    return invite


def test_a_buyer_opens_the_deep_link_gets_the_invite_asks_to_join_and_is_approved(
    paid, botapi, deliver, merchant
):
    token = LinkToken.objects.get(purchase=paid).token
    assert len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()

    deliver(botapi.start_update(BUYER, token))

    account = TelegramAccount.objects.get(merchant=merchant, telegram_user_id=BUYER["id"])
    assert account.customer == paid.customer and account.linked_via == TelegramAccount.LinkedVia.DEEP_LINK
    link_call = botapi.calls_of("createChatInviteLink")[0]
    assert link_call["chat_id"] == CHAT_ID and link_call["creates_join_request"] is True
    assert link_call["name"] == f"Signals monthly #{paid.pk}"
    invite = botapi.calls_of("createChatInviteLink") and next(iter(botapi.invite_links))
    assert any(invite in m["text"] for m in botapi.calls_of("sendMessage") if m["chat_id"] == BUYER["id"])
    grant = AccessGrant.objects.get(purchase=paid)
    assert grant.invite_link == invite and grant.invited_at is not None

    deliver(botapi.join_request_update(CHAT_ID, BUYER, invite))

    assert botapi.calls_of("approveChatJoinRequest") == [{"chat_id": CHAT_ID, "user_id": BUYER["id"]}]
    assert ChatMember.objects.get(telegram_user_id=BUYER["id"]).in_chat
    assert AuditEvent.objects.filter(action="access.join_approved", customer=paid.customer).exists()


def test_a_second_account_with_the_same_deep_link_is_refused_and_its_join_request_declined(
    paid, botapi, deliver, merchant
):
    invite = _joined(botapi, deliver, paid)
    token = LinkToken.objects.get(purchase=paid).token

    deliver(botapi.start_update(STRANGER, token))
    deliver(botapi.join_request_update(CHAT_ID, STRANGER, invite))

    refusal = [m["text"] for m in botapi.calls_of("sendMessage") if m["chat_id"] == STRANGER["id"]]
    assert refusal and "already been used" in refusal[0]
    assert not TelegramAccount.objects.filter(telegram_user_id=STRANGER["id"]).exists()
    assert botapi.calls_of("declineChatJoinRequest") == [{"chat_id": CHAT_ID, "user_id": STRANGER["id"]}]
    declined = AuditEvent.objects.get(action="access.join_declined")
    assert declined.customer == paid.customer  # logged on the buyer whose link was forwarded
    assert declined.data["telegram_user_id"] == STRANGER["id"]


def test_an_unknown_deep_link_gets_a_polite_reply_and_links_nobody(connected, botapi, deliver):
    deliver(botapi.start_update(STRANGER, "not-a-real-token-0123456789"))

    assert "not valid" in botapi.calls_of("sendMessage")[0]["text"]
    assert not TelegramAccount.objects.exists()


def test_a_duplicated_update_is_applied_once(paid, botapi, deliver):
    update = botapi.start_update(BUYER, LinkToken.objects.get(purchase=paid).token)

    first = deliver(update)
    second = deliver(update)

    assert first.status_code == second.status_code == 200
    assert second.json()["duplicate"] is True
    assert TelegramUpdate.objects.filter(update_id=update["update_id"]).count() == 1
    assert len(botapi.calls_of("createChatInviteLink")) == 1


@pytest.mark.parametrize("secret", ["", "wrong-secret"])
def test_a_wrong_or_missing_secret_is_refused_and_changes_nothing(paid, botapi, deliver, secret):
    response = deliver(botapi.start_update(BUYER, LinkToken.objects.get(purchase=paid).token), secret=secret)

    assert response.status_code == 403
    assert not TelegramUpdate.objects.exists()
    assert not TelegramAccount.objects.exists()
    assert botapi.calls == []


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        '{"update_id": "1"}',
        '{"update_id": 5, "message": 7}',
        '{"update_id": 5, "message": {"text": "\\u0000"}}',
    ],
)
def test_a_hostile_body_is_a_400_and_stores_nothing(connected, client, merchant, body):
    response = client.post(
        reverse("telegram-webhook", args=[merchant.slug]),
        data=body,
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=connected["bot"].webhook_secret,
    )

    assert response.status_code == 400
    assert not TelegramUpdate.objects.exists()


def test_someone_without_a_purchase_is_declined(connected, botapi, deliver):
    deliver(botapi.join_request_update(CHAT_ID, STRANGER, None))

    assert botapi.calls_of("declineChatJoinRequest") == [{"chat_id": CHAT_ID, "user_id": STRANGER["id"]}]
    assert botapi.calls_of("approveChatJoinRequest") == []


# -- access ends ----------------------------------------------------------------------------------------


def _removed(botapi) -> list[int]:
    return [c["user_id"] for c in botapi.calls_of("banChatMember") if c["chat_id"] == CHAT_ID]


def test_canceling_now_removes_the_member_and_tells_why(paid, botapi, deliver, owner, pipeline, merchant):
    _joined(botapi, deliver, paid)
    bot = TelegramBot.objects.get(merchant=merchant)
    bot.removal_message = "Your access to {chat} has ended."
    bot.save()

    pipeline(subscription_cancel_now, actor=owner, now=timezone.now(), purchase=paid)

    assert _removed(botapi) == [BUYER["id"]]
    assert AccessGrant.objects.get(purchase=paid).status == AccessGrant.Status.REVOKED
    assert "Your access to Premium signals has ended." in [m["text"] for m in botapi.calls_of("sendMessage")]


def test_at_period_end_the_member_is_removed_when_the_period_passes(
    paid, botapi, deliver, owner, pipeline, merchant
):
    _joined(botapi, deliver, paid)
    pipeline(subscription_cancel, actor=owner, now=timezone.now(), purchase=paid, at_period_end=True)
    paid.refresh_from_db()
    assert paid.is_live and _removed(botapi) == []  # still paid for until the period ends

    # Stripe ends the subscription when the period passes: customer.subscription.deleted.
    pipeline(
        sandbox.cancel_subscription,
        merchant,
        subscription_id=paid.provider_subscription_id,
        at=paid.current_period_end_at,
    )

    assert _removed(botapi) == [BUYER["id"]]


def test_a_subscription_that_goes_unpaid_removes_the_member(paid, botapi, deliver, pipeline, merchant):
    _joined(botapi, deliver, paid)
    sub = sandbox.subscription_state(merchant, paid.provider_subscription_id)
    sub["status"] = "unpaid"

    pipeline(
        sandbox.emit,
        merchant,
        "customer.subscription.updated",
        sub,
        at=timezone.now(),
        previous_attributes={"status": "active"},
    )

    paid.refresh_from_db()
    assert paid.status == Purchase.Status.UNPAID
    assert _removed(botapi) == [BUYER["id"]]


def test_an_access_code_that_expires_removes_the_member_within_the_sweep(
    connected, botapi, deliver, merchant, pipeline, settings
):
    customer = factories.CustomerFactory(merchant=merchant)
    purchase = factories.PurchaseFactory(
        customer=customer,
        merchant=merchant,
        product=connected["product"],
        kind=Purchase.Kind.ACCESS_CODE,
        access_expires_at=timezone.now() + timedelta(seconds=30),
    )
    _joined(botapi, deliver, purchase)

    pipeline(purchases_expire, now=timezone.now() + timedelta(seconds=31))

    assert _removed(botapi) == [BUYER["id"]]
    assert settings.CELERY_BEAT_SCHEDULE["expire-access"]["schedule"] <= 60


def test_another_live_purchase_for_the_chat_keeps_the_member(
    paid, botapi, deliver, owner, pipeline, merchant
):
    _joined(botapi, deliver, paid)
    other = factories.ProductFactory(merchant=merchant, one_time=True)
    connected_chat = AccessGrant.objects.get(purchase=paid).chat
    connected_chat.products.add(other)
    factories.PurchaseFactory(customer=paid.customer, merchant=merchant, product=other, one_time=True)

    pipeline(subscription_cancel_now, actor=owner, now=timezone.now(), purchase=paid)

    assert _removed(botapi) == []
    assert AccessGrant.objects.get(purchase=paid).status == AccessGrant.Status.KEPT


def test_a_failing_bot_api_leaves_the_removal_pending_and_visible_then_completes(
    paid, botapi, deliver, owner, pipeline, owner_client
):
    _joined(botapi, deliver, paid)
    botapi.fail("banChatMember", 502, "Bad Gateway", times=MAX_RETRIES + 1)

    pipeline(subscription_cancel_now, actor=owner, now=timezone.now(), purchase=paid)

    grant = AccessGrant.objects.get(purchase=paid)
    assert grant.status == AccessGrant.Status.REVOKE_PENDING and grant.attempts == MAX_RETRIES + 1
    url = reverse("access:customer-panel", args=[paid.customer.public_id])
    panel = owner_client.get(url, HTTP_HX_REQUEST="true")
    assert "Removal pending" in panel.content.decode()

    retry_pending_revocations()

    assert AccessGrant.objects.get(purchase=paid).status == AccessGrant.Status.REVOKED
    assert _removed(botapi)[-1] == BUYER["id"]


def test_a_one_time_purchase_canceled_removes_from_every_chat_of_the_product(
    connected, botapi, deliver, merchant, owner, pipeline
):
    second_chat = -1001500000002
    botapi.add_chat(second_chat, "Premium chat", kind="supergroup")
    chat2 = telegram_chat_check(actor=owner, now=timezone.now(), merchant=merchant, ref=str(second_chat))
    chat2.products.add(connected["product"])
    purchase = factories.PurchaseFactory(
        customer=factories.CustomerFactory(merchant=merchant),
        merchant=merchant,
        product=connected["product"],
        one_time=True,
    )
    _joined(botapi, deliver, purchase)

    pipeline(
        purchase_cancel,
        actor=owner,
        now=timezone.now(),
        purchase=purchase,
        when="IMMEDIATELY",
        confirmation="CANCEL PURCHASE",
    )

    assert sorted(c["chat_id"] for c in botapi.calls_of("banChatMember")) == sorted([CHAT_ID, second_chat])


def test_a_telegram_user_id_in_the_stripe_customer_metadata_links_and_invites(
    merchant, connected, botapi, pipeline
):
    now = timezone.now()

    def build():
        customer = sim.simulate_customer(
            merchant,
            key="meta",
            email="meta@example.org",
            name="Meta",
            at=now,
            metadata={"telegram_user_id": str(BUYER["id"])},
        )
        pm = sim.simulate_payment_method(merchant, key="meta", customer=customer, at=now)
        sim.simulate_subscription(
            merchant,
            key="meta-sub",
            customer=customer["id"],
            product=connected["product"],
            pm=pm,
            at=now,
            now=now,
        )

    pipeline(build)

    account = TelegramAccount.objects.get(telegram_user_id=BUYER["id"])
    assert account.linked_via == TelegramAccount.LinkedVia.METADATA
    assert account.customer.email == "meta@example.org"
    assert AccessGrant.objects.get(account=account).invite_link
    assert [m["chat_id"] for m in botapi.calls_of("sendMessage")] == [BUYER["id"]]


@pytest.mark.parametrize("value", ["abc", "-5", "1e9", "9" * 30])
def test_a_metadata_value_that_is_no_telegram_id_is_ignored(merchant, connected, pipeline, value):
    pipeline(
        sim.simulate_customer,
        merchant,
        key=f"bad{value}",
        email="x@example.org",
        name="X",
        at=timezone.now(),
        metadata={"telegram_user_id": value},
    )

    assert not TelegramAccount.objects.exists()


def test_the_storefront_sends_the_buyer_to_the_deep_link_by_subscription_id(paid, client, merchant):
    url = reverse("telegram-join", args=[merchant.slug, paid.provider_subscription_id])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"https://t.me/teller_test_bot?start={paid.link_token.token}"


def test_before_the_webhook_arrives_the_join_page_waits_and_an_ended_purchase_is_a_404(
    paid, client, merchant
):
    waiting = client.get(reverse("telegram-join", args=[merchant.slug, "sub_not_yet_applied"]))
    Purchase.objects.filter(pk=paid.pk).update(status=Purchase.Status.CANCELED)
    ended = client.get(reverse("telegram-join", args=[merchant.slug, paid.provider_subscription_id]))

    assert waiting.status_code == 202 and b"confirming your payment" in waiting.content
    assert ended.status_code == 404
