"""Credits through StripeProvider against localstripe (a stateful fake Stripe on loopback), via the real SDK.

localstripe ACCEPTS over-refunds, so these tests also show that our own checks hold without Stripe's.
It also refuses Stripe's `reason` parameter ("Unexpected reason"), so these credits use the reason "Other",
which is sent without one (its text travels in the metadata).
"""

import pytest
import stripe
from django.utils import timezone

from providers.apply import apply_charge
from refunds.models import Credit
from refunds.services import CreditRefused, credit_create, credit_remaining
from tests import factories
from transactions.models import Transaction

pytestmark = [pytest.mark.localstripe, pytest.mark.django_db(transaction=True)]

API_KEY = "sk_test_teller_refunds"


@pytest.fixture
def stripe_url(localstripe_url):
    return localstripe_url


@pytest.fixture
def sdk(stripe_url):
    return stripe.StripeClient(API_KEY, base_addresses={"api": stripe_url})


@pytest.fixture
def stripe_owner(stripe_url, settings):
    settings.STRIPE_API_BASE = stripe_url
    merchant = factories.MerchantFactory(slug="refunds-ls", provider="STRIPE", stripe_secret_key=API_KEY)
    return factories.MembershipFactory(merchant=merchant, role="OWNER")


def paid_charge(sdk, merchant, amount) -> Transaction:
    """A card charge made at "Stripe", mirrored into Teller the way the webhook would."""
    customer = sdk.v1.customers.create({"email": "buyer@example.org", "name": "Buyer"})
    pm = sdk.v1.payment_methods.create(
        {
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 4, "exp_year": 2030, "cvc": "123"},
        }
    )
    sdk.v1.payment_methods.attach(pm.id, {"customer": customer.id})
    charge = sdk.v1.charges.create(
        {"amount": amount, "currency": "eur", "customer": customer.id, "source": pm.id}
    )
    return apply_charge(merchant=merchant, obj=charge.to_dict(), now=timezone.now())


def credit(membership, charge, amount=None):
    return credit_create(
        actor=membership.user,
        membership=membership,
        now=timezone.now(),
        transaction=charge,
        amount=amount,
        reason=Credit.Reason.OTHER,
        reason_text="Goodwill",
    )


def stripe_refunds(sdk, charge) -> list:
    return list(sdk.v1.refunds.list({"charge": charge.provider_id}).data)


def test_a_full_credit_refunds_the_charge_at_stripe(sdk, stripe_owner):
    charge = paid_charge(sdk, stripe_owner.merchant, 2500)

    result = credit(stripe_owner, charge)

    charge.refresh_from_db()
    assert result.status == Credit.Status.SUCCEEDED and result.provider_refund_id.startswith("re_")
    assert (charge.refunded_amount, charge.status) == (2500, Transaction.Status.REFUNDED)
    assert [r.amount for r in stripe_refunds(sdk, charge)] == [2500]
    assert result.refund_transaction.provider_id == result.provider_refund_id


def test_a_partial_credit_refunds_part_of_the_charge_at_stripe(sdk, stripe_owner):
    charge = paid_charge(sdk, stripe_owner.merchant, 2500)

    credit(stripe_owner, charge, amount=700)

    charge.refresh_from_db()
    assert (charge.refunded_amount, charge.status) == (700, Transaction.Status.PARTIALLY_REFUNDED)
    assert [r.amount for r in stripe_refunds(sdk, charge)] == [700]


def test_repeated_partial_credits_reach_the_charge_amount_and_our_check_stops_an_over_refund(
    sdk, stripe_owner
):
    charge = paid_charge(sdk, stripe_owner.merchant, 2500)

    for amount in (1000, 1000, 500):
        credit(stripe_owner, charge, amount=amount)
    with pytest.raises(CreditRefused):
        credit(stripe_owner, charge, amount=1)  # localstripe itself would accept it

    charge.refresh_from_db()
    assert (charge.refunded_amount, charge.status) == (2500, Transaction.Status.REFUNDED)
    assert credit_remaining(charge) == 0
    assert sorted(r.amount for r in stripe_refunds(sdk, charge)) == [500, 1000, 1000]


def test_the_same_idempotency_key_gives_the_same_refund_at_stripe(sdk, stripe_owner):
    charge = paid_charge(sdk, stripe_owner.merchant, 2500)
    key = "5d0f7a7e-3333-4d4d-8e8e-444444444444"

    first = credit_create(
        actor=stripe_owner.user,
        membership=stripe_owner,
        now=timezone.now(),
        transaction=charge,
        amount=300,
        reason=Credit.Reason.OTHER,
        reason_text="Goodwill",
        idempotency_key=key,
    )
    again = credit_create(
        actor=stripe_owner.user,
        membership=stripe_owner,
        now=timezone.now(),
        transaction=charge,
        amount=300,
        reason=Credit.Reason.OTHER,
        reason_text="Goodwill",
        idempotency_key=key,
    )

    assert first.pk == again.pk
    assert [r.amount for r in stripe_refunds(sdk, charge)] == [300]
