"""Teller's one date format, for templates (`common/templatetags/dates.py`) and for the sentences services
write ("canceled at the end of the period, on 7 Dec 2026"). Values are shown in the active time zone: the
staff member's own, else their merchant's (set per request by `merchants.middleware`)."""

import datetime as dt

from django.utils import timezone
from django.utils.dateformat import format as date_format

DAY = "j M Y"
DAY_SHORT = "j M"
MONTH = "F Y"
MOMENT = "j M Y, H:i"
MOMENT_SECONDS = "j M Y, H:i:s"
CLOCK = "H:i"


def local(value):
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def is_date(value) -> bool:
    return isinstance(value, dt.date)


def format_day(value, *, short: bool = False) -> str:
    """ "7 Dec 2026" ("7 Dec" when short); empty for no value."""
    if not is_date(value):
        return ""
    return date_format(local(value), DAY_SHORT if short else DAY)


def format_moment(value, *, seconds: bool = False) -> str:
    """ "7 Dec 2026, 14:05" ("…:09" with seconds); a plain date is shown as a day; empty for no value."""
    if not is_date(value):
        return ""
    if not isinstance(value, dt.datetime):
        return date_format(value, DAY)
    return date_format(local(value), MOMENT_SECONDS if seconds else MOMENT)


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def relative_phrase(value, now: dt.datetime | None = None) -> str:
    """ "in 3 days", "2 hours ago", "just now", "tomorrow", "yesterday": the largest whole unit, rounded
    down."""
    if not is_date(value):
        return ""
    now = now or timezone.now()
    if not isinstance(value, dt.datetime):
        days = (value - timezone.localdate(now)).days
        if days == 0:
            return "today"
        if days == 1:
            return "tomorrow"
        if days == -1:
            return "yesterday"
        return f"in {_plural(days, 'day')}" if days > 0 else f"{_plural(-days, 'day')} ago"
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    seconds = int((value - now).total_seconds())
    future, seconds = seconds > 0, abs(seconds)
    if seconds < 60:
        return "in less than a minute" if future else "just now"
    for size, unit in (
        (365 * 86400, "year"),
        (30 * 86400, "month"),
        (86400, "day"),
        (3600, "hour"),
        (60, "minute"),
    ):
        if seconds >= size:
            phrase = _plural(seconds // size, unit)
            return f"in {phrase}" if future else f"{phrase} ago"
    return ""  # unreachable: seconds >= 60 meets the minute
