from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from audit.models import AuditEvent
from refunds.models import Repayment
from refunds.services import (
    RepaymentRefused,
    chargeback_outstanding,
    repayment_link_cancel,
    repayment_link_create,
    repayment_link_email,
    repayment_manual_create,
    repayment_record_paid,
    repayments_expire,
)
from tests import factories
from tests.refunds.conftest import stripe_object
from transactions.models import Transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def chargeback(merchant):
    charge = factories.TransactionFactory(
        customer__merchant=merchant, amount=5000, status=Transaction.Status.CHARGED_BACK
    )
    return factories.TransactionFactory(
        customer=charge.customer, parent=charge, chargeback=True, amount=5000, status=Transaction.Status.LOST
    )


def paid_session(repayment, *, amount=None, session_id="cs_test_repay1", status="paid"):
    return stripe_object(
        "checkout.session",
        id=session_id,
        amount_total=amount or repayment.amount,
        currency=repayment.currency,
        payment_status=status,
        status="complete",
        metadata={"teller_repayment_id": str(repayment.pk)},
    )


def link(manager, chargeback, amount=None):
    return repayment_link_create(actor=manager, now=timezone.now(), chargeback=chargeback, amount=amount)


# --- repayment link -----------------------------------------------------------------------------------------


def test_a_link_for_the_outstanding_amount_is_created_with_the_repayment_id_in_its_metadata(
    manager, chargeback, provider
):
    repayment = link(manager, chargeback)

    assert repayment.method == Repayment.Method.LINK and repayment.status == Repayment.Status.PENDING
    assert repayment.amount == 5000 and repayment.link_url.startswith("https://pay.example/")
    assert repayment.expires_at > timezone.now()
    call = provider.called("repayment_link_create")[0]
    assert call["metadata"]["teller_repayment_id"] == str(repayment.pk) and call["amount"] == 5000
    assert AuditEvent.objects.filter(action="repayment.link_create", target_id=str(repayment.pk)).exists()


def test_a_paid_link_records_a_repayment_transaction_and_the_chargeback_is_repaid(
    manager, chargeback, provider
):
    repayment = link(manager, chargeback)

    txn = repayment_record_paid(
        merchant=chargeback.merchant, session=paid_session(repayment), now=timezone.now()
    )

    chargeback.refresh_from_db()
    repayment.refresh_from_db()
    assert txn.kind == Transaction.Kind.REPAYMENT and txn.parent == chargeback and txn.amount == 5000
    assert txn.customer == chargeback.customer
    assert chargeback.repaid_amount == 5000 and chargeback.status == Transaction.Status.REPAID
    assert repayment.status == Repayment.Status.PAID and repayment.transaction == txn


def test_a_smaller_link_paid_leaves_the_chargeback_partially_repaid(manager, chargeback, provider):
    repayment = link(manager, chargeback, amount=2000)

    repayment_record_paid(merchant=chargeback.merchant, session=paid_session(repayment), now=timezone.now())

    chargeback.refresh_from_db()
    assert chargeback.repaid_amount == 2000 and chargeback.status == Transaction.Status.PARTIALLY_REPAID
    assert chargeback_outstanding(chargeback, now=timezone.now()) == 3000


def test_a_redelivered_webhook_records_the_payment_once(manager, chargeback, provider):
    repayment = link(manager, chargeback, amount=2000)
    session = paid_session(repayment)

    first = repayment_record_paid(merchant=chargeback.merchant, session=session, now=timezone.now())
    second = repayment_record_paid(merchant=chargeback.merchant, session=session, now=timezone.now())

    chargeback.refresh_from_db()
    assert first == second
    assert chargeback.repaid_amount == 2000
    assert Transaction.objects.filter(kind=Transaction.Kind.REPAYMENT).count() == 1


def test_an_unpaid_session_or_one_without_a_repayment_id_is_ignored(manager, chargeback, provider):
    repayment = link(manager, chargeback)

    assert (
        repayment_record_paid(
            merchant=chargeback.merchant, session=paid_session(repayment, status="unpaid"), now=timezone.now()
        )
        is None
    )
    assert (
        repayment_record_paid(
            merchant=chargeback.merchant, session=stripe_object("checkout.session"), now=timezone.now()
        )
        is None
    )
    assert not Transaction.objects.filter(kind=Transaction.Kind.REPAYMENT).exists()


def test_another_merchants_repayment_id_is_refused(manager, chargeback, provider, other_merchant):
    repayment = link(manager, chargeback)

    with pytest.raises(RepaymentRefused):
        repayment_record_paid(merchant=other_merchant, session=paid_session(repayment), now=timezone.now())


