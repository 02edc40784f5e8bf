"""Answering disputes from Teller: save evidence as a draft, submit it, or accept the dispute.

Each action runs "lock, re-read, decide, act" under `common.locks.action_lock("transactions.dispute", pk)`:
the provider is called outside any transaction, the dispute it answers is applied through
`providers.apply.apply_dispute` (the webhook code path) and the audit event is written in the same
transaction. A second submit arriving meanwhile waits, then finds the dispute under review and is refused
with no provider call. A refusal or a provider error changes nothing in Teller.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction as db_transaction

from audit.models import AuditAction
from audit.services import audit_record
from common.locks import ActionBusy, action_lock
from merchants.permissions import has_permission
from payments import stripe_shapes as shapes
from payments.registry import get_provider, record

from .models import Dispute

TEXT_FIELDS = frozenset(shapes.DISPUTE_EVIDENCE_TEXT_FIELDS)
FILE_FIELDS = frozenset(shapes.DISPUTE_EVIDENCE_FILE_FIELDS)
FILE_MAX_BYTES = 5 * 1024 * 1024  # Stripe: dispute evidence files up to 5 MB
ACCEPT_PHRASE = "ACCEPT"


class DisputeRefused(Exception):
    """The action is not allowed now; `message` says why (nothing was sent or written)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class EvidenceFile:
    filename: str
    content: bytes


@dataclass(frozen=True)
class DisputeResult:
    dispute: Dispute
    message: str


def _require_role(membership, dispute: Dispute) -> None:
    if (
        membership is None
        or membership.merchant_id != dispute.merchant_id
        or not has_permission(membership, "dispute.respond")
    ):
        raise DisputeRefused("Only managers and owners can answer disputes.")


def _clean_evidence(evidence: dict, files: dict) -> tuple[dict, dict]:
    text = {}
    for name, value in (evidence or {}).items():
        if name not in TEXT_FIELDS:
            raise DisputeRefused(f"{name!r} is not an evidence field Stripe accepts.", field=name)
        value = (value or "").strip() if isinstance(value, str) else None
        if value is None or "\x00" in value:
            raise DisputeRefused("Evidence must be plain text.", field=name)
        if len(value) > shapes.DISPUTE_EVIDENCE_TEXT_MAX:
            raise DisputeRefused(
                f"At most {shapes.DISPUTE_EVIDENCE_TEXT_MAX:,} characters per field.", field=name
            )
        text[name] = value  # an empty value clears the field at the provider
    uploads = {}
    for name, upload in (files or {}).items():
        if name not in FILE_FIELDS:
            raise DisputeRefused(f"{name!r} is not an evidence file Stripe accepts.", field=name)
        if not upload.content:
            raise DisputeRefused("The file is empty.", field=name)
        if len(upload.content) > FILE_MAX_BYTES:
            raise DisputeRefused("Evidence files must be 5 MB or smaller.", field=name)
        uploads[name] = upload
    return text, uploads


def _provider(merchant):
    return get_provider(merchant)


def _apply(merchant, obj: dict, now: datetime):
    """Record the dispute Stripe returned through the code path the dispute webhooks take."""
    return record(merchant=merchant, obj=obj, now=now)


def _reload(dispute: Dispute) -> Dispute:
    return Dispute.objects.select_related("transaction__customer", "merchant").get(pk=dispute.pk)


@contextmanager
def _open_dispute(dispute: Dispute, now: datetime) -> Iterator[Dispute]:
    """The dispute as it is now, still answerable, with every other action on it waiting."""
    try:
        with action_lock("transactions.dispute", dispute.pk):
            current = _reload(dispute)
            refusal = current.refusal(now)
            if refusal:
                raise DisputeRefused(refusal)
            yield current
    except ActionBusy as exc:
        raise DisputeRefused(
            "Another action on this dispute is still running; try again in a moment."
        ) from exc


def _record(current: Dispute, obj: dict, *, actor, now: datetime, action: str, data: dict) -> Dispute:
    """Apply the provider's answer (the webhook code path) and audit it, in one transaction."""
    with db_transaction.atomic():
        chargeback = _apply(current.merchant, obj, now)
        updated = _reload(current)
        audit_record(
            merchant=current.merchant,
            actor=actor,
            action=action,
            target=chargeback,
            now=now,
            customer=chargeback.customer,
            data={
                "dispute": current.provider_id,
                "status_before": current.status,
                "status_after": updated.status,
                **data,
            },
        )
    return updated


def dispute_respond(
    *,
    actor,
    membership,
    now: datetime,
    dispute: Dispute,
    evidence: dict[str, str],
    files: dict[str, EvidenceFile] | None = None,
    submit: bool,
) -> DisputeResult:
    """Send the evidence to the provider: a draft (`submit=False`) or the final answer (`submit=True`).

    Files are uploaded first (Files API, purpose dispute_evidence) and named by their id in the evidence.
    Raises DisputeRefused (wrong role, closed, under review, past the deadline, bad field) or the
    provider's ProviderError; in both cases nothing changed in Teller."""
    _require_role(membership, dispute)
    text, uploads = _clean_evidence(evidence, files or {})
    if submit and not any(text.values()) and not uploads and not dispute.evidence:
        raise DisputeRefused("Add some evidence before submitting.")
    with _open_dispute(dispute, now) as current:
        provider = _provider(current.merchant)
        payload = dict(text)
        uploaded = {}
        for name, upload in uploads.items():
            file_obj = provider.file_upload(
                filename=upload.filename, content=upload.content, purpose="dispute_evidence"
            )
            payload[name] = file_obj["id"]
            uploaded[name] = {"id": file_obj["id"], "filename": upload.filename}
        obj = provider.dispute_update(dispute_id=current.provider_id, evidence=payload, submit=submit)
        updated = _record(
            current,
            obj,
            actor=actor,
            now=now,
            action=AuditAction.DISPUTE_SUBMIT if submit else AuditAction.DISPUTE_DRAFT,
            data={"fields": sorted(text), "files": uploaded},
        )
    message = (
        "Evidence submitted: the bank reviews it now."
        if submit
        else "Draft saved at Stripe (not submitted yet)."
    )
    return DisputeResult(dispute=updated, message=message)


def dispute_accept(*, actor, membership, now: datetime, dispute: Dispute, confirmation: str) -> DisputeResult:
    """Accept the dispute (Stripe closes it: the chargeback is lost, an inquiry closes).

    `confirmation` must be ACCEPT_PHRASE. Raises DisputeRefused or the provider's ProviderError."""
    _require_role(membership, dispute)
    if (confirmation or "").strip().upper() != ACCEPT_PHRASE:
        raise DisputeRefused(f"Type {ACCEPT_PHRASE} to accept the dispute.", field="confirmation")
    with _open_dispute(dispute, now) as current:
        obj = _provider(current.merchant).dispute_close(dispute_id=current.provider_id)
        updated = _record(current, obj, actor=actor, now=now, action=AuditAction.DISPUTE_ACCEPT, data={})
    return DisputeResult(dispute=updated, message="Dispute accepted: Stripe closed it.")
