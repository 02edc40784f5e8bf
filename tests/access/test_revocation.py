from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from access.models import AccessGrant
from access.tasks import MAX_RETRIES, retry_pending_revocations, revoke_grant
from audit.models import AuditEvent
from purchases.models import Purchase
from purchases.services import purchase_cancel, purchases_expire
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def bot_merchant(merchant):
    merchant.telegram_bot_token = "123:TOKEN"
    merchant.save()
    return merchant


@pytest.fixture
def member(bot_merchant):
    """A customer with a linked Telegram account, and a one-time product that gives one chat."""
    customer = factories.CustomerFactory(merchant=bot_merchant)
    account = factories.TelegramAccountFactory(customer=customer, merchant=bot_merchant)
    product = factories.ProductFactory(merchant=bot_merchant, one_time=True)
    chat = factories.TelegramChatFactory(merchant=bot_merchant)
    chat.products.add(product)
    return customer, account, product, chat


def _buy(member, **extra):
    customer, _account, product, _chat = member
    return factories.PurchaseFactory(
        customer=customer, merchant=customer.merchant, product=product, one_time=True, **extra
    )


@pytest.fixture
def cancel(django_capture_on_commit_callbacks):
    """Cancel a one-time purchase and run what it enqueued on commit (the revocation task)."""

    def _cancel(purchase, owner=None):
        with django_capture_on_commit_callbacks(execute=True):
            return purchase_cancel(
                actor=owner,
                now=timezone.now(),
                purchase=purchase,
                when="IMMEDIATELY",
                confirmation="CANCEL PURCHASE",
            )

    return _cancel


def test_a_live_purchase_with_a_linked_account_gets_a_grant_per_chat(member):
    _customer, account, _product, chat = member

    purchase = _buy(member)

    grant = purchase.access_grants.get()
    assert (grant.chat, grant.account, grant.status) == (chat, account, AccessGrant.Status.ACTIVE)


def test_a_customer_without_telegram_account_gets_no_grant(bot_merchant):
    purchase = factories.PurchaseFactory(customer__merchant=bot_merchant)
    factories.TelegramChatFactory(merchant=bot_merchant).products.add(purchase.product)
    purchase.save()

    assert not purchase.access_grants.exists()


def test_canceling_removes_the_member_from_the_chat(cancel, member, botapi, owner):
    _customer, account, _product, chat = member
    purchase = _buy(member)

    cancel(purchase, owner)

    grant = purchase.access_grants.get()
    assert grant.status == AccessGrant.Status.REVOKED
    assert grant.revoked_at is not None and grant.attempts == 1
    assert botapi.methods() == ["banChatMember", "unbanChatMember"]
    assert botapi.calls[0]["params"]["chat_id"] == chat.chat_id
    assert botapi.calls[0]["params"]["user_id"] == account.telegram_user_id
    assert AuditEvent.objects.filter(action="access.revoked").exists()


def test_a_failing_removal_stays_pending_with_the_error_after_bounded_retries(cancel, member, botapi):
    botapi.fail("banChatMember", 400, "Bad Request: not enough rights to restrict/unrestrict chat member")
    purchase = _buy(member)

    cancel(purchase)

    grant = purchase.access_grants.get()
    assert grant.status == AccessGrant.Status.REVOKE_PENDING
    assert grant.attempts == MAX_RETRIES + 1
    assert "not enough rights" in grant.last_error.lower()


def test_the_periodic_sweep_finishes_a_pending_removal_once_the_bot_can(cancel, member, botapi):
    botapi.fail("banChatMember", 400, "Bad Request: not enough rights", times=MAX_RETRIES + 1)
    purchase = _buy(member)
    cancel(purchase)
    assert purchase.access_grants.get().status == AccessGrant.Status.REVOKE_PENDING

    swept = retry_pending_revocations()

    grant = purchase.access_grants.get()
    assert swept == 1
    assert grant.status == AccessGrant.Status.REVOKED
    assert grant.last_error == ""


def test_a_member_with_another_live_purchase_for_the_same_chat_is_kept(cancel, member, botapi):
    customer, _account, _product, chat = member
    purchase = _buy(member)
    other_product = factories.ProductFactory(merchant=customer.merchant)
    chat.products.add(other_product)
    factories.PurchaseFactory(customer=customer, merchant=customer.merchant, product=other_product)

    cancel(purchase)

    assert purchase.access_grants.get().status == AccessGrant.Status.KEPT
    assert botapi.calls == []


def test_revoking_a_revoked_grant_again_calls_nothing(cancel, member, botapi):
    purchase = _buy(member)
    cancel(purchase)
    grant = purchase.access_grants.get()
    botapi.calls.clear()

    revoke_grant.delay(grant.pk)

    grant.refresh_from_db()
    assert grant.status == AccessGrant.Status.REVOKED and grant.attempts == 1
    assert botapi.calls == []


def test_a_member_who_joined_outside_a_purchase_is_never_touched(cancel, member, botapi):
    customer, account, product, chat = member
    other = factories.CustomerFactory(merchant=customer.merchant)
    purchase = factories.PurchaseFactory(
        customer=other, merchant=customer.merchant, product=product, one_time=True
    )

    cancel(purchase)

    assert botapi.calls == []


def test_expiry_revokes_access(member, botapi, django_capture_on_commit_callbacks):
    # Bought while its access ran (a purchase already past its end gets no grant), swept after the end.
    purchase = _buy(
        member, kind=Purchase.Kind.ACCESS_CODE, access_expires_at=timezone.now() + timedelta(minutes=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        purchases_expire(now=timezone.now() + timedelta(minutes=2))

    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.EXPIRED
    assert purchase.access_grants.get().status == AccessGrant.Status.REVOKED


def test_staff_retry_enqueues_the_pending_removal(
    cancel, member, botapi, owner_client, django_capture_on_commit_callbacks
):
    botapi.fail("banChatMember", 400, "Bad Request: not enough rights", times=MAX_RETRIES + 1)
    purchase = _buy(member)
    cancel(purchase)

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("access:access-retry", args=[purchase.pk]), HTTP_HX_REQUEST="true"
        )

    assert response.status_code == 204
    assert purchase.access_grants.get().status == AccessGrant.Status.REVOKED
    assert AuditEvent.objects.filter(action="access.retry").exists()


def test_retry_of_another_merchants_purchase_is_a_404(other_client, member):
    purchase = _buy(member)

    response = other_client.post(reverse("access:access-retry", args=[purchase.pk]))

    assert response.status_code == 404


def test_retry_needs_a_post(owner_client, member):
    purchase = _buy(member)

    response = owner_client.get(reverse("access:access-retry", args=[purchase.pk]))

    assert response.status_code == 405


def test_a_purchase_that_is_live_again_gets_its_grant_back(cancel, member, botapi):
    purchase = _buy(member)
    cancel(purchase)
    purchase.refresh_from_db()

    purchase.status = Purchase.Status.ACTIVE
    purchase.save()

    grant = purchase.access_grants.get()
    assert grant.status == AccessGrant.Status.ACTIVE
    assert grant.attempts == 0 and grant.revoked_at is None