def test_an_open_link_reserves_its_amount(manager, chargeback, provider):
    link(manager, chargeback, amount=3000)

    assert chargeback_outstanding(chargeback, now=timezone.now()) == 2000
    with pytest.raises(RepaymentRefused):
        link(manager, chargeback, amount=2001)
    with pytest.raises(RepaymentRefused):
        repayment_manual_create(
            actor=manager,
            now=timezone.now(),
            chargeback=chargeback,
            amount=2001,
            paid_on=timezone.localdate(),
            manual_method="CASH",
        )


def test_a_link_above_the_outstanding_amount_is_refused_without_a_provider_call(
    manager, chargeback, provider
):
    with pytest.raises(RepaymentRefused):
        link(manager, chargeback, amount=5001)

    assert provider.calls == []
    assert not Repayment.objects.exists()


def test_a_provider_refusal_releases_the_reservation(manager, chargeback, provider):
    provider.fail_with = "Payment links are not enabled for this account."

    with pytest.raises(RepaymentRefused, match="not enabled"):
        link(manager, chargeback)

    assert Repayment.objects.get().status == Repayment.Status.CANCELED
    assert chargeback_outstanding(chargeback, now=timezone.now()) == 5000


def test_a_canceled_link_is_deactivated_and_releases_its_amount(manager, chargeback, provider):
    repayment = link(manager, chargeback)

    repayment_link_cancel(actor=manager, now=timezone.now(), repayment=repayment)

    repayment.refresh_from_db()
    assert repayment.status == Repayment.Status.CANCELED
    assert provider.called("repayment_link_cancel") == [{"link_id": repayment.provider_link_id}]
    assert chargeback_outstanding(chargeback, now=timezone.now()) == 5000


def test_an_expired_link_no_longer_reserves_and_the_sweep_marks_it_expired(manager, chargeback, provider):
    repayment = link(manager, chargeback)
    later = timezone.now() + timedelta(days=8)

    assert chargeback_outstanding(chargeback, now=later) == 5000
    assert repayments_expire(now=later) == 1

    repayment.refresh_from_db()
    assert repayment.status == Repayment.Status.EXPIRED


def test_a_link_is_emailed_to_the_customer_as_a_plain_text_email(manager, chargeback, provider):
    repayment = link(manager, chargeback)

    to = repayment_link_email(actor=manager, now=timezone.now(), repayment=repayment)

    assert to == chargeback.customer.email
    message = mail.outbox[0]
    assert message.to == [chargeback.customer.email]
    assert repayment.link_url in message.body and "€50.00" in message.body


# --- manual repayment ---------------------------------------------------------------------------------------


def test_a_manual_repayment_records_a_repayment_transaction(manager, chargeback):
    repayment = repayment_manual_create(
        actor=manager,
        now=timezone.now(),
        chargeback=chargeback,
        amount=1500,
        paid_on=timezone.localdate(),
        manual_method="BANK_TRANSFER",
        reference="SEPA-123",
        note="Paid after our call",
    )

    chargeback.refresh_from_db()
    assert repayment.status == Repayment.Status.PAID and repayment.method == Repayment.Method.MANUAL
    assert repayment.transaction.kind == Transaction.Kind.REPAYMENT
    assert repayment.transaction.method_type == "bank_transfer"
    assert chargeback.repaid_amount == 1500 and chargeback.status == Transaction.Status.PARTIALLY_REPAID
    assert AuditEvent.objects.filter(action="repayment.manual_create").exists()


def test_manual_repayments_never_exceed_the_outstanding_amount(manager, chargeback):
    repayment_manual_create(
        actor=manager,
        now=timezone.now(),
        chargeback=chargeback,
        amount=4000,
        paid_on=timezone.localdate(),
        manual_method="CASH",
    )

    with pytest.raises(RepaymentRefused):
        repayment_manual_create(
            actor=manager,
            now=timezone.now(),
            chargeback=chargeback,
            amount=1001,
            paid_on=timezone.localdate(),
            manual_method="CASH",
        )
    repayment_manual_create(
        actor=manager,
        now=timezone.now(),
        chargeback=chargeback,
        amount=1000,
        paid_on=timezone.localdate(),
        manual_method="CASH",
    )

    chargeback.refresh_from_db()
    assert chargeback.repaid_amount == 5000 and chargeback.status == Transaction.Status.REPAID


def test_a_manual_repayment_dated_in_the_future_is_refused(manager, chargeback):
    with pytest.raises(RepaymentRefused) as error:
        repayment_manual_create(
            actor=manager,
            now=timezone.now(),
            chargeback=chargeback,
            amount=100,
            paid_on=timezone.localdate() + timedelta(days=1),
            manual_method="CASH",
        )

    assert error.value.field == "paid_on"


def test_a_repayment_on_a_charge_is_refused(manager, chargeback):
    with pytest.raises(RepaymentRefused):
        repayment_manual_create(
            actor=manager,
            now=timezone.now(),
            chargeback=chargeback.parent,
            amount=100,
            paid_on=timezone.localdate(),
            manual_method="CASH",
        )
