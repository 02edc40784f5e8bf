"""The one way a view reads its query string and redirect targets: declared, validated, never an exception.

A view declares the forms (Django forms or django-filter FilterSets) that parse its query parameters with
`@query_params(FormA, ...)`; the declaration is on the view (`view.query_forms`), so the hostile-input test
finds every parameter of every view from the URL resolver, and a static check fails when code reads
`request.GET` other than through one of those parsers. `request.query` holds the cleaned values of the
plain forms (a value that does not validate is left out, with a note in `request.query_notes`).

Fields here are the shared boundaries: keyset cursors, page numbers (never beyond a bigint), aware datetimes
that PostgreSQL can store (offsets beyond ±15:59 fail there, "time zone displacement out of range", though
Python accepts them up to ±24 h), and `safe_next` for redirect targets.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import wraps

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme

MAX_PAGE = 1_000_000  # far beyond any list a person pages through; int() of the text stays cheap
CURSOR_RE = re.compile(r"^[0-9A-Za-z:.+\-_ ]{0,64}~[0-9]{1,18}$")  # "<value>~<id>", id within a bigint
# PostgreSQL's timestamptz holds years 4713 BC..294276 AD, Python's 1..9999; keep clear of both ends so a
# conversion to UTC cannot overflow either.
MIN_YEAR, MAX_YEAR = 1900, 9000


def normalize_datetime(value: datetime | None) -> datetime | None:
    """The same instant in UTC, or None when it cannot be one (out of range, an offset PostgreSQL refuses)."""
    if value is None:
        return None
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value, UTC)
        value = value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return value if MIN_YEAR <= value.year <= MAX_YEAR else None


def parse_aware_datetime(text: str) -> datetime | None:
    """An ISO datetime from the user, in UTC; None for anything that is not one (never raises)."""
    if not isinstance(text, str) or not text or len(text) > 64 or "\x00" in text:
        return None
    try:
        parsed = parse_datetime(text)
    except (ValueError, OverflowError):
        return None
    return normalize_datetime(parsed)


MAX_PK = 2**63 - 1  # a bigint primary key


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's field hands any digits to the database, where a 25-digit id overflows (a 500 on SQLite,
    "out of range" on PostgreSQL): ids that are not ASCII digits within a bigint are refused first."""

    def _check_values(self, value):
        for pk in value:
            if not (str(pk).isascii() and str(pk).isdigit()) or int(pk) > MAX_PK:  # "²".isdigit() is True
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class PageField(forms.IntegerField):
    """A page number: 1..MAX_PAGE; digits only (no "²", no "1e9")."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_PAGE)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value not in self.empty_values and not (
            isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 7
        ):
            raise forms.ValidationError("Enter a page number.", code="invalid")
        return super().to_python(value)


class CursorField(forms.CharField):
    """A keyset cursor `<value>~<id>` (common/pagination.py decodes the value against its column)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value and not CURSOR_RE.match(value):
            raise forms.ValidationError("That page link is not valid.", code="invalid")


class AwareDateTimeField(forms.CharField):
    """An ISO datetime in the URL (a "before" cursor), normalised to UTC within a storable range."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        parsed = parse_aware_datetime(text)
        if parsed is None:
            raise forms.ValidationError("Enter a valid date and time.", code="invalid")
        return parsed


class IdAfterField(forms.CharField):
    """An id cursor ("show rows with a smaller id"): ASCII digits within a bigint."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 18)
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        if not (text.isascii() and text.isdigit()):
            raise forms.ValidationError("That page link is not valid.", code="invalid")
        return int(text)


class QueryForm(forms.Form):
    """A query-string form that needs nothing but the query string: `query_params` binds it itself."""


class PageForm(QueryForm):
    page = PageField()


class CursorForm(QueryForm):
    after = CursorField()
    before = CursorField()


def _is_filterset(form_class) -> bool:
    return hasattr(form_class, "base_filters")


def declared_fields(view) -> dict[str, object]:
    """name -> field (form field or django-filter filter) of every query parameter `view` declares."""
    fields: dict[str, object] = {}
    for form_class in getattr(view, "query_forms", ()):
        if _is_filterset(form_class):
            for name, flt in form_class.base_filters.items():
                fields[name] = flt
        else:
            fields.update(form_class.base_fields)
    return fields


def query_params(*form_classes):
    """Declare the parsers of a view's query string; plain forms are bound and cleaned here.

    `request.query` gets the cleaned value of every field of the plain forms that validated (missing or
    invalid ones fall back to the field's `initial`, else None), `request.query_notes` one line per ignored
    value (`request.query_invalid` their names). Other declared forms and FilterSets need the merchant or a
    queryset: the view binds them (`Form(request.GET or None, ...)`, the only other read the static check
    allows) and shows their own notes.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            query, notes, invalid = {}, [], set()
            for form_class in form_classes:
                if not issubclass(form_class, QueryForm):
                    continue  # needs the merchant or a queryset: the view binds it to request.GET
                form = form_class(request.GET)
                form.is_valid()
                for name, field in form.fields.items():
                    if name in form.errors:
                        invalid.add(name)
                        notes.append(f"{field.label or name.capitalize()}: ignored an invalid value.")
                    query[name] = form.cleaned_data.get(name, field.initial)
            request.query, request.query_notes, request.query_invalid = query, notes, invalid
            return view(request, *args, **kwargs)

        wrapped.query_forms = tuple(form_classes)
        return wrapped

    return decorator


def safe_next(request, value: str, default: str) -> str:
    """A redirect target from the user: a local path on this host, else `default`. Decide before writing."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//") or len(value) > 2000:
        return default
    if any(ord(c) < 32 or c == "\\" for c in value):
        return default
    if not url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}):
        return default
    return value
