"""Two staff crediting the same charge at the same moment, on PostgreSQL (row locks are real there).

Run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/teller_<name>.
"""

import re
import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from merchants.models import Membership
from refunds.models import Credit
from refunds.services import CreditRefused, credit_create, credits
from tests import factories
from tests.concurrency import in_parallel
from transactions.models import Transaction

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (set DATABASE_URL)"),
]


@pytest.fixture
def slow_provider(provider, monkeypatch):
    """The provider answers after a pause, and the reservation holds its lock a moment: the widest race."""
    real_refund, real_audit = provider.refund_create, credits.audit_record

    def slow_refund(**kwargs):
        time.sleep(0.2)
        return real_refund(**kwargs)

    def slow_audit(**kwargs):
        if kwargs["action"] == "credit.create":
            time.sleep(0.2)
        return real_audit(**kwargs)

    monkeypatch.setattr(provider, "refund_create", slow_refund)
    monkeypatch.setattr(credits, "audit_record", slow_audit)
    return provider


def test_two_credits_at_once_never_exceed_the_captured_amount(manager, owner, slow_provider):
    merchant = owner.memberships.get().merchant
    charge = factories.TransactionFactory(customer__merchant=merchant, amount=5000)

    def credit_by(user):
        return lambda: credit_create(
            actor=user,
            membership=Membership.objects.get(user=user),
            now=timezone.now(),
            transaction=charge,
            amount=3000,
            reason=Credit.Reason.DUPLICATE,
            idempotency_key=None,
        )

    results = in_parallel([credit_by(manager), credit_by(owner)])

    charge.refresh_from_db()
    succeeded = [r for r in results if isinstance(r, Credit)]
    refused = [r for r in results if isinstance(r, CreditRefused)]
    assert len(succeeded) == 1 and len(refused) == 1, results
    assert charge.refunded_amount == 3000 <= charge.amount
    assert len(slow_provider.called("refund_create")) == 1


def test_many_small_credits_at_once_stop_exactly_at_the_captured_amount(owner, slow_provider):
    merchant = owner.memberships.get().merchant
    charge = factories.TransactionFactory(customer__merchant=merchant, amount=5000)
    membership = Membership.objects.get(user=owner)

    results = in_parallel(
        [
            lambda: credit_create(
                actor=owner,
                membership=membership,
                now=timezone.now(),
                transaction=charge,
                amount=1000,
                reason=Credit.Reason.DUPLICATE,
            )
            for _ in range(7)
        ]
    )

    charge.refresh_from_db()
    assert sum(isinstance(r, Credit) for r in results) == 5
    assert sum(isinstance(r, CreditRefused) for r in results) == 2
    assert charge.refunded_amount == 5000 and charge.status == Transaction.Status.REFUNDED
    assert sum(Credit.objects.filter(transaction=charge).values_list("amount", flat=True)) == 5000


def test_parallel_requests_from_two_agents_never_exceed_the_captured_amount(manager, owner, slow_provider):
    merchant = owner.memberships.get().merchant
    charge = factories.TransactionFactory(customer__merchant=merchant, amount=5000)
    url = reverse("refunds:credit", args=[charge.pk])

    def request_as(user):
        client = Client()
        client.force_login(user)
        key = re.search(r'name="idempotency_key" value="([^"]+)"', client.get(url).content.decode()).group(1)
        return lambda: client.post(
            url,
            {"mode": "PARTIAL", "amount": "40.00", "reason": "DUPLICATE", "idempotency_key": key},
            HTTP_HX_REQUEST="true",
        )

    responses = in_parallel([request_as(manager), request_as(owner)])

    charge.refresh_from_db()
    assert sorted(r.status_code for r in responses) == [200, 204]  # one credited, one shown the refusal
    refused = next(r for r in responses if r.status_code == 200).content.decode()
    assert "more than the remaining balance of €10.00" in refused
    assert charge.refunded_amount == 4000


def test_a_double_click_at_once_creates_one_credit(owner, slow_provider):
    merchant = owner.memberships.get().merchant
    charge = factories.TransactionFactory(customer__merchant=merchant, amount=5000)
    membership = Membership.objects.get(user=owner)
    key = "0b9a3f4e-1111-4a2b-9c3d-222222222222"

    results = in_parallel(
        [
            lambda: credit_create(
                actor=owner,
                membership=membership,
                now=timezone.now(),
                transaction=charge,
                amount=1000,
                reason=Credit.Reason.DUPLICATE,
                idempotency_key=key,
            )
            for _ in range(2)
        ]
    )

    charge.refresh_from_db()
    assert all(isinstance(r, Credit) for r in results), results
    assert results[0].pk == results[1].pk and Credit.objects.count() == 1
    assert charge.refunded_amount == 1000 and len(slow_provider.called("refund_create")) == 1
