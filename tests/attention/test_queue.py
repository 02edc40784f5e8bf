"""The "Needs attention" queue: each kind appears and leaves by itself, tenants, roles, claims, queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access.models import AccessGrant
from attention.models import AttentionClaim, AttentionKind
from attention.selectors import attention_count, attention_rows
from attention.services import AlreadyClaimed, attention_claim, attention_release
from audit.models import AuditEvent
from customers.models import Customer
from merchants.models import Membership
from providers.models import ProviderEvent
from refunds.models import Credit, Repayment
from tests import factories
from transactions.models import Dispute, Transaction

pytestmark = pytest.mark.django_db
URL = reverse("attention:list")


def rows_for(user, merchant, **kwargs):
    membership = Membership.objects.get(user=user, merchant=merchant)
    rows, _ = attention_rows(merchant=merchant, membership=membership, now=timezone.now(), **kwargs)
    return rows


def keys(rows):
    return {(r.kind, r.key) for r in rows}


# One maker per kind: (create a row for the merchant, resolve it the way the domain would).


def make_removal(merchant):
    grant = factories.AccessGrantFactory(
        purchase__customer__merchant=merchant,
        status=AccessGrant.Status.REVOKE_PENDING,
        revoke_requested_at=timezone.now() - timedelta(minutes=30),
        last_error="Forbidden: not enough rights to ban",
    )
    return grant, lambda: AccessGrant.objects.filter(pk=grant.pk).update(status=AccessGrant.Status.REVOKED)


def make_credit(merchant):
    credit = factories.CreditFactory(transaction__customer__merchant=merchant)
    return credit, lambda: Credit.objects.filter(pk=credit.pk).update(status=Credit.Status.SUCCEEDED)


def make_event(merchant):
    event = factories.ProviderEventFactory(
        merchant=merchant, status=ProviderEvent.Status.FAILED, error="boom"
    )
    return event, lambda: ProviderEvent.objects.filter(pk=event.pk).update(
        status=ProviderEvent.Status.PROCESSED
    )


def make_dispute(merchant):
    dispute = factories.DisputeFactory(transaction__customer__merchant=merchant)
    return dispute, lambda: Dispute.objects.filter(pk=dispute.pk).update(status=Dispute.Status.UNDER_REVIEW)


def make_repayment(merchant):
    repayment = factories.RepaymentFactory(
        chargeback__customer__merchant=merchant,
        method=Repayment.Method.LINK,
        status=Repayment.Status.PENDING,
        expires_at=timezone.now() + timedelta(hours=5),
    )
    return repayment, lambda: Repayment.objects.filter(pk=repayment.pk).update(status=Repayment.Status.PAID)


def make_blocked_payment(merchant):
    txn = factories.TransactionFactory(customer__merchant=merchant, blocked_detail_used=True)
    return txn, lambda: Transaction.objects.filter(pk=txn.pk).update(status=Transaction.Status.REFUNDED)


def make_linked_customer(merchant):
    blocked = factories.CustomerFactory(merchant=merchant, is_blocked=True)
    link = factories.CustomerIdentifierFactory(customer=blocked)
    linked = factories.CustomerIdentifierFactory(
        customer__merchant=merchant, identifier=link.identifier
    ).customer
    return linked, lambda: Customer.objects.filter(pk=linked.pk).update(is_blocked=True)


MAKERS = {
    AttentionKind.REMOVAL: make_removal,
    AttentionKind.CREDIT: make_credit,
    AttentionKind.EVENT: make_event,
    AttentionKind.DISPUTE: make_dispute,
    AttentionKind.REPAYMENT: make_repayment,
    AttentionKind.BLOCKED_PAYMENT: make_blocked_payment,
    AttentionKind.LINKED_CUSTOMER: make_linked_customer,
}


@pytest.mark.parametrize("kind", list(MAKERS))
def test_a_row_appears_and_leaves_when_resolved(kind, merchant, manager):
    obj, resolve = MAKERS[kind](merchant)
    assert (kind, str(obj.pk)) in keys(rows_for(manager, merchant))
    assert attention_count(merchant, timezone.now()) == 1
    resolve()
    assert (kind, str(obj.pk)) not in keys(rows_for(manager, merchant))
    assert attention_count(merchant, timezone.now()) == 0


def test_rows_that_do_not_need_attention_stay_out(merchant, manager):
    factories.AccessGrantFactory(purchase__customer__merchant=merchant)  # ACTIVE
    factories.DisputeFactory(
        transaction__customer__merchant=merchant, due_by=timezone.now() + timedelta(days=9)
    )
    factories.DisputeFactory(
        transaction__customer__merchant=merchant, due_by=timezone.now() - timedelta(hours=1)
    )
    factories.RepaymentFactory(
        chargeback__customer__merchant=merchant,
        method=Repayment.Method.LINK,
        expires_at=timezone.now() + timedelta(days=3),
    )
    factories.TransactionFactory(customer__merchant=merchant)  # not a blocked detail
    factories.ProviderEventFactory(merchant=merchant, status=ProviderEvent.Status.PROCESSED)
    shared = factories.CustomerIdentifierFactory(customer__merchant=merchant)  # shared, nobody blocked
    factories.CustomerIdentifierFactory(customer__merchant=merchant, identifier=shared.identifier)
    assert rows_for(manager, merchant) == []


def test_each_row_says_why_since_when_and_its_action(merchant, manager, manager_client):
    grant, _ = make_removal(merchant)
    event, _ = make_event(merchant)
    dispute, _ = make_dispute(merchant)
    page = manager_client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Forbidden: not enough rights to ban" in html
    assert "30 minutes ago" in html
    assert reverse("access:access-retry", args=[grant.purchase_id]) in html
    assert reverse("providers:event-replay", args=[event.pk]) in html
    assert reverse("transactions:dispute-respond", args=[dispute.pk]) in html
    assert html.count("data-href=") == 3


def test_support_sees_the_rows_without_actions_it_cannot_take(merchant, support_client):
    event, _ = make_event(merchant)
    dispute, _ = make_dispute(merchant)
    html = support_client.get(URL).content.decode()
    assert reverse("providers:event-detail", args=[event.pk]) in html
    assert reverse("providers:event-replay", args=[event.pk]) not in html
    assert reverse("transactions:dispute-respond", args=[dispute.pk]) not in html


def test_filter_by_kind_and_assigned_to_me(merchant, manager, manager_client):
    grant, _ = make_removal(merchant)
    credit, _ = make_credit(merchant)
    page = manager_client.get(URL, {"kind": "CREDIT"})
    assert f"attention-credit-{credit.pk}" in page.content.decode()
    assert f"attention-removal-{grant.pk}" not in page.content.decode()
    attention_claim(merchant=merchant, actor=manager, kind="REMOVAL", key=str(grant.pk), now=timezone.now())
    html = manager_client.get(URL, {"mine": "on"}).content.decode()
    assert f"attention-removal-{grant.pk}" in html
    assert f"attention-credit-{credit.pk}" not in html
    bad = manager_client.get(URL, {"kind": "NOPE\x00", "mine": "x" * 5000})
    assert bad.status_code == 200


def test_another_merchants_rows_never_show_and_cannot_be_taken(merchant, other_merchant, manager, client):
    for make in MAKERS.values():
        make(other_merchant)
    credit, _ = make_credit(other_merchant)
    assert rows_for(manager, merchant) == []
    assert attention_count(merchant, timezone.now()) == 0
    client.force_login(manager)
    response = client.post(reverse("attention:claim"), {"kind": "CREDIT", "key": str(credit.pk)})
    assert response.status_code == 302
    assert not AttentionClaim.objects.exists()


def test_the_navigation_shows_the_count(merchant, manager_client):
    make_credit(merchant)
    make_event(merchant)
    html = manager_client.get(reverse("customers:list")).content.decode()
    assert 'id="nav-attention"' in html and reverse("attention:count") in html
    badge = manager_client.get(reverse("attention:count")).content.decode()
    assert 'aria-label="2 to act on"' in badge


def test_take_and_release_are_audited_and_shown(merchant, manager, manager_client):
    credit, _ = make_credit(merchant)
    response = manager_client.post(reverse("attention:claim"), {"kind": "CREDIT", "key": str(credit.pk)})
    assert response.status_code == 302
    claim = AttentionClaim.objects.get()
    assert claim.claimed_by == manager and claim.merchant == merchant
    assert AuditEvent.objects.filter(action="attention.claim", actor=manager).count() == 1
    assert "Release" in manager_client.get(URL).content.decode()
    manager_client.post(reverse("attention:release"), {"kind": "CREDIT", "key": str(credit.pk)})
    assert not AttentionClaim.objects.exists()
    assert AuditEvent.objects.filter(action="attention.release", actor=manager).count() == 1


def test_taking_a_row_someone_else_has_says_who(merchant, manager, support, client):
    credit, _ = make_credit(merchant)
    now = timezone.now()
    attention_claim(merchant=merchant, actor=manager, kind="CREDIT", key=str(credit.pk), now=now)
    with pytest.raises(AlreadyClaimed) as raised:
        attention_claim(merchant=merchant, actor=support, kind="CREDIT", key=str(credit.pk), now=now)
    assert manager.get_full_name() in raised.value.message
    # taking one's own row again is a no-op; someone else cannot release it
    attention_claim(merchant=merchant, actor=manager, kind="CREDIT", key=str(credit.pk), now=now)
    with pytest.raises(AlreadyClaimed):
        attention_release(merchant=merchant, actor=support, kind="CREDIT", key=str(credit.pk), now=now)
    assert AttentionClaim.objects.get().claimed_by == manager
    assert AuditEvent.objects.filter(action="attention.claim").count() == 1
    client.force_login(support)
    response = client.post(reverse("attention:claim"), {"kind": "CREDIT", "key": str(credit.pk)}, follow=True)
    assert f"{manager.get_full_name()} has taken this already." in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"kind": "CREDIT"},
        {"kind": "NOPE", "key": "1"},
        {"kind": "CREDIT", "key": "-1"},
        {"kind": "CREDIT", "key": "9" * 40},
        {"kind": "CREDIT", "key": "1\x00"},
        {"kind": "CREDIT", "key": "999"},
    ],
)
def test_bad_claims_change_nothing(merchant, manager_client, data):
    for name in ("claim", "release"):
        response = manager_client.post(reverse(f"attention:{name}"), data)
        assert response.status_code == 302
    assert not AttentionClaim.objects.exists()


def test_claims_need_a_post_and_a_member(merchant, client, manager_client):
    assert manager_client.get(reverse("attention:claim")).status_code == 405
    client.logout()
    assert client.post(reverse("attention:claim"), {}).status_code == 302  # to sign-in
    assert client.get(URL).status_code == 302


def test_the_database_refuses_two_claims_on_one_row(merchant, manager, support):
    from django.db import IntegrityError, transaction

    AttentionClaim.objects.create(
        merchant=merchant, kind="CREDIT", key="1", claimed_by=manager, claimed_at=timezone.now()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        AttentionClaim.objects.create(
            merchant=merchant, kind="CREDIT", key="1", claimed_by=support, claimed_at=timezone.now()
        )


def _queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return [q["sql"][:90] for q in queries]


def test_query_count_is_the_same_with_1_or_20_rows_per_kind(merchant, manager, manager_client):
    for make in MAKERS.values():
        make(merchant)
    AttentionClaim.objects.create(
        merchant=merchant,
        kind="CREDIT",
        key=str(Credit.objects.first().pk),
        claimed_by=manager,
        claimed_at=timezone.now(),
    )
    _queries(manager_client)  # warm: the first request of a session reads a few things once
    one = _queries(manager_client)
    for make in MAKERS.values():
        for _ in range(19):
            make(merchant)
    twenty = _queries(manager_client)
    assert len(rows_for(manager, merchant)) == 20 * len(MAKERS)
    assert len(twenty) == len(one)


@pytest.mark.parametrize("direction", ["holds_blocked_access", "blocked_holds_their_access"])
def test_a_customer_sharing_a_telegram_account_with_a_blocked_customer_is_in_the_queue(
    merchant, manager, direction
):
    blocked = factories.CustomerFactory(merchant=merchant, is_blocked=True)
    other = factories.CustomerFactory(merchant=merchant)
    buyer, holder = (blocked, other) if direction == "holds_blocked_access" else (other, blocked)
    account = factories.TelegramAccountFactory(customer=holder)
    factories.AccessGrantFactory(purchase__customer=buyer, account=account)

    rows = [r for r in rows_for(manager, merchant) if r.kind == AttentionKind.LINKED_CUSTOMER]

    assert [(r.key, r.reason) for r in rows] == [
        (str(other.pk), "Shares a Telegram account with a blocked customer")
    ]
    assert attention_count(merchant, timezone.now()) == 1
    Customer.objects.filter(pk=other.pk).update(is_blocked=True)
    assert attention_count(merchant, timezone.now()) == 0


def test_a_customer_linked_by_card_and_telegram_is_one_row_giving_the_card(merchant, manager):
    linked, _resolve = make_linked_customer(merchant)
    blocked = Customer.objects.filter(merchant=merchant, is_blocked=True).get()
    factories.AccessGrantFactory(
        purchase__customer=blocked, account=factories.TelegramAccountFactory(customer=linked)
    )

    rows = [r for r in rows_for(manager, merchant) if r.kind == AttentionKind.LINKED_CUSTOMER]

    assert [(r.key, r.reason) for r in rows] == [
        (str(linked.pk), "Shares a card or an email with a blocked customer")
    ]
    assert attention_count(merchant, timezone.now()) == 1
