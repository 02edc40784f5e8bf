"""Blocking services: every rule of issue 5 at the service level."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from customers import services
from customers.models import BlockEvent, Customer, Identifier
from customers.services import (
    BlockingError,
    UnblockNotAllowed,
    customer_block_all,
    customer_unblock_all,
    email_is_blocked,
    identifier_block,
    identifier_unblock,
    identifiers_apply,
)
from purchases import receivers as purchase_receivers
from purchases.models import Purchase
from tests import factories

pytestmark = pytest.mark.django_db
NOW = timezone.now()
FRAUD = BlockEvent.Reason.FRAUD


@pytest.fixture(autouse=True)
def no_radar(monkeypatch):
    """A provider without block lists, unless a test installs one (tests/customers/test_radar_mirror.py)."""
    monkeypatch.setattr("customers.tasks.provider_mirrors_radar", lambda merchant: False)


def link(customer, **identifier_kwargs):
    identifier_kwargs.setdefault("merchant", customer.merchant)
    return factories.CustomerIdentifierFactory(
        customer=customer, identifier=factories.IdentifierFactory(**identifier_kwargs)
    ).identifier


def link_existing(customer, identifier):
    factories.CustomerIdentifierFactory(customer=customer, identifier=identifier)


@pytest.fixture
def customer(merchant):
    return factories.CustomerFactory(merchant=merchant)


def test_blocking_a_detail_writes_one_block_event_and_one_audit_event(owner, customer):
    card = link(customer)

    event = identifier_block(actor=owner, now=NOW, identifier=card, customer=customer, reason=FRAUD)

    card.refresh_from_db()
    assert card.is_blocked and card.blocked_at == NOW
    assert (event.action, event.actor, event.reason, event.source) == ("BLOCK", owner, "FRAUD", "MANUAL")
    assert event.customer == customer
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["identifier.block"]


def test_blocking_an_already_blocked_detail_writes_nothing(owner, customer):
    card = link(customer, blocked=True)

    event = identifier_block(actor=owner, now=NOW, identifier=card, reason=FRAUD)

    assert event is None
    assert not BlockEvent.objects.exists()
    assert not AuditEvent.objects.exists()


def test_unblocking_a_detail_that_is_not_blocked_writes_nothing(owner, customer):
    card = link(customer)

    assert identifier_unblock(actor=owner, now=NOW, identifier=card) is None

    assert not BlockEvent.objects.exists() and not AuditEvent.objects.exists()


def test_a_support_agent_may_block(support, customer):
    card = link(customer)

    identifier_block(actor=support, now=NOW, identifier=card, reason="")

    card.refresh_from_db()
    assert card.is_blocked


def test_a_support_agent_cannot_unblock(support, customer):
    card = link(customer, blocked=True)

    with pytest.raises(UnblockNotAllowed):
        identifier_unblock(actor=support, now=NOW, identifier=card)

    card.refresh_from_db()
    assert card.is_blocked and not BlockEvent.objects.exists()


@pytest.mark.parametrize("role_fixture", ["manager", "owner"])
def test_managers_and_owners_can_unblock(request, role_fixture, customer):
    actor = request.getfixturevalue(role_fixture)
    card = link(customer, blocked=True)

    event = identifier_unblock(actor=actor, now=NOW, identifier=card, customer=customer)

    card.refresh_from_db()
    assert not card.is_blocked and card.blocked_at is None
    assert event.action == BlockEvent.Action.UNBLOCK


def test_a_member_of_another_merchant_cannot_unblock(other_user, customer):
    card = link(customer, blocked=True)

    with pytest.raises(UnblockNotAllowed):
        identifier_unblock(actor=other_user, now=NOW, identifier=card)


def test_blocking_a_shared_card_blocks_it_for_every_customer_who_used_it(owner, merchant, customer):
    card = link(customer)
    other = factories.CustomerFactory(merchant=merchant)
    link_existing(other, card)

    identifier_block(actor=owner, now=NOW, identifier=card, customer=customer, reason=FRAUD)

    assert other.identifiers.get().is_blocked
    assert BlockEvent.objects.count() == 1


def test_blocking_a_customer_id_marks_every_linked_customer_blocked(owner, merchant, customer):
    customer_id = link(customer, customer_id=True)
    twin = factories.CustomerFactory(merchant=merchant)
    link_existing(twin, customer_id)
    bystander = factories.CustomerFactory(merchant=merchant)

    identifier_block(actor=owner, now=NOW, identifier=customer_id, reason=FRAUD)

    assert set(Customer.objects.filter(is_blocked=True)) == {customer, twin}
    assert not Customer.objects.get(pk=bystander.pk).is_blocked


def test_unblocking_a_customer_id_clears_the_customer_flag(owner, customer):
    customer_id = link(customer, customer_id=True, blocked=True)
    Customer.objects.filter(pk=customer.pk).update(is_blocked=True)

    identifier_unblock(actor=owner, now=NOW, identifier=customer_id)

    customer.refresh_from_db()
    assert not customer.is_blocked


def test_blocking_a_card_does_not_mark_the_customer_blocked(owner, customer):
    card = link(customer)

    identifier_block(actor=owner, now=NOW, identifier=card, reason=FRAUD)

    customer.refresh_from_db()
    assert not customer.is_blocked


@pytest.mark.parametrize(
    "spelling", ["Jane.Doe@Example.org", "jane.doe+promo@example.org", "JANE.DOE+x+y@EXAMPLE.ORG"]
)
def test_a_blocked_email_is_recognised_in_any_case_and_with_a_plus_tag(owner, customer, spelling):
    email = link(customer, email=True, value="jane.doe@example.org")
    identifier_block(actor=owner, now=NOW, identifier=email, reason=FRAUD)

    assert email_is_blocked(customer.merchant, spelling)


def test_an_email_is_not_blocked_for_another_merchant_or_another_address(owner, customer, other_merchant):
    email = link(customer, email=True, value="jane.doe@example.org")
    identifier_block(actor=owner, now=NOW, identifier=email, reason=FRAUD)

    assert not email_is_blocked(other_merchant, "jane.doe@example.org")
    assert not email_is_blocked(customer.merchant, "john.doe@example.org")
    assert not email_is_blocked(customer.merchant, "")


def test_reason_other_needs_a_text(owner, customer):
    card = link(customer)

    with pytest.raises(BlockingError, match="Describe the reason"):
        identifier_block(actor=owner, now=NOW, identifier=card, reason="OTHER", reason_text="  ")

    card.refresh_from_db()
    assert not card.is_blocked


def test_a_reason_text_longer_than_500_characters_is_refused(owner, customer):
    card = link(customer)

    with pytest.raises(BlockingError, match="too long"):
        identifier_block(actor=owner, now=NOW, identifier=card, reason="OTHER", reason_text="x" * 501)


def test_apply_changes_only_what_was_toggled_and_logs_each_change(owner, customer):
    card, email, iban = link(customer), link(customer, email=True, blocked=True), link(customer, sepa=True)

    events = identifiers_apply(
        actor=owner,
        now=NOW,
        customer=customer,
        changes={card.pk: True, email.pk: False, iban.pk: False},
        reason=BlockEvent.Reason.CUSTOMER_REQUEST,
        reason_text="",
    )

    assert {(e.identifier_id, e.action) for e in events} == {(card.pk, "BLOCK"), (email.pk, "UNBLOCK")}
    assert AuditEvent.objects.filter(action__startswith="identifier.").count() == 2


def test_apply_refuses_a_detail_of_another_customer_and_changes_nothing(
    owner, merchant, customer, other_merchant
):
    card = link(customer)
    stranger_card = link(factories.CustomerFactory(merchant=merchant))
    foreign_card = link(factories.CustomerFactory(merchant=other_merchant))

    for bad_id in (stranger_card.pk, foreign_card.pk, 999_999):
        with pytest.raises(BlockingError):
            identifiers_apply(
                actor=owner,
                now=NOW,
                customer=customer,
                changes={card.pk: True, bad_id: True},
                reason="",
                reason_text="",
            )

    assert not Identifier.objects.filter(is_blocked=True).exists()
    assert not BlockEvent.objects.exists()


def test_apply_by_support_with_an_unblock_changes_nothing(support, customer):
    card, email = link(customer), link(customer, email=True, blocked=True)

    with pytest.raises(UnblockNotAllowed):
        identifiers_apply(
            actor=support,
            now=NOW,
            customer=customer,
            changes={card.pk: True, email.pk: False},
            reason="",
            reason_text="",
        )

    card.refresh_from_db()
    assert not card.is_blocked and not BlockEvent.objects.exists()


def test_block_all_blocks_every_detail_including_the_customer_id(owner, customer):
    details = [link(customer), link(customer, email=True), link(customer, sepa=True)]
    details.append(link(customer, customer_id=True))

    events = customer_block_all(actor=owner, now=NOW, customer=customer, reason=FRAUD)

    assert len(events) == 4 and {e.source for e in events} == {"BLOCK_ALL"}
    assert all(Identifier.objects.get(pk=d.pk).is_blocked for d in details)
    customer.refresh_from_db()
    assert customer.is_blocked
    assert AuditEvent.objects.filter(action="customer.block_all").count() == 1


def test_unblock_all_logs_its_own_source_not_block_all(owner, customer):
    link(customer)
    link(customer, email=True)
    customer_block_all(actor=owner, now=NOW, customer=customer, reason=FRAUD)

    events = services.customer_unblock_all(actor=owner, now=NOW, customer=customer)

    assert len(events) == 3 and {e.source for e in events} == {"UNBLOCK_ALL"}  # with the customer ID
    assert {e.get_source_display() for e in events} == {"Unblock all"}


def test_block_all_creates_the_customer_id_detail_when_sync_has_not(owner, customer):
    events = customer_block_all(
        actor=owner, now=NOW, customer=customer, reason=FRAUD, source=BlockEvent.Source.CREDIT
    )

    (event,) = events
    assert event.identifier.kind == "CUSTOMER_ID" and event.identifier.value == customer.provider_customer_id
    assert event.source == "CREDIT"
    assert Customer.objects.get(pk=customer.pk).is_blocked


def test_block_all_skips_details_already_blocked(owner, customer):
    link(customer, blocked=True)
    link(customer, customer_id=True)

    events = customer_block_all(actor=owner, now=NOW, customer=customer, reason=FRAUD)

    assert [e.identifier.kind for e in events] == ["CUSTOMER_ID"]


def test_unblock_all_unblocks_every_detail(manager, customer):
    link(customer, blocked=True)
    link(customer, customer_id=True, blocked=True)
    Customer.objects.filter(pk=customer.pk).update(is_blocked=True)

    events = customer_unblock_all(actor=manager, now=NOW, customer=customer)

    assert len(events) == 2
    assert not Identifier.objects.filter(is_blocked=True).exists()
    assert not customer.is_blocked


def test_unblock_all_by_support_is_refused(support, customer):
    link(customer, blocked=True)

    with pytest.raises(UnblockNotAllowed):
        customer_unblock_all(actor=support, now=NOW, customer=customer)

    assert Identifier.objects.filter(is_blocked=True).count() == 1


def test_block_all_with_cancel_subscriptions_cancels_live_subscriptions_after_commit(
    owner, customer, monkeypatch, django_capture_on_commit_callbacks
):
    live = factories.PurchaseFactory(customer=customer)
    factories.PurchaseFactory(customer=customer, canceled=True)
    factories.PurchaseFactory(customer=customer, one_time=True)
    canceled = []
    monkeypatch.setattr(
        purchase_receivers,
        "subscription_cancel_now",
        lambda *, actor, now, purchase: canceled.append(purchase),
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        customer_block_all(actor=owner, now=NOW, customer=customer, reason=FRAUD, cancel_subscriptions=True)
        assert canceled == []  # never inside the block's transaction

    assert canceled == [live] and len(callbacks) == 1


def test_a_failed_subscription_cancel_leaves_the_block_in_place(
    owner, customer, monkeypatch, django_capture_on_commit_callbacks
):
    factories.PurchaseFactory(customer=customer)

    def boom(**kwargs):
        raise RuntimeError("Stripe is down")

    monkeypatch.setattr(purchase_receivers, "subscription_cancel_now", boom)

    with django_capture_on_commit_callbacks(execute=True):
        customer_block_all(actor=owner, now=NOW, customer=customer, reason=FRAUD, cancel_subscriptions=True)

    assert Customer.objects.get(pk=customer.pk).is_blocked


def test_block_all_without_the_checkbox_leaves_subscriptions_alone(
    owner, customer, django_capture_on_commit_callbacks
):
    live = factories.PurchaseFactory(customer=customer)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        customer_block_all(actor=owner, now=NOW, customer=customer, reason=FRAUD)

    assert callbacks == []
    assert Purchase.objects.get(pk=live.pk).status == Purchase.Status.ACTIVE


def test_block_events_cannot_be_edited_or_deleted(owner, customer):
    event = identifier_block(actor=owner, now=NOW, identifier=link(customer), reason=FRAUD)

    event.reason = BlockEvent.Reason.OTHER
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_block_then_unblock_then_block_is_three_log_entries(owner, customer):
    card = link(customer)

    identifier_block(actor=owner, now=NOW, identifier=card, reason=FRAUD)
    identifier_unblock(actor=owner, now=NOW + timedelta(minutes=1), identifier=card)
    identifier_block(actor=owner, now=NOW + timedelta(minutes=2), identifier=card, reason=FRAUD)

    assert list(card.block_events.values_list("action", flat=True)) == ["BLOCK", "UNBLOCK", "BLOCK"]
