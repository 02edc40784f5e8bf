from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from customers.models import BlockEvent, Identifier
from merchants.models import Membership
from refunds.models import Credit
from refunds.services import (
    CreditRefused,
    credit_create,
    credit_remaining,
    credits_reconcile_pending,
    support_limit,
)
from tests import factories
from transactions.models import Transaction

pytestmark = pytest.mark.django_db


def membership_of(user):
    return Membership.objects.get(user=user)


@pytest.fixture
def charge(merchant):
    return factories.TransactionFactory(customer__merchant=merchant, amount=5000)


def credit(user, charge, amount=None, **overrides):
    arguments = dict(
        actor=user,
        membership=membership_of(user),
        now=timezone.now(),
        transaction=charge,
        amount=amount,
        reason=Credit.Reason.REQUESTED_BY_CUSTOMER,
        reason_text="",
        risk_acknowledged=False,
        chargeback_acknowledged=False,
        block_all=False,
        idempotency_key=None,
    )
    arguments.update(overrides)
    return credit_create(**arguments)


# --- full and partial ---------------------------------------------------------------------------------------


def test_a_full_credit_refunds_the_whole_charge_and_marks_it_refunded(manager, charge, provider):
    result = credit(manager, charge)

    charge.refresh_from_db()
    assert result.status == Credit.Status.SUCCEEDED and result.amount == 5000
    assert result.refund_transaction.kind == Transaction.Kind.REFUND
    assert result.refund_transaction.parent == charge
    assert charge.refunded_amount == 5000 and charge.status == Transaction.Status.REFUNDED
    call = provider.called("refund_create")[0]
    assert call == {
        "charge_id": charge.provider_id,
        "amount": 5000,
        "reason": "requested_by_customer",
        "idempotency_key": result.idempotency_key,
        "metadata": {"teller_credit_id": str(result.pk), "teller_reason": ""},
    }


def test_a_partial_credit_leaves_the_charge_partially_refunded(manager, charge, provider):
    credit(manager, charge, amount=1250)

    charge.refresh_from_db()
    assert charge.refunded_amount == 1250 and charge.status == Transaction.Status.PARTIALLY_REFUNDED
    assert credit_remaining(charge) == 3750


def test_repeated_partial_credits_reach_the_remaining_balance_and_no_further(manager, charge, provider):
    for amount in (1000, 2000, 2000):
        credit(manager, charge, amount=amount)

    charge.refresh_from_db()
    assert charge.status == Transaction.Status.REFUNDED and credit_remaining(charge) == 0
    with pytest.raises(CreditRefused, match="Nothing is left"):
        credit(manager, charge, amount=1)


def test_a_credit_above_the_remaining_balance_is_refused_without_a_provider_call(manager, charge, provider):
    credit(manager, charge, amount=4000)

    with pytest.raises(CreditRefused, match="remaining balance of €10.00") as error:
        credit(manager, charge, amount=1001)

    assert error.value.field == "amount"
    assert len(provider.called("refund_create")) == 1
    assert Credit.objects.count() == 1


def test_pending_credits_count_against_the_remaining_balance(manager, charge, provider):
    factories.CreditFactory(transaction=charge, amount=3000, status=Credit.Status.PENDING)

    with pytest.raises(CreditRefused):
        credit(manager, charge, amount=2001)
    assert credit_remaining(charge) == 2000


@pytest.mark.parametrize("amount", [0, -100])
def test_zero_or_negative_amounts_are_refused(manager, charge, provider, amount):
    with pytest.raises(CreditRefused, match="greater than zero"):
        credit(manager, charge, amount=amount)
    assert provider.calls == []


def test_only_successful_charges_can_be_credited(manager, merchant, provider):
    failed = factories.TransactionFactory(customer__merchant=merchant, failed=True)
    refund = factories.TransactionFactory(customer__merchant=merchant, refund=True)

    for txn in (failed, refund):
        with pytest.raises(CreditRefused):
            credit(manager, txn)
    assert provider.calls == []


