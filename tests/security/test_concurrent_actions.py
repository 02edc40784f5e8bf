"""Several staff clicking the same action at the same moment, on PostgreSQL: exactly one effect, one audit
event, one provider call (issue 13). Threads with their own connections are released at once by a barrier.

The provider is the sandbox (the real Stripe-shaped fake), wrapped only to count its calls and to answer
slowly, which widens the race. Run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/teller_<name>.
"""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from customers import services as blocking
from customers.models import BlockEvent, Identifier
from merchants.models import Membership
from purchases import services as purchases
from purchases.models import AccessCode, Purchase
from refunds.models import Credit, Repayment
from refunds.services import credit_create, repayment_link_create, repayment_manual_create
from sandbox.provider import SandboxProvider
from tests import factories
from tests.concurrency import in_parallel
from transactions.models import Transaction

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (set DATABASE_URL)"),
]
CLIENTS = 4


@pytest.fixture
def calls(monkeypatch):
    """Counts every call to the sandbox provider's write methods; each answers after a pause."""
    counted: list[str] = []
    guard = threading.Lock()
    for name in (
        "subscription_cancel_now",
        "subscription_set_cancel_at_period_end",
        "refund_create",
        "repayment_link_create",
    ):
        real = getattr(SandboxProvider, name)

        def slow(self, *args, _real=real, _name=name, **kwargs):
            with guard:
                counted.append(_name)
            time.sleep(0.2)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(SandboxProvider, name, slow)
    return counted


@pytest.fixture(autouse=True)
def no_radar(monkeypatch):
    monkeypatch.setattr("customers.tasks.provider_mirrors_radar", lambda merchant: False)


@pytest.fixture
def clients(owner, manager):
    """CLIENTS signed-in browsers of two staff members."""
    result = []
    for i in range(CLIENTS):
        client = Client(raise_request_exception=False)
        client.force_login(owner if i % 2 else manager)
        result.append(client)
    return result


def audits(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def post_all(clients, url, data):
    return in_parallel([lambda c=c: c.post(url, data, headers={"HX-Request": "true"}) for c in clients])


def assert_one_success(responses):
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * (len(responses) - 1) + [204], codes  # one done, the others shown why not


@pytest.mark.parametrize(
    "url_name, data, action, provider_call, already",
    [
        ("purchases:subscription-cancel", {"keep_active": "on"}, "subscription.cancel",
         "subscription_set_cancel_at_period_end", None),
        ("purchases:subscription-cancel", {}, "subscription.cancel", "subscription_cancel_now",
         "already ended"),
        ("purchases:subscription-cancel-now", {}, "subscription.cancel_now", "subscription_cancel_now",
         "already ended"),
        ("purchases:purchase-cancel", {"when": "IMMEDIATELY", "confirmation": "CANCEL PURCHASE"},
         "purchase.cancel", "subscription_cancel_now", "already ended"),
        ("purchases:purchase-cancel", {"when": "PERIOD_END", "confirmation": "CANCEL PURCHASE"},
         "purchase.cancel", "subscription_set_cancel_at_period_end", None),
    ],
)  # fmt: skip
def test_concurrent_subscription_cancels_act_once(
    merchant, clients, calls, url_name, data, action, provider_call, already
):
    purchase = factories.PurchaseFactory(customer__merchant=merchant)

    responses = post_all(clients, reverse(url_name, args=[purchase.pk]), data)

    assert all(r.status_code < 500 for r in responses)
    assert calls.count(provider_call) == 1 and len(calls) == 1, calls
    assert audits(action) == 1
    if already:  # the others waited, re-read the row and were told
        assert_one_success(responses)
        assert all(already in r.content.decode() for r in responses if r.status_code == 200)
    else:  # "already scheduled" is a success that changes nothing
        assert all(r.status_code == 204 for r in responses)
        assert sum("Already scheduled" in r["HX-Trigger"] for r in responses) == CLIENTS - 1


def test_concurrent_recovers_act_once(merchant, clients, calls):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, scheduled=True)

    responses = post_all(clients, reverse("purchases:subscription-recover", args=[purchase.pk]), {})

    assert_one_success(responses)
    assert calls == ["subscription_set_cancel_at_period_end"] and audits("subscription.recover") == 1
    assert all("already recovered" in r.content.decode() for r in responses if r.status_code == 200)
    purchase.refresh_from_db()
    assert not purchase.cancel_at_period_end


def test_concurrent_cancels_of_a_one_time_purchase_end_it_once(merchant, clients, calls):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, one_time=True)
    data = {"when": "IMMEDIATELY", "confirmation": "CANCEL PURCHASE"}

    responses = post_all(clients, reverse("purchases:purchase-cancel", args=[purchase.pk]), data)

    assert_one_success(responses)
    assert calls == [] and audits("purchase.cancel") == 1
    assert Purchase.objects.get(pk=purchase.pk).status == Purchase.Status.CANCELED


