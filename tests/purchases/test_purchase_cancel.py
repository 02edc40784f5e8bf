"""purchase_cancel: the Purchases table's Cancel with the typed CANCEL PURCHASE confirmation (ref. 004)."""

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from payments.base import ProviderError
from purchases.models import Purchase
from purchases.services import (
    CancelOptionNotAllowed,
    PurchaseNotLive,
    WrongConfirmationPhrase,
    purchase_cancel,
    purchase_cancel_options,
)
from tests import factories, sandbox_failures

pytestmark = pytest.mark.django_db
PHRASE = "CANCEL PURCHASE"


def _cancel(purchase, *, when="IMMEDIATELY", confirmation=PHRASE, actor=None):
    return purchase_cancel(
        actor=actor, now=timezone.now(), purchase=purchase, when=when, confirmation=confirmation
    )


@pytest.mark.parametrize("typed", ["cancel purchase", "CANCEL PURCHASE ", "CANCEL", "", "CANCEL  PURCHASE"])
def test_a_mistyped_phrase_is_refused_and_nothing_changes(merchant, typed, provider_must_not_be_called):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, one_time=True)

    with pytest.raises(WrongConfirmationPhrase, match="Type CANCEL PURCHASE exactly"):
        _cancel(purchase, confirmation=typed)

    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.ACTIVE
    assert not AuditEvent.objects.exists()


def test_a_one_time_purchase_is_canceled_immediately_and_locally(
    merchant, owner, provider_must_not_be_called
):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, one_time=True)

    result = _cancel(purchase, actor=owner)

    purchase.refresh_from_db()
    assert result.changed
    assert purchase.status == Purchase.Status.CANCELED
    assert purchase.canceled_at is not None and purchase.ended_at is not None
    event = AuditEvent.objects.get(action="purchase.cancel")
    assert event.data == {
        "before": {"status": "ACTIVE", "cancel_at_period_end": False, "ended_at": None, "cancel_at": None},
        "after": {
            "status": "CANCELED",
            "cancel_at_period_end": False,
            "ended_at": purchase.ended_at.isoformat(),
            "cancel_at": None,
        },
        "when": "IMMEDIATELY",
    }


@pytest.mark.parametrize("expiring", [False, True])
def test_an_access_code_purchase_is_canceled_immediately(merchant, expiring):
    expires = timezone.now() + timezone.timedelta(days=10) if expiring else None
    purchase = factories.PurchaseFactory(
        customer__merchant=merchant, access_code=True, access_expires_at=expires
    )

    _cancel(purchase)

    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.CANCELED


@pytest.mark.parametrize("traits", [{"one_time": True}, {"access_code": True}])
def test_one_time_and_access_code_purchases_offer_only_immediate(merchant, traits):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, **traits)

    assert purchase_cancel_options(purchase) == ["IMMEDIATELY"]
    with pytest.raises(CancelOptionNotAllowed):
        _cancel(purchase, when="PERIOD_END")


@pytest.mark.parametrize("status", ["TRIALING", "ACTIVE", "PAST_DUE"])
def test_a_live_subscription_offers_both_choices(merchant, status):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, status=status)

    assert purchase_cancel_options(purchase) == ["IMMEDIATELY", "PERIOD_END"]


def test_a_subscription_canceled_immediately_is_canceled_at_the_provider(merchant, owner):
    purchase = factories.PurchaseFactory(customer__merchant=merchant)

    _cancel(purchase, actor=owner)

    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.CANCELED
    assert AuditEvent.objects.get(action="purchase.cancel").data["when"] == "IMMEDIATELY"


def test_a_subscription_canceled_at_the_end_of_the_period_keeps_access(merchant):
    purchase = factories.PurchaseFactory(customer__merchant=merchant)

    _cancel(purchase, when="PERIOD_END")

    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.ACTIVE and purchase.cancel_at_period_end


def test_period_end_again_on_a_scheduled_subscription_is_a_no_op(merchant, provider_must_not_be_called):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, scheduled=True)

    result = _cancel(purchase, when="PERIOD_END")

    assert not result.changed and "Already scheduled to cancel on" in result.message


def test_immediately_still_works_on_a_scheduled_subscription(merchant):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, scheduled=True)

    _cancel(purchase, when="IMMEDIATELY")

    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.CANCELED


@pytest.mark.parametrize("traits", [{"canceled": True}, {"unpaid": True}, {"status": "EXPIRED"}])
def test_a_purchase_that_is_not_live_cannot_be_canceled(merchant, traits):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, one_time=True, **traits)

    with pytest.raises(PurchaseNotLive):
        _cancel(purchase)


def test_a_provider_failure_leaves_the_subscription_untouched(merchant):
    purchase = factories.PurchaseFactory(customer__merchant=merchant)
    sandbox_failures.fail_next(ProviderError("Your card was declined."))

    with pytest.raises(ProviderError):
        _cancel(purchase)

    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.ACTIVE
    assert not AuditEvent.objects.exists()
