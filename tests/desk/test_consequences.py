"""What a modal says will happen is what happens: for each action that changes money, access or blocking
(credit, cancel, cancel purchase, block all, unblock), the plan shown before confirming is compared with the
outcome of the same action done through its service. The provider is the sandbox (Stripe's shapes); Telegram
is the Bot API stand-in."""

import pytest
from django.utils import timezone

from access.models import AccessGrant
from customers import services as blocking
from customers.models import BlockEvent, Identifier
from desk import consequences
from merchants.models import Membership
from purchases import services as purchases
from purchases.models import Purchase
from refunds.models import Credit
from refunds.services import CreditRefused, credit_create, credit_remaining
from tests import factories
from tests.access.botapi_stub import BotApiStub
from transactions.models import Transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def botapi(settings):
    with BotApiStub() as stub:
        settings.TELEGRAM_API_BASE = stub.url
        yield stub


@pytest.fixture
def radar(monkeypatch):
    """The provider mirrors blocks into Radar lists (Stripe does; the flag is the provider's capability)."""
    monkeypatch.setattr("customers.tasks.provider_mirrors_radar", lambda merchant: True)
    monkeypatch.setattr("customers.tasks.radar_sync_identifier.delay", lambda identifier_id: None)


@pytest.fixture
def customer(merchant):
    customer = factories.CustomerFactory(merchant=merchant, name="Jane Roe", provider_customer_id="cus_T1")
    for kind, value in ((Identifier.Kind.CARD, "fp_jane"), (Identifier.Kind.EMAIL, "jane@example.org")):
        identifier = factories.IdentifierFactory(merchant=merchant, kind=kind, value=value)
        factories.CustomerIdentifierFactory(customer=customer, identifier=identifier)
    bank = factories.IdentifierFactory(merchant=merchant, kind=Identifier.Kind.BANK_ACCOUNT, value="ba_jane")
    factories.CustomerIdentifierFactory(customer=customer, identifier=bank)
    other = factories.CustomerFactory(merchant=merchant, name="Shares the card")
    factories.CustomerIdentifierFactory(customer=other, identifier=Identifier.objects.get(value="fp_jane"))
    return customer


def _membership(user):
    return Membership.objects.get(user=user)


def _charge(customer, **fields):
    return factories.TransactionFactory(customer=customer, amount=5000, **fields)


def _credit(user, charge, **fields):
    """Credit through the service as the modal's POST does (the default reason: requested by the customer)."""
    fields.setdefault("reason", Credit.Reason.REQUESTED_BY_CUSTOMER)
    fields.setdefault("amount", None)
    return credit_create(
        actor=user, membership=_membership(user), now=timezone.now(), transaction=charge, **fields
    )


def _blocked_ids(events):
    return {e.identifier_id for e in events}


def _planned_ids(plan, *, to_blocked):
    return {c.identifier.pk for c in plan.changes if c.identifier is not None and c.to_blocked is to_blocked}


# --- credit -------------------------------------------------------------------------------------------------


def test_a_full_credit_moves_what_the_preview_said(owner, customer):
    charge = _charge(customer)
    plan = consequences.credit_consequences(
        charge=charge, amount=None, block_all=False, membership=_membership(owner)
    )

    credit = _credit(owner, charge, amount=None, reason=Credit.Reason.REQUESTED_BY_CUSTOMER)

    charge.refresh_from_db()
    assert not plan.refusal and plan.block is None
    assert (credit.status, credit.amount, credit.currency) == (
        Credit.Status.SUCCEEDED,
        plan.amount,
        plan.currency,
    )
    assert plan.amount == 5000
    assert charge.status == plan.status_after == Transaction.Status.REFUNDED
    assert credit_remaining(charge) == plan.remaining_after == 0
    assert not BlockEvent.objects.exists()


def test_a_partial_credit_with_block_all_blocks_the_details_and_radar_lists_the_preview_named(
    owner, customer, radar
):
    charge = _charge(customer)
    plan = consequences.credit_consequences(
        charge=charge, amount=1250, block_all=True, membership=_membership(owner)
    )

    credit = _credit(owner, charge, amount=1250, reason=Credit.Reason.FRAUDULENT, block_all=True)

    charge.refresh_from_db()
    assert credit.amount == plan.amount == 1250
    assert charge.status == plan.status_after == Transaction.Status.PARTIALLY_REFUNDED
    assert credit_remaining(charge) == plan.remaining_after == 3750
    events = BlockEvent.objects.filter(action=BlockEvent.Action.BLOCK)
    planned = {c.label for c in plan.block.changes}
    actual = {
        f"{e.identifier.get_kind_display()} {e.identifier.display or e.identifier.value}" for e in events
    }
    assert planned == actual and len(actual) == 4  # card, email, bank account and the created customer ID
    radar_planned = {c.label for c in plan.block.radar_changes}
    radar_actual = {
        f"{i.get_kind_display()} {i.display or i.value}"
        for i in Identifier.objects.exclude(radar_status=Identifier.SyncStatus.NONE)
    }
    assert radar_planned == radar_actual and len(radar_actual) == 3  # a bank account has no Radar list
    assert plan.block.other_customers == 1  # the card is shared with one other customer


