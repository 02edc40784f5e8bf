"""Reads for the Audit page and its CSV export: filtering, keyset pages, and before/after diff rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.utils import timezone

from common.pagination import decode_cursor

from .models import AuditAction, AuditEvent

PAGE_SIZE = 50


def audit_events(merchant, *, actor=None, action="", date_from=None, date_to=None, q="") -> QuerySet:
    """This merchant's audit events, newest first, narrowed by the Audit page's filters."""
    qs = AuditEvent.objects.for_merchant(merchant).select_related("actor", "customer")
    if actor is not None:
        qs = qs.filter(actor=actor)
    if action:
        qs = qs.filter(action=action)
    if date_from:
        qs = qs.filter(created_at__gte=_start_of(date_from))
    if date_to:
        qs = qs.filter(created_at__lt=_start_of(date_to + timedelta(days=1)))
    if q:
        qs = qs.filter(
            Q(target_repr__icontains=q)
            | Q(target_id=q)
            | Q(customer__public_id__iexact=q)
            | Q(customer__name__icontains=q)
            | Q(customer__email__icontains=q)
        )
    return qs.order_by("-created_at", "-id")


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def action_choices(merchant) -> list[tuple[str, str]]:
    """Every action Teller records, by label (not only those already seen: no scan of the audit log)."""
    return sorted(AuditAction.choices, key=lambda choice: choice[1])


@dataclass
class Page:
    items: list
    has_next: bool
    next_url: str
    has_previous: bool
    previous_url: str


def _parse_cursor(raw: str) -> tuple[datetime, int] | None:
    """`<iso datetime>~<id>` of the last row seen (normalised to UTC); anything else means the first page."""
    try:
        at, pk = decode_cursor(raw or "", AuditEvent._meta.get_field("created_at"))
    except ValueError:
        return None
    return (at, pk) if at is not None and pk > 0 else None


def keyset_page(qs: QuerySet, params, *, after: str = "", size: int = PAGE_SIZE) -> Page:
    """One page after the `after` cursor (validated by `CursorForm`): no COUNT, no OFFSET. `params` (a
    QueryDict copy) carries the other parameters into the links."""
    cursor = _parse_cursor(after)
    if cursor:
        at, pk = cursor
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=pk))
    rows = list(qs[: size + 1])
    items, has_next = rows[:size], len(rows) > size
    base = params.copy()
    base.pop("after", None)
    next_url = ""
    if has_next:
        last = items[-1]
        next_url = "?" + urlencode({**base.dict(), "after": f"{last.created_at.isoformat()}~{last.pk}"})
    first_url = "?" + urlencode(base.dict()) if base else "?"
    return Page(
        items=items, has_next=has_next, next_url=next_url, has_previous=bool(cursor), previous_url=first_url
    )


def diff_rows(data: dict) -> list[tuple[str, str, str, bool]]:
    """(field, before, after, is_change) rows from an event's data: {"before": {...}, "after": {...}, ...}.

    Keys other than before/after are the choices made (reason, amount...): is_change False, value in `after`.
    """
    if not isinstance(data, dict):
        return [("data", "", _text(data), False)]
    before = data.get("before") if isinstance(data.get("before"), dict) else {}
    after = data.get("after") if isinstance(data.get("after"), dict) else {}
    keys = dict.fromkeys([*before, *after])
    rows = [(key, _text(before.get(key)), _text(after.get(key)), True) for key in keys]
    for key, value in data.items():
        if key in ("before", "after") and (value is None or isinstance(value, dict)):
            continue
        rows.append((key, "", _text(value), False))
    return rows


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str, ensure_ascii=False)
