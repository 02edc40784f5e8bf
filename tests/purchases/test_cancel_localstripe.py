"""Cancel / cancel at period end / recover through StripeProvider against localstripe (the real SDK calls).

Reuses helper h1's localstripe fixtures (a fresh server on a free port for the session).
"""

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from payments.base import ProviderError
from providers.apply import apply_subscription
from purchases.models import Purchase
from purchases.services import (
    purchase_cancel,
    subscription_cancel,
    subscription_cancel_now,
    subscription_recover,
)
from tests import factories
from tests.providers import test_stripe_localstripe as h1_localstripe

# Shared fixtures: the SDK pointed at the session's localstripe (tests/conftest.py) and a STRIPE merchant.
sdk = h1_localstripe.sdk
ls_merchant = h1_localstripe.ls_merchant
_subscription = h1_localstripe._subscription

pytestmark = [pytest.mark.localstripe, pytest.mark.django_db]


@pytest.fixture
def live(sdk, ls_merchant):
    """A subscription created at "Stripe" and mirrored in Teller, as the webhook would."""
    sub = _subscription(sdk)
    purchase = apply_subscription(merchant=ls_merchant, obj=sub.to_dict(), now=timezone.now())
    assert purchase.status == Purchase.Status.ACTIVE
    return purchase


def test_keep_active_sets_cancel_at_period_end_at_stripe(sdk, live, owner):
    result = subscription_cancel(actor=owner, now=timezone.now(), purchase=live, at_period_end=True)

    live.refresh_from_db()
    assert result.changed
    assert sdk.v1.subscriptions.retrieve(live.provider_subscription_id).cancel_at_period_end is True
    assert live.cancel_at_period_end is True and live.status == Purchase.Status.ACTIVE


def test_asking_again_does_not_call_stripe(sdk, live, owner):
    subscription_cancel(actor=owner, now=timezone.now(), purchase=live, at_period_end=True)
    live.refresh_from_db()

    result = purchase_cancel(
        actor=owner, now=timezone.now(), purchase=live, when="PERIOD_END", confirmation="CANCEL PURCHASE"
    )

    assert not result.changed
    assert AuditEvent.objects.filter(action="purchase.cancel").count() == 0


def test_recover_clears_the_flag_at_stripe(sdk, live, owner):
    subscription_cancel(actor=owner, now=timezone.now(), purchase=live, at_period_end=True)
    live.refresh_from_db()

    subscription_recover(actor=owner, now=timezone.now(), purchase=live)

    live.refresh_from_db()
    assert sdk.v1.subscriptions.retrieve(live.provider_subscription_id).cancel_at_period_end is False
    assert live.cancel_at_period_end is False and live.status == Purchase.Status.ACTIVE


def test_cancel_now_cancels_at_stripe_and_ends_access(sdk, live, owner):
    subscription_cancel(actor=owner, now=timezone.now(), purchase=live, at_period_end=True)
    live.refresh_from_db()

    subscription_cancel_now(actor=owner, now=timezone.now(), purchase=live)

    live.refresh_from_db()
    assert sdk.v1.subscriptions.retrieve(live.provider_subscription_id).status == "canceled"
    assert live.status == Purchase.Status.CANCELED and live.ended_at is not None


def test_a_stripe_refusal_changes_nothing_and_shows_stripes_message(ls_merchant, owner):
    # localstripe accepts changes to canceled subscriptions; an unknown id is a refusal it does make.
    purchase = factories.PurchaseFactory(
        customer__merchant=ls_merchant, provider_subscription_id="sub_unknown123"
    )

    with pytest.raises(ProviderError) as caught:
        subscription_cancel_now(actor=owner, now=timezone.now(), purchase=purchase)

    purchase.refresh_from_db()
    assert caught.value.message and caught.value.http_status == 404
    assert purchase.status == Purchase.Status.ACTIVE and purchase.ended_at is None
    assert not AuditEvent.objects.exists()
