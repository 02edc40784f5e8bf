"""Two agents taking the same queue row at the same moment, on PostgreSQL: one wins, the other is told.

Run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/teller_<name>.
"""

import time

import pytest
from django.conf import settings
from django.utils import timezone

from attention import services
from attention.models import AttentionClaim
from attention.services import AlreadyClaimed, attention_claim
from audit.models import AuditEvent
from tests import factories
from tests.concurrency import in_parallel

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (set DATABASE_URL)"),
]


def test_two_agents_take_one_row_at_once_one_wins(merchant, manager, support, monkeypatch):
    credit = factories.CreditFactory(transaction__customer__merchant=merchant)
    real_audit = services.audit_record

    def slow_audit(**kwargs):  # hold the inserted row uncommitted a moment: the widest race
        time.sleep(0.3)
        return real_audit(**kwargs)

    monkeypatch.setattr(services, "audit_record", slow_audit)

    def take(user):
        return lambda: attention_claim(
            merchant=merchant, actor=user, kind="CREDIT", key=str(credit.pk), now=timezone.now()
        )

    results = in_parallel([take(manager), take(support)])
    won = [r for r in results if isinstance(r, AttentionClaim)]
    lost = [r for r in results if isinstance(r, AlreadyClaimed)]
    assert len(won) == 1 and len(lost) == 1, results
    winner = AttentionClaim.objects.select_related("claimed_by").get()
    assert winner.claimed_by_id == won[0].claimed_by_id
    assert winner.claimed_by.get_full_name() in lost[0].message
    assert AuditEvent.objects.filter(action="attention.claim").count() == 1