def test_a_refused_credit_previews_the_refusal_it_gets(support, customer, merchant):
    merchant.support_credit_limit = 2000
    merchant.save()
    charge = _charge(customer)
    plan = consequences.credit_consequences(
        charge=charge, amount=4000, block_all=True, membership=_membership(support)
    )

    with pytest.raises(CreditRefused) as refused:
        _credit(support, charge, amount=4000, reason=Credit.Reason.DUPLICATE, block_all=True)

    assert plan.refusal == refused.value.message
    assert plan.amount == 0 and plan.block is None
    assert not Credit.objects.exists() and not BlockEvent.objects.exists()


def test_a_pending_credit_is_counted_by_the_preview_as_by_the_service(owner, customer):
    charge = _charge(customer)
    factories.CreditFactory(transaction=charge, amount=3000, status=Credit.Status.PENDING)
    plan = consequences.credit_consequences(
        charge=charge, amount=None, block_all=False, membership=_membership(owner)
    )

    credit = _credit(owner, charge, amount=None, reason=Credit.Reason.REQUESTED_BY_CUSTOMER)

    charge.refresh_from_db()
    assert credit.amount == plan.amount == 2000
    assert plan.remaining_after == credit_remaining(charge) == 0


# --- cancel purchase and cancel subscription ---------------------------------------------------------


@pytest.fixture
def member(merchant, customer):
    """Jane's Telegram account in two chats of her one-time product; another live purchase also gives one."""
    merchant.telegram_bot_token = "123:TOKEN"
    merchant.save()
    account = factories.TelegramAccountFactory(customer=customer, merchant=merchant)
    product = factories.ProductFactory(merchant=merchant, one_time=True, name="Course")
    lost = factories.TelegramChatFactory(merchant=merchant, title="Course chat")
    kept = factories.TelegramChatFactory(merchant=merchant, title="Community")
    lost.products.add(product)
    kept.products.add(product)
    bundle = factories.ProductFactory(merchant=merchant, one_time=True, name="Community pass")
    kept.products.add(bundle)
    factories.PurchaseFactory(customer=customer, merchant=merchant, product=bundle, one_time=True)
    purchase = factories.PurchaseFactory(customer=customer, merchant=merchant, product=product, one_time=True)
    return purchase, account, lost, kept


def test_cancel_purchase_removes_from_the_chats_the_preview_named_and_keeps_the_others(
    member, owner, botapi, django_capture_on_commit_callbacks
):
    purchase, account, lost, kept = member
    now = timezone.now()
    c = consequences.cancel_consequences(purchase=purchase, when="IMMEDIATELY", now=now)

    with django_capture_on_commit_callbacks(execute=True):
        purchases.purchase_cancel(
            actor=owner, now=now, purchase=purchase, when="IMMEDIATELY", confirmation="CANCEL PURCHASE"
        )

    purchase.refresh_from_db()
    assert not c.plan.refusal and c.plan.immediately and not c.plan.at_provider
    assert not purchase.is_live and purchase.ended_at == c.plan.access_ends_at
    grants = {g.chat_id: g.status for g in AccessGrant.objects.filter(purchase=purchase)}
    assert [chat.pk for chat in c.access.lost] == [lost.pk]
    assert [chat.pk for chat, _other in c.access.kept] == [kept.pk]
    assert grants == {lost.pk: AccessGrant.Status.REVOKED, kept.pk: AccessGrant.Status.KEPT}
    assert [call["params"]["chat_id"] for call in botapi.calls if call["method"] == "banChatMember"] == [
        lost.chat_id
    ]


def test_cancel_purchase_of_an_ended_purchase_previews_the_refusal_it_gets(member, owner):
    purchase, *_ = member
    purchase.status = Purchase.Status.CANCELED
    purchase.ended_at = timezone.now()
    purchase.save()
    c = consequences.cancel_consequences(purchase=purchase, when="IMMEDIATELY", now=timezone.now())

    with pytest.raises(purchases.PurchaseError) as refused:
        purchases.purchase_cancel(
            actor=owner,
            now=timezone.now(),
            purchase=purchase,
            when="IMMEDIATELY",
            confirmation="CANCEL PURCHASE",
        )

    assert c.plan.refusal == refused.value.message


@pytest.fixture
def subscription(customer):
    return factories.PurchaseFactory(customer=customer, merchant=customer.merchant, product__name="Signals")