def test_other_as_a_reason_needs_a_text(manager, charge, provider):
    with pytest.raises(CreditRefused) as error:
        credit(manager, charge, reason=Credit.Reason.OTHER, reason_text="  ")

    assert error.value.field == "reason_text"


def test_the_reason_is_mapped_to_stripes_refund_reasons(manager, charge, provider):
    credit(manager, charge, amount=100, reason=Credit.Reason.FRAUDULENT)
    credit(manager, charge, amount=100, reason=Credit.Reason.DUPLICATE)
    credit(manager, charge, amount=100, reason=Credit.Reason.OTHER, reason_text="Goodwill")

    reasons = [call["reason"] for call in provider.called("refund_create")]
    assert reasons == ["fraudulent", "duplicate", ""]
    assert provider.called("refund_create")[2]["metadata"]["teller_reason"] == "Goodwill"


# --- SEPA and wire payments ---------------------------------------------------------------------------------


def test_a_partial_credit_of_a_sepa_charge_is_refused_even_with_the_risk_box(manager, merchant, provider):
    sepa = factories.TransactionFactory(customer__merchant=merchant, sepa=True, amount=5000)

    with pytest.raises(CreditRefused, match="only be credited in full"):
        credit(manager, sepa, amount=1000, risk_acknowledged=True)
    assert provider.calls == []


def test_a_full_credit_of_a_sepa_charge_needs_the_risk_box(manager, merchant, provider):
    sepa = factories.TransactionFactory(customer__merchant=merchant, sepa=True, amount=5000)

    with pytest.raises(CreditRefused) as error:
        credit(manager, sepa)
    assert error.value.field == "risk_acknowledged" and provider.calls == []

    result = credit(manager, sepa, risk_acknowledged=True)

    assert result.status == Credit.Status.SUCCEEDED and result.risk_acknowledged


# --- chargebacks --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["warning_needs_response", "warning_under_review"])
def test_a_charge_under_an_inquiry_needs_a_confirmation(manager, merchant, provider, raw):
    disputed = factories.TransactionFactory(customer__merchant=merchant, status=Transaction.Status.DISPUTED)
    factories.TransactionFactory(
        customer=disputed.customer,
        parent=disputed,
        chargeback=True,
        status=Transaction.Status.WARNING,
        metadata={"dispute_status": raw},
    )

    with pytest.raises(CreditRefused, match="lose the money twice") as error:
        credit(manager, disputed)
    assert error.value.field == "chargeback_acknowledged" and provider.calls == []

    result = credit(manager, disputed, chargeback_acknowledged=True)
    assert result.chargeback_acknowledged


# Stripe refuses to refund a charge that has been charged back ("charge_disputed"), whatever the formal
# dispute's status or outcome: Teller refuses it first, without a provider call or a FAILED credit.
@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("needs_response", Transaction.Status.NEEDS_RESPONSE),
        ("under_review", Transaction.Status.UNDER_REVIEW),
        ("won", Transaction.Status.WON),
        ("lost", Transaction.Status.LOST),
        (None, Transaction.Status.WON),
    ],
)
def test_a_charge_with_a_formal_dispute_cannot_be_credited(manager, charge, provider, raw, status):
    factories.TransactionFactory(
        customer=charge.customer,
        parent=charge,
        chargeback=True,
        status=status,
        metadata={"dispute_status": raw} if raw else {},
    )

    with pytest.raises(CreditRefused, match="charged back"):
        credit(manager, charge, chargeback_acknowledged=True)
    assert provider.calls == [] and not Credit.objects.exists()


def test_a_charged_back_charge_without_its_dispute_mirrored_cannot_be_credited(manager, merchant, provider):
    charged_back = factories.TransactionFactory(
        customer__merchant=merchant, status=Transaction.Status.CHARGED_BACK
    )

    with pytest.raises(CreditRefused, match="charged back"):
        credit(manager, charged_back, chargeback_acknowledged=True)


