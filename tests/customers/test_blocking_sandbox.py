"""Blocking with the embedded SandboxProvider end to end: the Radar mirror and Block all's cancellation."""

import pytest
from django.utils import timezone

from customers.models import BlockEvent, Identifier
from customers.services import customer_block_all, identifier_block, identifier_unblock
from purchases.models import Purchase
from tests import factories

pytestmark = pytest.mark.django_db
NOW = timezone.now()


@pytest.fixture
def customer(merchant):
    return factories.CustomerFactory(merchant=merchant)


def test_a_sandbox_merchant_mirrors_blocks_into_its_block_lists(
    owner, customer, django_capture_on_commit_callbacks
):
    card = factories.CustomerIdentifierFactory(customer=customer).identifier

    with django_capture_on_commit_callbacks(execute=True):
        identifier_block(actor=owner, now=NOW, identifier=card, reason=BlockEvent.Reason.FRAUD)
    card.refresh_from_db()
    assert card.radar_status == "SYNCED" and card.radar_item_id.startswith("rsli_")

    with django_capture_on_commit_callbacks(execute=True):
        identifier_unblock(actor=owner, now=NOW, identifier=card)
    card.refresh_from_db()
    assert (card.radar_status, card.radar_item_id) == ("SYNCED", "")


def test_block_all_can_cancel_live_subscriptions_through_the_purchases_flow(
    owner, customer, django_capture_on_commit_callbacks
):
    live = factories.PurchaseFactory(customer=customer)

    with django_capture_on_commit_callbacks(execute=True):
        customer_block_all(actor=owner, now=NOW, customer=customer, reason="FRAUD", cancel_subscriptions=True)

    live.refresh_from_db()
    assert live.status == Purchase.Status.CANCELED
    assert Identifier.objects.get(kind="CUSTOMER_ID").is_blocked
