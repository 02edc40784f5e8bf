"""Answering disputes: drafts, submissions and accepting, through the sandbox provider (it answers like
Stripe), with the refusals that must change nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from merchants.models import Membership
from payments.base import ProviderError
from payments.registry import get_provider
from providers.models import ProviderEvent
from transactions.disputes import DisputeRefused, EvidenceFile, dispute_accept, dispute_respond
from transactions.models import Dispute, Transaction

from .disputes_helpers import open_dispute

pytestmark = pytest.mark.django_db


def _membership(user):
    return Membership.objects.get(user=user)


def test_apply_stores_reason_deadline_and_stage(merchant):
    dispute = open_dispute(merchant, reason="subscription_canceled")

    assert dispute.status == Dispute.Status.NEEDS_RESPONSE
    assert dispute.reason == "subscription_canceled"
    assert dispute.amount == 4900 and dispute.currency == "eur"
    assert dispute.transaction.kind == Transaction.Kind.CHARGEBACK
    opened = dispute.transaction.occurred_at
    assert dispute.due_by == opened + timedelta(days=14)
    assert (dispute.has_evidence, dispute.past_due, dispute.submission_count) == (False, False, 0)


def test_a_draft_goes_to_the_provider_and_keeps_the_dispute_open(merchant, manager):
    dispute = open_dispute(merchant)
    now = timezone.now()

    result = dispute_respond(
        actor=manager,
        membership=_membership(manager),
        now=now,
        dispute=dispute,
        evidence={"product_description": "Monthly access to the channel", "uncategorized_text": ""},
        submit=False,
    )

    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.NEEDS_RESPONSE
    assert dispute.evidence["product_description"] == "Monthly access to the channel"
    assert dispute.has_evidence is True and dispute.submission_count == 0
    assert "Draft saved" in result.message
    audit = AuditEvent.objects.get(action="dispute.draft")
    assert audit.data["fields"] == ["product_description", "uncategorized_text"]
    # the provider really holds it: what it emitted carries the evidence
    assert (
        get_provider(merchant).retrieve(object_type="dispute", object_id=dispute.provider_id)["evidence"][
            "product_description"
        ]
        == "Monthly access to the channel"
    )


def test_submit_uploads_files_and_moves_the_dispute_under_review(merchant, owner):
    dispute = open_dispute(merchant)

    dispute_respond(
        actor=owner,
        membership=_membership(owner),
        now=timezone.now(),
        dispute=dispute,
        evidence={
            "product_description": "Channel access",
            "access_activity_log": "Joined 3 Nov from 10.0.0.1",
        },
        files={"customer_communication": EvidenceFile(filename="mail.pdf", content=b"%PDF-1.4 hello")},
        submit=True,
    )

    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.UNDER_REVIEW
    assert dispute.submission_count == 1
    assert dispute.evidence["customer_communication"].startswith("file_")
    audit = AuditEvent.objects.get(action="dispute.submit")
    assert audit.data["status_before"] == "NEEDS_RESPONSE" and audit.data["status_after"] == "UNDER_REVIEW"
    assert audit.data["files"]["customer_communication"]["filename"] == "mail.pdf"
    dispute.transaction.refresh_from_db()
    assert dispute.transaction.status == Transaction.Status.UNDER_REVIEW


def test_a_second_submit_is_refused_without_calling_the_provider(merchant, owner):
    dispute = open_dispute(merchant)
    kwargs = dict(actor=owner, membership=_membership(owner), dispute=dispute, submit=True)
    dispute_respond(now=timezone.now(), evidence={"product_description": "x"}, **kwargs)
    events = ProviderEvent.objects.filter(merchant=merchant).count()

    with pytest.raises(DisputeRefused, match="under review"):
        dispute_respond(now=timezone.now(), evidence={"product_description": "y"}, **kwargs)

    assert ProviderEvent.objects.filter(merchant=merchant).count() == events
    assert AuditEvent.objects.filter(action="dispute.submit").count() == 1


def test_accept_closes_the_dispute_as_lost(merchant, manager):
    dispute = open_dispute(merchant)

    dispute_accept(
        actor=manager,
        membership=_membership(manager),
        now=timezone.now(),
        dispute=dispute,
        confirmation="accept",
    )

    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.LOST
    dispute.transaction.parent.refresh_from_db()
    assert dispute.transaction.parent.status == Transaction.Status.CHARGED_BACK
    assert AuditEvent.objects.filter(action="dispute.accept").count() == 1


def test_accept_needs_the_phrase(merchant, manager):
    dispute = open_dispute(merchant)
    with pytest.raises(DisputeRefused) as exc:
        dispute_accept(
            actor=manager,
            membership=_membership(manager),
            now=timezone.now(),
            dispute=dispute,
            confirmation="ok",
        )
    assert exc.value.field == "confirmation"
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.NEEDS_RESPONSE


@pytest.mark.parametrize("closed", ["won", "lost"])
def test_a_closed_dispute_cannot_be_answered(merchant, owner, closed):
    dispute = open_dispute(merchant, status=closed, at=timezone.now() - timedelta(days=50))
    events = ProviderEvent.objects.filter(merchant=merchant).count()

    with pytest.raises(DisputeRefused, match="closed"):
        dispute_respond(
            actor=owner,
            membership=_membership(owner),
            now=timezone.now(),
            dispute=dispute,
            evidence={"product_description": "late"},
            submit=True,
        )
    with pytest.raises(DisputeRefused, match="closed"):
        dispute_accept(
            actor=owner,
            membership=_membership(owner),
            now=timezone.now(),
            dispute=dispute,
            confirmation="ACCEPT",
        )
    assert ProviderEvent.objects.filter(merchant=merchant).count() == events
    assert not AuditEvent.objects.filter(action__startswith="dispute.").exists()


def test_a_past_due_dispute_cannot_be_submitted(merchant, owner):
    dispute = open_dispute(merchant, at=timezone.now() - timedelta(days=15))  # due yesterday
    before = dict(dispute.evidence)

    with pytest.raises(DisputeRefused, match="deadline has passed"):
        dispute_respond(
            actor=owner,
            membership=_membership(owner),
            now=timezone.now(),
            dispute=dispute,
            evidence={"product_description": "too late"},
            submit=True,
        )
    dispute.refresh_from_db()
    assert dispute.evidence == before and dispute.status == Dispute.Status.NEEDS_RESPONSE


def test_support_cannot_answer(merchant, support):
    dispute = open_dispute(merchant)
    with pytest.raises(DisputeRefused, match="managers and owners"):
        dispute_respond(
            actor=support,
            membership=_membership(support),
            now=timezone.now(),
            dispute=dispute,
            evidence={"product_description": "x"},
            submit=False,
        )
    with pytest.raises(DisputeRefused, match="managers and owners"):
        dispute_accept(
            actor=support,
            membership=_membership(support),
            now=timezone.now(),
            dispute=dispute,
            confirmation="ACCEPT",
        )


def test_unknown_field_and_nul_are_refused(merchant, owner):
    dispute = open_dispute(merchant)
    for evidence in ({"password": "x"}, {"product_description": "a\x00b"}):
        with pytest.raises(DisputeRefused):
            dispute_respond(
                actor=owner,
                membership=_membership(owner),
                now=timezone.now(),
                dispute=dispute,
                evidence=evidence,
                submit=False,
            )
    assert not AuditEvent.objects.exists()


def test_a_provider_refusal_changes_nothing(merchant, owner, monkeypatch):
    dispute = open_dispute(merchant)
    from sandbox.provider import SandboxProvider

    def refuse(self, **kwargs):
        raise ProviderError("This dispute is already closed", code="dispute_already_closed", http_status=400)

    monkeypatch.setattr(SandboxProvider, "dispute_update", refuse)
    with pytest.raises(ProviderError):
        dispute_respond(
            actor=owner,
            membership=_membership(owner),
            now=timezone.now(),
            dispute=dispute,
            evidence={"product_description": "x"},
            submit=True,
        )
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.NEEDS_RESPONSE and dispute.evidence == {}
    assert not AuditEvent.objects.exists()
