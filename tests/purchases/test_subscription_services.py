"""subscription_cancel / subscription_cancel_now / subscription_recover through the sandbox provider."""

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from common.dates import format_day
from payments.base import ProviderError
from purchases.models import Purchase
from purchases.services import (
    NotASubscription,
    NotScheduledToCancel,
    PurchaseNotLive,
    subscription_cancel,
    subscription_cancel_now,
    subscription_recover,
)
from purchases.signals import purchase_access_ended
from tests import factories, sandbox_failures

pytestmark = pytest.mark.django_db


@pytest.fixture
def ended():
    """Collects the purchases announced by purchase_access_ended."""
    seen = []

    def receiver(sender, purchase, now, **kwargs):
        seen.append(purchase.pk)

    purchase_access_ended.connect(receiver, dispatch_uid="test-ended")
    yield seen
    purchase_access_ended.disconnect(dispatch_uid="test-ended")


@pytest.fixture
def subscription(merchant):
    return factories.PurchaseFactory(customer__merchant=merchant)


@pytest.mark.parametrize(
    "status", [Purchase.Status.TRIALING, Purchase.Status.ACTIVE, Purchase.Status.PAST_DUE]
)
def test_cancel_now_ends_a_live_subscription_and_its_access(merchant, owner, ended, status):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, status=status)

    result = subscription_cancel(actor=owner, now=timezone.now(), purchase=purchase, at_period_end=False)

    purchase.refresh_from_db()
    assert result.changed
    assert purchase.status == Purchase.Status.CANCELED
    assert purchase.ended_at is not None
    assert ended == [purchase.pk]
    event = AuditEvent.objects.get(action="subscription.cancel")
    assert event.actor == owner and event.customer == purchase.customer
    assert event.data["before"]["status"] == status
    assert event.data["after"]["status"] == Purchase.Status.CANCELED
    assert event.data["at_period_end"] is False


def test_cancel_at_period_end_keeps_access_until_the_period_ends(subscription, owner, ended):
    result = subscription_cancel(actor=owner, now=timezone.now(), purchase=subscription, at_period_end=True)

    subscription.refresh_from_db()
    assert result.changed
    assert subscription.status == Purchase.Status.ACTIVE
    assert subscription.cancel_at_period_end is True
    assert subscription.cancel_at is not None
    assert subscription.cancel_at.date() == subscription.current_period_end_at.date()
    assert format_day(subscription.cancel_at) in result.message
    assert ended == []
    event = AuditEvent.objects.get(action="subscription.cancel")
    assert event.data["at_period_end"] is True
    assert event.data["before"]["cancel_at_period_end"] is False
    assert event.data["after"]["cancel_at_period_end"] is True


def test_at_period_end_on_an_already_scheduled_subscription_is_a_no_op(
    merchant, owner, provider_must_not_be_called
):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, scheduled=True)

    result = subscription_cancel(actor=owner, now=timezone.now(), purchase=purchase, at_period_end=True)

    assert not result.changed
    assert result.message == f"Already scheduled to cancel on {format_day(purchase.cancel_at)}."
    assert not AuditEvent.objects.exists()


def test_a_provider_failure_changes_nothing_and_carries_the_providers_message(subscription, owner, ended):
    sandbox_failures.fail_next(ProviderError("No such subscription: 'sub_x'", http_status=404))

    with pytest.raises(ProviderError, match="No such subscription"):
        subscription_cancel(actor=owner, now=timezone.now(), purchase=subscription, at_period_end=False)

    subscription.refresh_from_db()
    assert subscription.status == Purchase.Status.ACTIVE and subscription.ended_at is None
    assert not AuditEvent.objects.exists()
    assert ended == []


@pytest.mark.parametrize(
    "status",
    [Purchase.Status.UNPAID, Purchase.Status.CANCELED, Purchase.Status.EXPIRED, Purchase.Status.INCOMPLETE],
)
def test_a_subscription_that_is_not_live_cannot_be_canceled(
    merchant, owner, status, provider_must_not_be_called
):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, status=status)

    with pytest.raises(PurchaseNotLive):
        subscription_cancel(actor=owner, now=timezone.now(), purchase=purchase, at_period_end=False)
    with pytest.raises(PurchaseNotLive):
        subscription_cancel_now(actor=owner, now=timezone.now(), purchase=purchase)


def test_a_one_time_purchase_is_not_canceled_as_a_subscription(merchant, owner):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, one_time=True)

    with pytest.raises(NotASubscription):
        subscription_cancel(actor=owner, now=timezone.now(), purchase=purchase, at_period_end=True)


def test_cancel_now_ends_a_scheduled_subscription_immediately(merchant, owner, ended):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, scheduled=True)

    result = subscription_cancel_now(actor=owner, now=timezone.now(), purchase=purchase)

    purchase.refresh_from_db()
    assert result.changed
    assert purchase.status == Purchase.Status.CANCELED
    assert ended == [purchase.pk]
    event = AuditEvent.objects.get(action="subscription.cancel_now")
    assert event.data["was_scheduled"] is True
    assert event.data["before"]["status"] == "ACTIVE" and event.data["after"]["status"] == "CANCELED"


def test_cancel_now_failure_leaves_the_schedule_in_place(merchant, owner):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, scheduled=True)
    sandbox_failures.fail_next(ProviderError("Stripe is having a bad day"))

    with pytest.raises(ProviderError):
        subscription_cancel_now(actor=owner, now=timezone.now(), purchase=purchase)

    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.ACTIVE and purchase.cancel_at_period_end


def test_recover_clears_the_schedule_so_it_renews_as_before(merchant, owner):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, scheduled=True)
    period_end = purchase.current_period_end_at

    result = subscription_recover(actor=owner, now=timezone.now(), purchase=purchase)

    purchase.refresh_from_db()
    assert result.changed
    assert purchase.status == Purchase.Status.ACTIVE
    assert purchase.cancel_at_period_end is False and purchase.cancel_at is None
    assert purchase.current_period_end_at.replace(microsecond=0) == period_end.replace(microsecond=0)
    event = AuditEvent.objects.get(action="subscription.recover")
    assert event.data["before"]["cancel_at_period_end"] is True
    assert event.data["after"]["cancel_at_period_end"] is False


def test_recover_of_a_subscription_not_scheduled_is_refused(subscription, owner, provider_must_not_be_called):
    with pytest.raises(NotScheduledToCancel):
        subscription_recover(actor=owner, now=timezone.now(), purchase=subscription)


def test_recover_failure_keeps_the_schedule(merchant, owner):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, scheduled=True)
    sandbox_failures.fail_next(ProviderError("The subscription was deleted"))

    with pytest.raises(ProviderError, match="deleted"):
        subscription_recover(actor=owner, now=timezone.now(), purchase=purchase)

    purchase.refresh_from_db()
    assert purchase.cancel_at_period_end is True
    assert not AuditEvent.objects.exists()