def test_an_inquiry_that_closed_leaves_the_charge_creditable(manager, charge, provider):
    factories.TransactionFactory(
        customer=charge.customer,
        parent=charge,
        chargeback=True,
        status=Transaction.Status.WON,
        metadata={"dispute_status": "warning_closed"},
    )

    assert credit(manager, charge).status == Credit.Status.SUCCEEDED


# --- support agents' limit ----------------------------------------------------------------------------------


def test_support_agents_credit_up_to_the_merchants_limit(support, merchant, provider):
    merchant.support_credit_limit = 2000
    merchant.save()
    big = factories.TransactionFactory(customer__merchant=merchant, amount=5000)

    assert credit(support, big, amount=2000).status == Credit.Status.SUCCEEDED
    with pytest.raises(CreditRefused, match="up to €20.00"):
        credit(support, big, amount=2001)


def test_managers_and_owners_credit_above_the_limit(manager, owner, merchant, provider):
    merchant.support_credit_limit = 100
    merchant.save()
    big = factories.TransactionFactory(customer__merchant=merchant, amount=5000)

    assert credit(manager, big, amount=2000).status == Credit.Status.SUCCEEDED
    assert credit(owner, big, amount=3000).status == Credit.Status.SUCCEEDED


@pytest.mark.parametrize(
    ("currency", "expected"), [("eur", 10_000), ("usd", 10_000), ("jpy", 100), ("kwd", 100_000)]
)
def test_the_limit_is_the_same_number_in_the_charges_currency(merchant, currency, expected):
    merchant.support_credit_limit = 10_000  # €100.00

    assert support_limit(merchant, currency) == expected


def test_a_member_of_another_merchant_cannot_credit(other_user, charge, provider):
    with pytest.raises(CreditRefused):
        credit(other_user, charge)


# --- provider refusal and timeouts --------------------------------------------------------------------------


def test_a_provider_refusal_fails_the_credit_and_releases_the_amount(manager, charge, provider):
    provider.fail_with = "Charge ch_x has already been refunded."

    result = credit(manager, charge)

    charge.refresh_from_db()
    assert result.status == Credit.Status.FAILED
    assert result.failure_message == "Charge ch_x has already been refunded."
    assert charge.refunded_amount == 0 and credit_remaining(charge) == 5000
    assert AuditEvent.objects.filter(action="credit.fail", target_id=str(result.pk)).exists()


def test_a_timeout_leaves_the_credit_pending_and_the_reconciler_completes_it_with_the_same_key(
    manager, charge, provider
):
    provider.unavailable = True
    result = credit(manager, charge, amount=2000)
    assert result.status == Credit.Status.PENDING and credit_remaining(charge) == 3000

    provider.unavailable = False
    counts = credits_reconcile_pending(now=timezone.now() + timedelta(minutes=5))

    result.refresh_from_db()
    charge.refresh_from_db()
    assert counts == {Credit.Status.SUCCEEDED: 1}
    assert result.status == Credit.Status.SUCCEEDED and charge.refunded_amount == 2000
    keys = {call["idempotency_key"] for call in provider.called("refund_create")}
    assert keys == {result.idempotency_key} and len(provider.called("refund_create")) == 2


def test_the_reconciler_fails_a_pending_credit_the_provider_refuses(manager, charge, provider):
    provider.unavailable = True
    result = credit(manager, charge)
    provider.unavailable, provider.fail_with = False, "No such charge."

    credits_reconcile_pending(now=timezone.now() + timedelta(minutes=5))

    result.refresh_from_db()
    assert result.status == Credit.Status.FAILED and result.failure_message == "No such charge."


def test_the_reconciler_leaves_a_credit_still_in_flight_alone(manager, charge, provider):
    provider.unavailable = True
    credit(manager, charge)

    assert credits_reconcile_pending(now=timezone.now()) == {}
    assert len(provider.called("refund_create")) == 1


def test_past_stripes_idempotency_window_the_reconciler_fails_instead_of_retrying(manager, charge, provider):
    provider.unavailable = True
    result = credit(manager, charge)
    provider.unavailable = False

    credits_reconcile_pending(now=timezone.now() + timedelta(hours=30))

    result.refresh_from_db()
    assert result.status == Credit.Status.FAILED and "dashboard" in result.failure_message
    assert len(provider.called("refund_create")) == 1


