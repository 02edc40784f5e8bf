"""The one way Teller shows a date or a time, on every page.

Staff see every date in their own time zone (their preference, else their merchant's: the middleware
activates it), in one format: "7 Dec 2026" for a day, "7 Dec 2026, 14:05" for a moment ("…:09" where seconds
matter, as in a webhook log), and, where it helps to know how far away it is, a relative phrase beside it
("in 3 days", "2 hours ago"). Templates use these filters, never `|date:"…"` with a format of their own
(a test checks).

    {% load dates %}
    {{ charge.created_at|when }}            7 Dec 2026, 14:05
    {{ event.received_at|when:"seconds" }}  7 Dec 2026, 14:05:09
    {{ purchase.started_at|day }}           7 Dec 2026
    {{ point.day|day:"short" }}             7 Dec
    {{ month.start|month }}                 December 2026
    {{ dispute.due_by|when_relative }}      <time …>7 Dec 2026, 14:05 · in 3 days</time>
    {{ link.expires_at|relative }}          in 3 days
"""

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html

from common.dates import CLOCK, MONTH, format_day, format_moment, is_date, local, relative_phrase

register = template.Library()


@register.filter(expects_localtime=True)
def when(value, precision: str = "") -> str:
    """A moment: "7 Dec 2026, 14:05"; a plain date is shown as a day. Empty for no value."""
    return format_moment(value, seconds=precision == "seconds")


@register.filter(expects_localtime=True)
def day(value, length: str = "") -> str:
    """A day: "7 Dec 2026" ("7 Dec" with "short"). Empty for no value."""
    return format_day(value, short=length == "short")


@register.filter(expects_localtime=True)
def month(value) -> str:
    """A month: "December 2026"."""
    return date_format(local(value), MONTH) if is_date(value) else ""


@register.filter(expects_localtime=True)
def clock(value) -> str:
    """The time of day: "14:05"."""
    return date_format(local(value), CLOCK) if isinstance(value, dt.datetime) else ""


@register.filter(expects_localtime=True)
def relative(value) -> str:
    """How far away a moment is: "in 3 days", "2 hours ago"."""
    return relative_phrase(value)


@register.filter(expects_localtime=True)
def when_relative(value, precision: str = ""):
    """The moment and how far away it is, in a <time> element carrying the ISO value for machines and
    readers."""
    if not is_date(value):
        return ""
    return format_html(
        '<time datetime="{}">{} · {}</time>',
        value.isoformat(),
        when(value, precision),
        relative_phrase(value),
    )


@register.filter(expects_localtime=True)
def day_relative(value):
    """The day and how far away it is: "7 Dec 2026 · in 3 days", in a <time> element."""
    if not is_date(value):
        return ""
    shown = day(value)
    return format_html('<time datetime="{}">{} · {}</time>', value.isoformat(), shown, relative_phrase(value))


@register.simple_tag
def now_moment() -> str:
    """The current moment in the active time zone, with its name: "7 Dec 2026, 14:05 (Europe/Berlin)"."""
    return f"{when(timezone.localtime())} ({timezone.get_current_timezone_name()})"
