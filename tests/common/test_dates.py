"""One date format on every page, in the reader's time zone, with relative phrases where they help."""

import datetime as dt
import re
import zoneinfo
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import timezone

from common.dates import format_day, format_moment, relative_phrase

REPO = Path(__file__).resolve().parents[2]
MOMENT = dt.datetime(2026, 12, 7, 13, 5, 9, tzinfo=dt.UTC)


def render(source: str, **context) -> str:
    return Template("{% load dates %}" + source).render(Context(context))


def test_a_moment_and_a_day_have_one_format_each():
    assert render("{{ m|when }}", m=MOMENT) == "7 Dec 2026, 13:05"
    assert render('{{ m|when:"seconds" }}', m=MOMENT) == "7 Dec 2026, 13:05:09"
    assert render("{{ m|day }}", m=MOMENT) == "7 Dec 2026"
    assert render('{{ m|day:"short" }}', m=MOMENT) == "7 Dec"
    assert render("{{ m|month }}", m=MOMENT) == "December 2026"
    assert render("{{ m|clock }}", m=MOMENT) == "13:05"
    assert render("{{ d|when }}", d=dt.date(2026, 12, 7)) == "7 Dec 2026"


def test_dates_are_shown_in_the_active_time_zone():
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
        # 13:05 UTC is 22:05 in Tokyo; 20:00 UTC is the next day there.
        assert render("{{ m|when }}", m=MOMENT) == "7 Dec 2026, 22:05"
        assert render("{{ m|day }}", m=MOMENT.replace(hour=20)) == "8 Dec 2026"
        assert format_moment(MOMENT) == "7 Dec 2026, 22:05"
        assert format_day(MOMENT.replace(hour=20)) == "8 Dec 2026"


@pytest.mark.parametrize("value", [None, "", "2026-12-07", 1796905426, object()])
def test_no_value_or_not_a_date_shows_nothing(value):
    assert (
        render(
            "{{ v|when }}{{ v|day }}{{ v|month }}{{ v|clock }}{{ v|relative }}{{ v|when_relative }}", v=value
        )
        == ""
    )


@pytest.mark.parametrize(
    ("delta", "phrase"),
    [
        (dt.timedelta(seconds=20), "in less than a minute"),
        (dt.timedelta(seconds=-20), "just now"),
        (dt.timedelta(minutes=1), "in 1 minute"),
        (dt.timedelta(minutes=-5), "5 minutes ago"),
        (dt.timedelta(hours=2, minutes=59), "in 2 hours"),
        (dt.timedelta(days=1), "in 1 day"),
        (dt.timedelta(days=3, hours=5), "in 3 days"),
        (dt.timedelta(days=-3), "3 days ago"),
        (dt.timedelta(days=61), "in 2 months"),
        (dt.timedelta(days=-400), "1 year ago"),
        (dt.timedelta(days=800), "in 2 years"),
    ],
)
def test_relative_phrases_use_the_largest_whole_unit_and_plural_only_above_one(delta, phrase):
    assert relative_phrase(MOMENT + delta, now=MOMENT) == phrase


def test_days_are_relative_to_the_local_calendar():
    now = dt.datetime(2026, 12, 7, 23, 30, tzinfo=dt.UTC)
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):  # already 8 Dec there
        assert relative_phrase(dt.date(2026, 12, 8), now=now) == "today"
        assert relative_phrase(dt.date(2026, 12, 9), now=now) == "tomorrow"
        assert relative_phrase(dt.date(2026, 12, 7), now=now) == "yesterday"
        assert relative_phrase(dt.date(2026, 12, 12), now=now) == "in 4 days"


def test_the_relative_forms_carry_the_iso_value_in_a_time_element():
    html = render(
        "{{ m|when_relative }}|{{ m|day_relative }}", m=timezone.now() + dt.timedelta(days=3, hours=1)
    )
    moment, day = html.split("|")
    assert re.fullmatch(
        r'<time datetime="[^"]+">\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d · in 3 days</time>', moment
    )
    assert re.fullmatch(r'<time datetime="[^"]+">\d{1,2} [A-Z][a-z]{2} \d{4} · in 3 days</time>', day)


def _templates():
    for path in REPO.rglob("*.html"):
        if not {".venv", "artifacts", "node_modules"} & set(path.parts):
            yield path


def test_no_template_formats_a_date_its_own_way():
    """Every date goes through the `dates` filters; only the machine-readable ISO form ('c') is allowed."""
    own = []
    for path in _templates():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for fmt in re.findall(r"""\|date:["']([^"']*)["']""", line):
                if fmt != "c":
                    own.append(f"{path.relative_to(REPO)}:{number}: |date:{fmt!r}")
            if "naturaltime" in line or "naturalday" in line:
                own.append(f"{path.relative_to(REPO)}:{number}: humanize's own relative format")
    assert own == []


def test_one_spelling_of_canceled_everywhere_staff_read():
    """American spelling, as Stripe writes its statuses ("canceled"); "cancellation" is right in both."""
    found = []
    for path in [*_templates(), *REPO.glob("*/**/*.py")]:
        if {".venv", "migrations", "tests"} & set(path.parts):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"[Cc]ancell(ed|ing)", line):
                found.append(f"{path.relative_to(REPO)}:{number}")
    assert found == []