def test_the_reconciler_uses_a_refund_a_webhook_already_applied(manager, charge, provider):
    provider.unavailable = True
    result = credit(manager, charge, amount=1000)
    refund = factories.TransactionFactory(
        customer=charge.customer,
        parent=charge,
        refund=True,
        amount=1000,
        metadata={"teller_credit_id": str(result.pk)},
    )
    provider.unavailable = False

    credits_reconcile_pending(now=timezone.now() + timedelta(minutes=5))

    result.refresh_from_db()
    assert result.status == Credit.Status.SUCCEEDED and result.refund_transaction == refund
    assert len(provider.called("refund_create")) == 1


# --- idempotency --------------------------------------------------------------------------------------------


def test_a_double_click_with_the_same_key_creates_one_credit(manager, charge, provider):
    first = credit(manager, charge, amount=1000, idempotency_key="7b0c8e0e-9d55-4c21-9a55-111111111111")
    second = credit(manager, charge, amount=1000, idempotency_key="7b0c8e0e-9d55-4c21-9a55-111111111111")

    charge.refresh_from_db()
    assert first == second and Credit.objects.count() == 1
    assert charge.refunded_amount == 1000 and len(provider.called("refund_create")) == 1


def test_a_key_used_for_another_charge_is_refused(manager, charge, merchant, provider):
    other = factories.TransactionFactory(customer__merchant=merchant)
    credit(manager, charge, amount=100, idempotency_key="k-1")

    with pytest.raises(CreditRefused):
        credit(manager, other, amount=100, idempotency_key="k-1")


# --- block all ----------------------------------------------------------------------------------------------


def test_block_all_blocks_every_customer_detail_with_source_credit(manager, charge, provider):
    card = factories.IdentifierFactory(merchant=charge.merchant)
    factories.CustomerIdentifierFactory(customer=charge.customer, identifier=card)

    credit(manager, charge, reason=Credit.Reason.FRAUDULENT, block_all=True)

    identifiers = Identifier.objects.filter(customers=charge.customer)
    assert identifiers.filter(kind=Identifier.Kind.CUSTOMER_ID).exists()
    assert all(identifier.is_blocked for identifier in identifiers)
    events = BlockEvent.objects.filter(identifier__in=identifiers)
    assert events.exists() and set(events.values_list("source", flat=True)) == {BlockEvent.Source.CREDIT}
    assert set(events.values_list("reason", flat=True)) == {BlockEvent.Reason.FRAUD}


def test_block_all_still_blocks_when_the_provider_refuses_the_credit(manager, charge, provider):
    provider.fail_with = "Refused."

    credit(manager, charge, reason=Credit.Reason.FRAUDULENT, block_all=True)

    assert BlockEvent.objects.filter(source=BlockEvent.Source.CREDIT).exists()


def test_block_all_does_not_run_when_our_own_rules_refuse_the_credit(manager, charge, provider):
    with pytest.raises(CreditRefused):
        credit(manager, charge, amount=999_999, block_all=True)

    assert not BlockEvent.objects.exists()


# --- audit --------------------------------------------------------------------------------------------------


def test_each_step_is_audited(manager, charge, provider):
    result = credit(manager, charge, amount=500)

    actions = list(
        AuditEvent.objects.filter(target_id=str(result.pk), target_type="refunds.Credit")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["credit.create", "credit.succeed"]


def test_a_refused_block_all_leaves_the_credit_done_and_is_audited(manager, charge, provider, monkeypatch):
    from customers.services import BlockingError

    def refuse(**kwargs):
        raise BlockingError("Choose one of the listed reasons.")

    monkeypatch.setattr("customers.services.customer_block_all", refuse)

    result = credit(manager, charge, block_all=True)

    assert result.status == Credit.Status.SUCCEEDED
    assert AuditEvent.objects.filter(action="credit.block_all_fail", target_id=str(result.pk)).exists()
