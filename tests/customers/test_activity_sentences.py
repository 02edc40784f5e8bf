"""The Activity tab reads as sentences, shows each thing once, and folds provider notifications under the
transaction they produced."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from common.dates import format_day
from customers.models import BlockEvent
from customers.services import identifier_block
from desk.selectors.activity import activity
from purchases.services import subscription_cancel
from refunds.services import credit_create
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def olivia(merchant):
    return factories.MembershipFactory(
        merchant=merchant, role="OWNER", user__first_name="Olivia", user__last_name="Owens"
    ).user


def _titles(customer, **kwargs):
    return [item.title for item in activity(customer, **kwargs)["items"]]


def test_a_cancellation_at_period_end_reads_with_its_date_and_who(merchant, olivia):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, product__name="Premium channel")

    subscription_cancel(actor=olivia, now=timezone.now(), purchase=purchase, at_period_end=True)

    purchase.refresh_from_db()
    on = format_day(purchase.cancel_at)
    expected = f"Subscription to Premium channel scheduled to cancel on {on} by Olivia Owens"
    assert _titles(purchase.customer, kind="staff") == [expected]


def test_a_cancel_now_and_a_credit_read_as_sentences(merchant, olivia):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, product__name="Premium channel")
    charge = factories.TransactionFactory(customer=purchase.customer, purchase=purchase, amount=4900)

    subscription_cancel(actor=olivia, now=timezone.now(), purchase=purchase, at_period_end=False)
    membership = olivia.memberships.get(merchant=merchant)
    credit_create(
        actor=olivia,
        membership=membership,
        now=timezone.now() + timedelta(seconds=1),
        transaction=charge,
        amount=1500,
        reason="REQUESTED_BY_CUSTOMER",
        reason_text="",
        risk_acknowledged=False,
        chargeback_acknowledged=False,
        block_all=False,
        idempotency_key="t-1",
    )

    titles = _titles(purchase.customer, kind="staff")
    assert "Subscription to Premium channel canceled now by Olivia Owens" in titles
    assert "Credit of €15.00 requested by Olivia Owens" in titles


def test_a_block_appears_once_as_a_sentence(merchant, olivia):
    link = factories.CustomerIdentifierFactory(customer__merchant=merchant)

    identifier_block(
        actor=olivia, now=timezone.now(), identifier=link.identifier, customer=link.customer, reason="FRAUD"
    )

    assert BlockEvent.objects.count() == 1 and AuditEvent.objects.filter(action="identifier.block").exists()
    titles = _titles(link.customer)
    assert titles == [f"Blocked card {link.identifier} by Olivia Owens"]


def test_an_action_recorded_before_it_was_listed_stays_readable(merchant, owner):
    customer = factories.CustomerFactory(merchant=merchant)
    AuditEvent.objects.create(
        merchant=merchant,
        actor=None,
        action="legacy.thing_done",
        target_type="x",
        target_id="1",
        customer=customer,
        created_at=timezone.now(),
    )

    assert _titles(customer) == ["Legacy thing done"]


def test_notifications_fold_under_the_transaction_they_produced(merchant):
    customer = factories.CustomerFactory(merchant=merchant)
    now = timezone.now()
    charge = factories.TransactionFactory(
        customer=customer, amount=4900, occurred_at=now - timedelta(minutes=5)
    )
    produced = []
    for i, kind in enumerate(("charge.succeeded", "charge.updated")):
        event = factories.ProviderEventFactory(
            merchant=merchant, customer=customer, type=kind, received_at=now - timedelta(minutes=4 - i)
        )
        event.transactions.add(charge)
        produced.append(event)
    lonely = factories.ProviderEventFactory(
        merchant=merchant, customer=customer, type="customer.subscription.deleted", received_at=now
    )

    items = activity(customer)["items"]

    assert [item.title for item in items] == ["Subscription ended", "Charge of €49.00 succeeded"]
    assert [child.obj for child in items[1].children] == produced  # oldest first
    assert items[0].obj == lonely and items[0].children == []


def test_folding_costs_one_query_whatever_the_number_of_notifications(merchant):
    customer = factories.CustomerFactory(merchant=merchant)
    for _ in range(5):
        charge = factories.TransactionFactory(customer=customer)
        factories.ProviderEventFactory(merchant=merchant, customer=customer).transactions.add(charge)
    with CaptureQueriesContext(connection) as few:
        activity(customer)
    for _ in range(15):
        charge = factories.TransactionFactory(customer=customer)
        factories.ProviderEventFactory(merchant=merchant, customer=customer).transactions.add(charge)
    with CaptureQueriesContext(connection) as many:
        activity(customer)

    assert len(many) == len(few)


def test_the_tab_shows_the_folded_notifications_in_a_disclosure(owner_client, merchant):
    customer = factories.CustomerFactory(merchant=merchant)
    charge = factories.TransactionFactory(customer=customer, amount=4900)
    event = factories.ProviderEventFactory(
        merchant=merchant, customer=customer, provider_event_id="evt_FOLDED1"
    )
    event.transactions.add(charge)

    html = owner_client.get(f"/customers/{customer.public_id}/?tab=activity").text

    disclosure = html.split('<details class="timeline-raw small">')[1].split("</details>")[0]
    assert "1 provider notification<" in disclosure and "evt_FOLDED1" in disclosure
    assert html.count("evt_FOLDED1") == 1
