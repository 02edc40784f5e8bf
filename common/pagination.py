"""Keyset ("cursor") pagination on (sort column, id): no COUNT(*), no OFFSET, one query per page.

A page URL carries `after=<value>~<id>` (the last row seen) or `before=<value>~<id>` (the first row seen).
The sort column may be NULL: NULLs sort first when descending and last when ascending, which is the order a
plain `(col DESC, id DESC)` index has on PostgreSQL, so the index serves both directions.

A cursor that does not parse is ignored (first page); a cursor past the end gives an empty page whose
`first_url` leads back. Nothing here raises on user input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet

from common.params import CURSOR_RE, CursorForm, normalize_datetime

PAGE_SIZE = 25
CURSOR_PARAMS = ("after", "before")
NULL_TOKEN = "null"
INVALID_CURSOR = "That page link is not valid any more; showing the first page."


@dataclass
class KeysetPage:
    """One page of rows plus the links around it (what components/_pagination.html renders)."""

    items: list
    has_next: bool = False
    has_previous: bool = False
    next_url: str = ""
    previous_url: str = ""
    first_url: str = ""
    # True when the URL asked for a later page (a cursor was given): an empty page then means "past the end".
    is_cursor_page: bool = False
    cursor_error: str = ""
    previous_label: str = "← Newer"
    next_label: str = "Older →"
    extra: dict = field(default_factory=dict)

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)

    def __bool__(self):
        return bool(self.items)


@dataclass(frozen=True)
class Keyset:
    """How a list is ordered: the sort column (a model field name), its direction; `id` breaks ties."""

    sort_field: str
    descending: bool = True

    def order_by(self, reverse: bool = False) -> list:
        descending = self.descending != reverse
        column = F(self.sort_field)
        if descending:
            return [column.desc(nulls_first=True), "-id"]
        return [column.asc(nulls_last=True), "id"]

    def after(self, value: Any, pk: int, reverse: bool = False) -> Q:
        """Rows strictly after (value, pk) in this order (or in the reversed order when `reverse`)."""
        descending = self.descending != reverse
        col, op = self.sort_field, ("lt" if descending else "gt")
        same_value_later_id = Q(**{f"{col}": value, f"id__{op}": pk})
        if descending:  # NULLs come first
            if value is None:
                return Q(**{f"{col}__isnull": True, f"id__{op}": pk}) | Q(**{f"{col}__isnull": False})
            return Q(**{f"{col}__{op}": value}) | same_value_later_id
        # ascending: NULLs come last
        if value is None:
            return Q(**{f"{col}__isnull": True, f"id__{op}": pk})
        return Q(**{f"{col}__{op}": value}) | same_value_later_id | Q(**{f"{col}__isnull": True})


def encode_cursor(value: Any, pk: int) -> str:
    token = (
        NULL_TOKEN if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value))
    )
    return f"{token}~{pk}"


def decode_cursor(raw: str, model_field) -> tuple[Any, int]:
    """(value, pk) from "value~pk"; ValueError when it does not parse or names a value the column cannot
    hold (a datetime is normalised to UTC: PostgreSQL refuses offsets Python accepts)."""
    if not raw or len(raw) > 100 or not CURSOR_RE.match(raw):
        raise ValueError("malformed cursor")
    token, _, pk_text = raw.rpartition("~")
    if not (pk_text.isascii() and pk_text.isdigit()) or len(pk_text) > 18:  # a bigint, not "²" or 10**30
        raise ValueError("malformed cursor")
    if token == NULL_TOKEN:
        return None, int(pk_text)
    try:
        value = model_field.to_python(token)
    except (ValidationError, ValueError, TypeError) as exc:
        raise ValueError("malformed cursor") from exc
    if isinstance(value, datetime):
        value = normalize_datetime(value)
    if value is None:
        raise ValueError("malformed cursor")
    return value, int(pk_text)


def _url(request, **params) -> str:
    query = request.GET.copy()
    for name in [*CURSOR_PARAMS, *(n for n in query if not any(v.strip() for v in query.getlist(n)))]:
        query.pop(name, None)  # the cursor is replaced below; empty filters only clutter a shared link
    for name, value in params.items():
        query[name] = value
    encoded = query.urlencode()
    return f"{request.path}?{encoded}" if encoded else request.path


def _cursor_params(request) -> tuple[dict, bool]:
    """The cursors `@query_params(CursorForm)` parsed, or (a request that did not pass through a view that
    declares them) the same form's reading of the query string."""
    query = getattr(request, "query", None)
    if query is not None and set(CURSOR_PARAMS) <= query.keys():
        return query, bool(set(CURSOR_PARAMS) & getattr(request, "query_invalid", set()))
    form = CursorForm(request.GET)
    form.is_valid()
    return form.cleaned_data, bool(form.errors)


def keyset_paginate(queryset: QuerySet, request, keyset: Keyset, per_page: int = PAGE_SIZE) -> KeysetPage:
    """The page of `queryset` the request's `after` / `before` cursor points at, in one query.

    The cursors come from `request.query` (the view declares `CursorForm` with `@query_params`)."""
    model_field = queryset.model._meta.get_field(keyset.sort_field)
    query, invalid = _cursor_params(request)
    direction, raw = next(((name, query[name]) for name in CURSOR_PARAMS if query.get(name)), (None, ""))
    cursor, cursor_error = None, (INVALID_CURSOR if invalid else "")
    if direction:
        try:
            cursor = decode_cursor(raw, model_field)
        except ValueError:
            cursor_error = INVALID_CURSOR
    backwards = direction == "before" and cursor is not None

    rows = queryset.order_by(*keyset.order_by(reverse=backwards))
    if cursor is not None:
        rows = rows.filter(keyset.after(*cursor, reverse=backwards))
    fetched = list(rows[: per_page + 1])
    more = len(fetched) > per_page
    items = fetched[:per_page]
    if backwards:
        items.reverse()

    page = KeysetPage(
        items=items, first_url=_url(request), is_cursor_page=cursor is not None, cursor_error=cursor_error
    )
    if not keyset.descending:
        page.previous_label, page.next_label = "← Previous", "Next →"
    # Coming from a page before this one means there is one; going backwards, "more" means further back.
    page.has_previous = more if backwards else cursor is not None
    page.has_next = True if backwards else more
    if items and page.has_next:
        last = items[-1]
        page.next_url = _url(request, after=encode_cursor(getattr(last, keyset.sort_field), last.pk))
    if items and page.has_previous:
        first = items[0]
        page.previous_url = _url(request, before=encode_cursor(getattr(first, keyset.sort_field), first.pk))
    elif page.has_previous:  # past the end: the way back is the first page
        page.previous_url = page.first_url
    return page
