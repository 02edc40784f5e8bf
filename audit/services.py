from datetime import datetime

import structlog
from django.db import models

from .models import AuditAction, AuditEvent


def audit_record(
    *,
    merchant,
    actor,
    action: str,
    target: models.Model,
    now: datetime,
    customer=None,
    data: dict | None = None,
) -> AuditEvent:
    """Write one audit event. Call it inside the transaction.atomic() block of the change it records.

    `action` must be one of `AuditAction` (a misspelt one raises ValueError before anything is written)."""
    action = AuditAction(action)
    request_id = structlog.contextvars.get_contextvars().get("request_id", "")
    return AuditEvent.objects.create(
        merchant=merchant,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.label,
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        customer=customer,
        data=data or {},
        request_id=request_id,
        created_at=now,
    )