def test_concurrent_credits_of_the_whole_charge_refund_once(merchant, owner, manager, calls):
    charge = factories.TransactionFactory(customer__merchant=merchant, amount=5000)
    members = [Membership.objects.get(user=u, merchant=merchant) for u in (owner, manager)]

    results = in_parallel(
        [
            lambda m=members[i % 2]: credit_create(
                actor=m.user,
                membership=m,
                now=timezone.now(),
                transaction=charge,
                amount=None,
                reason=Credit.Reason.DUPLICATE,
            )
            for i in range(CLIENTS)
        ]
    )

    assert sum(isinstance(r, Credit) for r in results) == 1, results
    assert calls == ["refund_create"] and audits("credit.create") == 1
    charge.refresh_from_db()
    assert charge.refunded_amount == 5000


@pytest.fixture
def card(merchant):
    return factories.CustomerIdentifierFactory(customer__merchant=merchant).identifier


def test_concurrent_blocks_of_one_detail_block_once(owner, card):
    results = in_parallel(
        [
            lambda: blocking.identifier_block(
                actor=owner, now=timezone.now(), identifier=card, reason=BlockEvent.Reason.FRAUD
            )
            for _ in range(CLIENTS)
        ]
    )

    assert sum(r is not None for r in results) == 1, results
    assert BlockEvent.objects.filter(identifier=card).count() == 1 and audits("identifier.block") == 1


def test_concurrent_unblocks_of_one_detail_unblock_once(owner, card):
    Identifier.objects.filter(pk=card.pk).update(is_blocked=True)

    results = in_parallel(
        [
            lambda: blocking.identifier_unblock(actor=owner, now=timezone.now(), identifier=card)
            for _ in range(CLIENTS)
        ]
    )

    assert sum(r is not None for r in results) == 1, results
    assert audits("identifier.unblock") == 1


def test_concurrent_block_alls_block_once_and_cancel_the_subscription_once(owner, merchant, calls):
    customer = factories.CustomerIdentifierFactory(customer__merchant=merchant).customer
    factories.PurchaseFactory(customer=customer)

    results = in_parallel(
        [
            lambda: blocking.customer_block_all(
                actor=owner,
                now=timezone.now(),
                customer=customer,
                reason=BlockEvent.Reason.FRAUD,
                cancel_subscriptions=True,
            )
            for _ in range(CLIENTS)
        ]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(bool(r) for r in results) == 1  # the others found every detail blocked: nothing to change
    assert BlockEvent.objects.filter(source=BlockEvent.Source.BLOCK_ALL).count() == 2  # card + customer id
    assert calls == ["subscription_cancel_now"] and audits("subscription.cancel_now") == 1


@pytest.fixture
def chargeback(merchant):
    charge = factories.TransactionFactory(
        customer__merchant=merchant, amount=5000, status=Transaction.Status.CHARGED_BACK
    )
    return factories.TransactionFactory(
        customer=charge.customer, parent=charge, chargeback=True, amount=5000, status=Transaction.Status.LOST
    )


def test_concurrent_manual_repayments_of_the_outstanding_amount_record_once(owner, chargeback):
    results = in_parallel(
        [
            lambda: repayment_manual_create(
                actor=owner,
                now=timezone.now(),
                chargeback=chargeback,
                amount=5000,
                paid_on=date.today(),
                manual_method=Repayment.ManualMethod.values[0],
            )
            for _ in range(CLIENTS)
        ]
    )

    assert sum(isinstance(r, Repayment) for r in results) == 1, results
    assert Repayment.objects.count() == 1 and audits("repayment.manual") + audits("repayment.record") <= 1


def test_concurrent_repayment_links_reserve_and_call_the_provider_once(owner, chargeback, calls):
    results = in_parallel(
        [
            lambda: repayment_link_create(actor=owner, now=timezone.now(), chargeback=chargeback)
            for _ in range(4)
        ]
    )

    assert sum(isinstance(r, Repayment) for r in results) == 1, results
    assert calls == ["repayment_link_create"] and Repayment.objects.count() == 1


def test_concurrent_deletes_of_an_access_code_delete_it_once(owner, merchant, clients):
    code = factories.AccessCodeFactory(merchant=merchant)
    url = reverse("purchases:access-code-delete", args=[code.pk])

    responses = in_parallel([lambda c=c: c.post(url, {"next": "/access-codes/"}) for c in clients])

    assert all(r.status_code in (302, 404) for r in responses), [r.status_code for r in responses]
    assert not AccessCode.objects.filter(pk=code.pk).exists() and audits("access_code.delete") == 1


def test_concurrent_cancels_through_the_service_call_the_provider_once(owner, merchant, calls):
    purchase = factories.PurchaseFactory(customer__merchant=merchant)

    results = in_parallel(
        [
            lambda: purchases.subscription_cancel_now(actor=owner, now=timezone.now(), purchase=purchase)
            for _ in range(CLIENTS)
        ]
    )

    assert sum(isinstance(r, purchases.CancelResult) for r in results) == 1
    assert all(
        isinstance(r, purchases.PurchaseNotLive) for r in results if not isinstance(r, purchases.CancelResult)
    )
    assert calls == ["subscription_cancel_now"]
