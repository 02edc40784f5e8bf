"""Issue 13: each credit counts once in the remaining balance, whichever of the request and the provider's
refund webhook finishes first."""

import pytest
from django.utils import timezone

from merchants.models import Membership
from providers.apply import apply_refund
from refunds.models import Credit
from refunds.services import credit_create
from refunds.services.credits import credit_remaining
from tests import factories
from transactions.models import Transaction

pytestmark = pytest.mark.django_db


def _credit(user, charge, amount):
    return credit_create(
        actor=user,
        membership=Membership.objects.get(user=user),
        now=timezone.now(),
        transaction=charge,
        amount=amount,
        reason=Credit.Reason.DUPLICATE,
    )


def test_a_pending_credit_whose_refund_was_applied_counts_once(merchant):
    charge = factories.TransactionFactory(customer__merchant=merchant, amount=5000)
    credit = factories.CreditFactory(transaction=charge, amount=3000, status=Credit.Status.PENDING)
    factories.TransactionFactory(
        customer=charge.customer,
        parent=charge,
        refund=True,
        amount=3000,
        metadata={"teller_credit_id": str(credit.pk)},
    )
    Transaction.objects.filter(pk=charge.pk).update(refunded_amount=3000)
    charge.refresh_from_db()

    assert credit_remaining(charge) == 2000


def test_a_credit_requested_while_the_webhook_applied_the_first_one_fits(
    manager, owner, provider, monkeypatch
):
    merchant = owner.memberships.get().merchant
    charge = factories.TransactionFactory(customer__merchant=merchant, amount=5000)
    real_refund, seen = provider.refund_create, {}

    def webhook_first(**kwargs):
        refund = real_refund(**kwargs)
        if "second" not in seen:  # charge.refunded lands before this request marks its credit SUCCEEDED
            seen["second"] = None  # the second credit's own provider call goes straight through
            apply_refund(merchant=merchant, obj={**refund, "currency": "eur"}, now=timezone.now())
            seen["second"] = _credit(owner, charge, 2000)  # another agent credits what is left
        return refund

    monkeypatch.setattr(provider, "refund_create", webhook_first)
    first = _credit(manager, charge, 3000)

    charge.refresh_from_db()
    assert first.status == Credit.Status.SUCCEEDED
    assert seen["second"].status == Credit.Status.SUCCEEDED  # before: refused, "nothing is left"
    assert charge.refunded_amount == 5000 and charge.status == Transaction.Status.REFUNDED
