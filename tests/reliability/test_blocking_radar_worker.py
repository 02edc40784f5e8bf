"""The Radar mirror through a real Redis broker and Celery worker (sandbox block lists)."""

import time

import pytest
from django.utils import timezone

from customers.models import Identifier
from customers.services import identifier_block, identifier_unblock
from tests import factories

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_rapid_blocks_and_unblocks_end_synced_with_the_final_state(worker):
    merchant = factories.MerchantFactory(slug="radar-worker")
    owner = factories.MembershipFactory(merchant=merchant, role="OWNER").user
    customer = factories.CustomerFactory(merchant=merchant)
    cards = [factories.CustomerIdentifierFactory(customer=customer).identifier for _ in range(5)]

    for card in cards:  # block, unblock, block again: the last state is "blocked"
        identifier_block(actor=owner, now=timezone.now(), identifier=card, reason="FRAUD")
        identifier_unblock(actor=owner, now=timezone.now(), identifier=card)
        identifier_block(actor=owner, now=timezone.now(), identifier=card, reason="FRAUD")
    identifier_unblock(actor=owner, now=timezone.now(), identifier=cards[0])

    mine = Identifier.objects.filter(pk__in=[c.pk for c in cards])

    def settled():
        return not mine.exclude(radar_status="SYNCED").exists()

    _wait(settled, 120, "every detail SYNCED")
    for card in mine:
        assert bool(card.radar_item_id) == card.is_blocked
