"""Two staff changing the same detail at once, on PostgreSQL (row locks are real there).

Run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/teller_<name>.
"""

import threading

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from customers import transitions
from customers.models import BlockEvent, Identifier
from customers.services import identifier_block, identifier_unblock
from tests import factories

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (set DATABASE_URL)"),
]


@pytest.fixture(autouse=True)
def no_radar(monkeypatch):
    monkeypatch.setattr("customers.tasks.provider_mirrors_radar", lambda merchant: False)


def run_in_thread(fn, errors):
    def target():
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion on `errors`
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    return thread


def test_a_block_and_an_unblock_at_once_end_consistent_and_both_are_logged(owner, manager, monkeypatch):
    merchant = owner.memberships.get().merchant
    card = factories.CustomerIdentifierFactory(customer__merchant=merchant).identifier
    inside_block = threading.Event()
    real_audit = transitions.audit_record

    def slow_audit(**kwargs):
        # The blocker holds the row lock here while the unblocker starts: it must wait, then see "blocked".
        if kwargs["action"] == "identifier.block":
            inside_block.set()
            threading.Event().wait(0.5)
        return real_audit(**kwargs)

    monkeypatch.setattr(transitions, "audit_record", slow_audit)
    errors = []
    now = timezone.now()

    blocker = run_in_thread(
        lambda: identifier_block(actor=owner, now=now, identifier=card, reason="FRAUD"), errors
    )
    assert inside_block.wait(5)
    unblocker = run_in_thread(lambda: identifier_unblock(actor=manager, now=now, identifier=card), errors)
    blocker.join(10)
    unblocker.join(10)

    assert errors == []
    card.refresh_from_db()
    actions = list(BlockEvent.objects.filter(identifier=card).order_by("id").values_list("action", flat=True))
    assert actions == ["BLOCK", "UNBLOCK"]
    assert card.is_blocked is False  # the state matches the last log entry


def test_two_blocks_at_once_write_a_single_log_entry(owner, manager):
    merchant = owner.memberships.get().merchant
    card = factories.CustomerIdentifierFactory(customer__merchant=merchant).identifier
    start = threading.Barrier(2)
    errors = []
    now = timezone.now()

    def block(actor):
        start.wait(5)
        identifier_block(actor=actor, now=now, identifier=Identifier.objects.get(pk=card.pk), reason="FRAUD")

    threads = [run_in_thread(lambda a=actor: block(a), errors) for actor in (owner, manager)]
    for thread in threads:
        thread.join(10)

    assert errors == []
    assert BlockEvent.objects.filter(identifier=card).count() == 1
    assert Identifier.objects.get(pk=card.pk).is_blocked