def test_cancel_at_period_end_ends_access_when_the_preview_said(subscription, owner):
    now = timezone.now()
    c = consequences.cancel_consequences(
        purchase=subscription,
        when=consequences.cancel_when(subscription, "subscription-cancel", {"keep_active": "on"}),
        now=now,
    )

    result = purchases.subscription_cancel(actor=owner, now=now, purchase=subscription, at_period_end=True)

    updated = result.purchase
    assert c.plan.at_provider and not c.plan.immediately and not c.plan.already_scheduled
    assert updated.is_live and updated.cancel_at_period_end
    # Stripe's timestamps are whole seconds; the factory's period end had microseconds.
    ends_at = updated.cancel_at or updated.current_period_end_at
    assert ends_at == c.plan.access_ends_at.replace(microsecond=0)

    again = consequences.cancel_consequences(purchase=updated, when="PERIOD_END", now=now)
    second = purchases.purchase_cancel(
        actor=owner, now=now, purchase=updated, when="PERIOD_END", confirmation="CANCEL PURCHASE"
    )
    assert again.plan.already_scheduled and not second.changed  # "nothing changes", and nothing did


def test_cancel_now_ends_the_subscription_now_as_the_preview_said(subscription, owner):
    now = timezone.now()
    when = consequences.cancel_when(subscription, "subscription-cancel-now", {})
    c = consequences.cancel_consequences(purchase=subscription, when=when, now=now)

    result = purchases.subscription_cancel_now(actor=owner, now=now, purchase=subscription)

    assert c.plan.immediately and c.plan.at_provider and c.plan.access_ends_at == now
    assert not result.purchase.is_live


# --- block all, unblock all, the switches ------------------------------------------------------------------


def test_block_all_with_cancel_subscriptions_does_what_the_preview_listed(
    customer, subscription, owner, radar, django_capture_on_commit_callbacks
):
    one_time = factories.PurchaseFactory(customer=customer, merchant=customer.merchant, one_time=True)
    now = timezone.now()
    c = consequences.block_all_consequences(customer=customer, cancel_subscriptions=True, now=now)

    with django_capture_on_commit_callbacks(execute=True):
        events = blocking.customer_block_all(
            actor=owner, now=now, customer=customer, reason="FRAUD", cancel_subscriptions=True
        )

    created = [change for change in c.plan.changes if change.identifier is None]
    assert _blocked_ids(events) - {e.identifier_id for e in events if e.identifier.kind == "CUSTOMER_ID"} == (
        _planned_ids(c.plan, to_blocked=True)
    )
    assert len(created) == 1 and created[0].label == "Customer ID cus_T1"
    assert {e.identifier.kind for e in events} >= {"CUSTOMER_ID"}
    assert [s.plan.purchase.pk for s in c.subscriptions] == [subscription.pk]
    subscription.refresh_from_db()
    one_time.refresh_from_db()
    assert not subscription.is_live and one_time.is_live  # only the listed subscription ended
    assert len(c.plan.radar_changes) == Identifier.objects.exclude(radar_status="NONE").count() == 3


def test_block_all_leaves_already_blocked_details_out_of_the_preview_and_the_log(customer, owner):
    card = Identifier.objects.get(value="fp_jane")
    blocking.identifier_block(actor=owner, now=timezone.now(), identifier=card, reason="FRAUD")
    c = consequences.block_all_consequences(customer=customer, cancel_subscriptions=False, now=timezone.now())

    events = blocking.customer_block_all(actor=owner, now=timezone.now(), customer=customer, reason="FRAUD")

    assert card.pk not in _planned_ids(c.plan, to_blocked=True)
    assert len(events) == len(c.plan.changes) == 3  # email, bank account, customer ID
    assert c.subscriptions == []


def test_unblock_all_unblocks_what_the_preview_listed(customer, manager, radar):
    blocking.customer_block_all(actor=manager, now=timezone.now(), customer=customer, reason="FRAUD")
    email = Identifier.objects.get(value="jane@example.org")
    blocking.identifier_unblock(actor=manager, now=timezone.now(), identifier=email)
    c = consequences.unblock_all_consequences(customer=customer)

    events = blocking.customer_unblock_all(actor=manager, now=timezone.now(), customer=customer)

    assert _blocked_ids(events) == _planned_ids(c.plan, to_blocked=False)
    assert email.pk not in _planned_ids(c.plan, to_blocked=False)
    assert len(events) == 3 and not c.plan.customer_blocked_after
    customer.refresh_from_db()
    assert not customer.is_blocked
    assert {change.radar_list for change in c.plan.radar_changes} == {"card fingerprints", "customer IDs"}


def test_the_switches_preview_matches_what_save_changes(customer, manager):
    card = Identifier.objects.get(value="fp_jane")
    email = Identifier.objects.get(value="jane@example.org")
    blocking.identifier_block(actor=manager, now=timezone.now(), identifier=email, reason="FRAUD")
    changes = {card.pk: True, email.pk: False}
    c = consequences.toggles_consequences(customer=customer, changes=changes)

    events = blocking.identifiers_apply(actor=manager, now=timezone.now(), customer=customer, changes=changes)

    assert {e.identifier_id for e in events if e.action == "BLOCK"} == _planned_ids(c.plan, to_blocked=True)
    assert {e.identifier_id for e in events if e.action == "UNBLOCK"} == _planned_ids(
        c.plan, to_blocked=False
    )
    assert c.plan.other_customers == 1  # the card is shared
