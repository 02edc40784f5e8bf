"""Taking and releasing queue rows (claims). Keyword-only, `actor` + `now`, audited."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from audit.models import AuditAction
from audit.services import audit_record

from .models import AttentionClaim


class ClaimError(Exception):
    def __init__(self, message: str, *, claim: AttentionClaim | None = None):
        super().__init__(message)
        self.message = message
        self.claim = claim


class AlreadyClaimed(ClaimError):
    pass


def _holder(claim: AttentionClaim) -> str:
    user = claim.claimed_by
    return user.get_full_name() or user.email


def attention_claim(*, merchant, actor, kind: str, key: str, now: datetime) -> AttentionClaim:
    """Take a row. Taking one's own row again is a no-op; a row someone else has raises AlreadyClaimed.

    Two agents at once: both INSERT, the unique constraint lets one commit and the other gets the winner."""
    try:
        with transaction.atomic():
            claim = AttentionClaim.objects.create(
                merchant=merchant, kind=kind, key=key, claimed_by=actor, claimed_at=now
            )
            audit_record(
                merchant=merchant,
                actor=actor,
                action=AuditAction.ATTENTION_CLAIM,
                target=claim,
                now=now,
                data={"kind": kind, "key": key},
            )
            return claim
    except IntegrityError:
        existing = (
            AttentionClaim.objects.filter(merchant=merchant, kind=kind, key=key)
            .select_related("claimed_by")
            .first()
        )
        if existing is None:  # released between our insert and this read: take it again
            return attention_claim(merchant=merchant, actor=actor, kind=kind, key=key, now=now)
        if existing.claimed_by_id == actor.pk:
            return existing
        raise AlreadyClaimed(f"{_holder(existing)} has taken this already.", claim=existing) from None


def attention_release(*, merchant, actor, kind: str, key: str, now: datetime) -> bool:
    """Give a row back. Only its holder can; returns False when there was nothing to release."""
    with transaction.atomic():
        claim = (
            AttentionClaim.objects.select_for_update()
            .filter(merchant=merchant, kind=kind, key=key)
            .select_related("claimed_by")
            .first()
        )
        if claim is None:
            return False
        if claim.claimed_by_id != actor.pk:
            raise AlreadyClaimed(f"{_holder(claim)} has taken this; only they can release it.", claim=claim)
        audit_record(
            merchant=merchant,
            actor=actor,
            action=AuditAction.ATTENTION_RELEASE,
            target=claim,
            now=now,
            data={"kind": kind, "key": key},
        )
        claim.delete()
        return True
