"""Two staff pressing "Block all linked" at once, on PostgreSQL: each linked customer is blocked once, with
one block-all audit event each, and the second press blocks nobody (it is told nothing changed)."""

import pytest
from django.conf import settings
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from customers.models import BlockEvent, Customer
from customers.services import BlockingError
from desk.linked import block_linked
from tests import factories
from tests.concurrency import in_parallel

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (set DATABASE_URL)"),
]


@pytest.fixture(autouse=True)
def no_radar(monkeypatch):
    monkeypatch.setattr("customers.tasks.provider_mirrors_radar", lambda merchant: False)


def test_two_block_all_linked_at_once_block_each_customer_once(owner, manager):
    merchant = owner.memberships.get().merchant
    me = factories.CustomerFactory(merchant=merchant)
    card = factories.IdentifierFactory(merchant=merchant)
    twins = [factories.CustomerFactory(merchant=merchant) for _ in range(3)]
    for c in (me, *twins):
        factories.CustomerIdentifierFactory(customer=c, identifier=card)
    chosen = {t.pk for t in twins}
    now = timezone.now()

    results = in_parallel(
        [
            lambda actor=actor: block_linked(actor=actor, now=now, customer=me, chosen=chosen, reason="FRAUD")
            for actor in (owner, manager)
        ]
    )

    done = [r for r in results if isinstance(r, list)]
    refused = [r for r in results if isinstance(r, BlockingError)]
    assert len(done) == 1 and len(refused) == 1, results
    assert {c.pk for c in done[0]} == chosen
    assert Customer.objects.filter(pk__in=chosen, is_blocked=True).count() == 3
    for twin in twins:
        assert AuditEvent.objects.filter(action=AuditAction.CUSTOMER_BLOCK_ALL, customer=twin).count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.CUSTOMER_BLOCK_LINKED).count() == 1
    assert BlockEvent.objects.filter(identifier=card, action=BlockEvent.Action.BLOCK).count() == 1
