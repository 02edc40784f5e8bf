from datetime import timedelta

import pytest
from django.utils import timezone

from refunds import tasks
from refunds.models import Credit, Repayment
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_reconcile_task_finishes_credits_left_pending(merchant, provider):
    charge = factories.TransactionFactory(customer__merchant=merchant, amount=3000)
    credit = factories.CreditFactory(
        transaction=charge,
        amount=1000,
        status=Credit.Status.PENDING,
        created_at=timezone.now() - timedelta(minutes=10),
    )

    counts = tasks.reconcile_pending_credits.delay().get()

    credit.refresh_from_db()
    assert counts == {Credit.Status.SUCCEEDED: 1} and credit.status == Credit.Status.SUCCEEDED
    assert provider.called("refund_create")[0]["idempotency_key"] == credit.idempotency_key


def test_the_expiry_task_marks_links_past_their_expiry(merchant, provider):
    link = factories.RepaymentFactory(
        chargeback__customer__merchant=merchant,
        method=Repayment.Method.LINK,
        status=Repayment.Status.PENDING,
        provider_link_id="cs_test_old",
        expires_at=timezone.now() - timedelta(minutes=1),
    )

    assert tasks.expire_repayment_links.delay().get() == 1

    link.refresh_from_db()
    assert link.status == Repayment.Status.EXPIRED
    assert provider.called("repayment_link_cancel") == [{"link_id": "cs_test_old"}]
