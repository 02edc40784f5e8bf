"""Four managers submitting the same dispute at the same moment, on PostgreSQL: one provider call, one audit
event; the others are told it is under review. Run with DATABASE_URL=postgres://.../teller_<name>."""

import threading
import time

import pytest
from django.conf import settings
from django.utils import timezone

from audit.models import AuditEvent
from merchants.models import Membership
from sandbox.provider import SandboxProvider
from tests import factories
from tests.security.test_concurrent_actions import in_parallel
from transactions.disputes import DisputeRefused, dispute_respond

from .disputes_helpers import open_dispute

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (set DATABASE_URL)"),
]


def test_a_double_submit_calls_the_provider_once(merchant, monkeypatch):
    dispute = open_dispute(merchant)
    users = [factories.MembershipFactory(merchant=merchant, role="MANAGER").user for _ in range(4)]
    members = [Membership.objects.get(user=user) for user in users]
    counted, guard = [], threading.Lock()
    real = SandboxProvider.dispute_update

    def slow(self, **kwargs):
        with guard:
            counted.append(kwargs["dispute_id"])
        time.sleep(0.2)
        return real(self, **kwargs)

    monkeypatch.setattr(SandboxProvider, "dispute_update", slow)

    def submit(member):
        return lambda: dispute_respond(
            actor=member.user, membership=member, now=timezone.now(), dispute=dispute,
            evidence={"product_description": "Channel access"}, submit=True,
        )  # fmt: skip

    results = in_parallel([submit(m) for m in members])

    assert len(counted) == 1
    assert sum(1 for r in results if isinstance(r, DisputeRefused)) == 3, results
    assert AuditEvent.objects.filter(action="dispute.submit").count() == 1
