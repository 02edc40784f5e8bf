"""Hostile input against every form and list that exists: no 500, and invalid input changes nothing.

Forms are discovered, not listed: every GET page and modal the URL resolver knows is fetched as an owner
(objects from the tenant-isolation test's World), every <form> in it is parsed, and Hypothesis posts mixes
of each field's own value and hostile values (huge strings, NUL bytes, unicode, negative and huge numbers,
SQL and HTML snippets). GET forms (search and filters) and common list parameters get the same treatment.
A form added tomorrow is covered without touching this file. Run it on PostgreSQL too: NUL bytes and
out-of-range integers only fail there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.db import connection
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from tests.test_tenant_isolation import ROUTES, World

pytestmark = pytest.mark.django_db

HOSTILE = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "A" * 100_000,
            "-1",
            "-0",
            "0",
            "-999999999999999999999999",
            "99999999999999999999999999999",
            "1e309",
            "NaN",
            "Infinity",
            "0.001",
            "1,5",
            "١٢٣",
            "💳💳",
            "\u202e",
            "' OR 1=1 --",
            "'; DROP TABLE customers_customer; --",
            "<script>alert(1)</script>",
            '"><img src=x>',
            "{{ 7*7 }}",
            "{% debug %}",
            "../../etc/passwd",
            "%00",
            "\r\n\r\nX: y",
            "null",
            "true",
            "[]",
            "{}",
            "2026-02-30",
            "9999-12-31T23:59:59",
            "1~1",
            "x~-1",
            "9" * 30 + "~1",
        ]
    ),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
LIST_PARAMS = [
    "q",
    "sort",
    "after",
    "before",
    "page",
    "tab",
    "status",
    "kind",
    "product",
    "provider",
    "blocked",
    "date_from",
    "date_to",
    "actor",
    "action",
    "type",
    "currency",
    "min",
    "max",
]
SKIP_ACTIONS = {"/accounts/logout/"}  # posting it signs the client out, which is its whole point
ERROR_MARKERS = ("errorlist", "alert-danger", "field-error", 'aria-invalid="true"')
IGNORED_TABLES = {
    "django_session",
    "axes_accessattempt",
    "axes_accessfailurelog",
    "axes_accesslog",
    "django_admin_log",
}


@dataclass
class Form:
    action: str
    method: str
    fields: dict = field(default_factory=dict)  # name -> list of candidate values taken from the page


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(
                Form(
                    action=a.get("hx-post") or a.get("action") or "",
                    method=(a.get("method") or "get").lower(),
                )
            )
        elif not self.forms:
            return
        elif tag in ("input", "textarea") and a.get("name") and a.get("type") not in ("submit", "button"):
            self.forms[-1].fields.setdefault(a["name"], []).append(a.get("value") or "")
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.forms[-1].fields.setdefault(a["name"], [])
        elif tag == "option" and self._select:
            self.forms[-1].fields[self._select].append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode(errors="replace")


def discover_forms(client, world) -> list[Form]:
    forms: dict[tuple, Form] = {}
    for route in ROUTES:
        page_url = route.url(lambda kwarg: world)
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(page_url, headers=headers)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            parser = FormParser()
            parser.feed(_body(response))
            for form in parser.forms:
                form.action = urlsplit(urljoin(page_url, form.action or page_url)).path
                forms.setdefault((form.method, form.action, tuple(sorted(form.fields))), form)
    return [
        f
        for f in forms.values()
        if f.action not in SKIP_ACTIONS and f.fields.keys() - {"csrfmiddlewaretoken"}
    ]


def row_counts() -> dict:
    tables = sorted({m._meta.db_table for m in apps.get_models() if m._meta.managed} - IGNORED_TABLES)
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {connection.ops.quote_name(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(tables, cursor.fetchone(), strict=True))


def _value(data, name, candidates):
    """Half the time the page's own value (so validation reaches the deeper fields), else a hostile one."""
    own = [c for c in candidates if c is not None]
    if own and data.draw(st.booleans(), label=f"{name} keeps its own value"):
        return data.draw(st.sampled_from(own), label=name)
    return data.draw(HOSTILE, label=name)


@pytest.fixture
def world(merchant, settings):
    settings.TELEGRAM_API_BASE = (
        "http://127.0.0.1:9"  # revocations fail fast instead of reaching the internet
    )
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    world = World(merchant, "ALPHA")
    world.build_all()
    return world


HYP = hyp_settings(
    max_examples=int(os.environ.get("TELLER_HOSTILE_EXAMPLES", "12")),  # per form and per list
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _attack_form(client, form: Form):
    @HYP
    @given(data=st.data())
    def attack(data):
        payload = {
            name: _value(data, name, values)
            for name, values in form.fields.items()
            if name != "csrfmiddlewaretoken"
        }
        before = row_counts()
        for headers in ({}, {"HX-Request": "true"}):
            response = client.post(form.action, payload, headers=headers)
            body = _body(response)
            assert response.status_code < 500, (
                f"POST {form.action} {payload!r:.300} -> {response.status_code}"
            )
            refused = response.status_code >= 400 or any(marker in body for marker in ERROR_MARKERS)
            if refused:
                changed = {t: (before[t], n) for t, n in row_counts().items() if n != before[t]}
                assert changed == {}, (
                    f"POST {form.action} {payload!r:.300} was refused but rows changed: {changed}"
                )
            before = row_counts()

    attack()


def _attack_list(client, url: str, names: list[str]):
    @HYP
    @given(data=st.data())
    def attack(data):
        params = {
            name: data.draw(HOSTILE, label=name)
            for name in names
            if data.draw(st.booleans(), label=f"send {name}")
        }
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, params, headers=headers)
            assert response.status_code < 500, f"GET {url} {params!r:.300} -> {response.status_code}"

    attack()


def test_every_post_form_survives_hostile_input_and_invalid_input_changes_nothing(owner_client, world):
    owner_client.raise_request_exception = False
    forms = [f for f in discover_forms(owner_client, world) if f.method == "post"]
    failures = []

    for form in forms:
        try:
            _attack_form(owner_client, form)
        except AssertionError as exc:
            failures.append(str(exc)[:1500])

    assert len(forms) >= 3, [f.action for f in forms]
    assert failures == [], "\n\n".join(failures)


def test_every_list_and_search_survives_hostile_query_parameters(owner_client, world):
    owner_client.raise_request_exception = False
    forms = discover_forms(owner_client, world)
    targets: dict[str, set] = {}
    for form in forms:
        if form.method == "get":
            targets.setdefault(form.action, set()).update(form.fields)
    for route in ROUTES:
        if not route.kwargs:
            targets.setdefault(route.url(lambda kwarg: world), set()).update(LIST_PARAMS)
    failures = []

    for url, names in sorted(targets.items()):
        try:
            _attack_list(owner_client, url, sorted(names))
        except AssertionError as exc:
            failures.append(str(exc)[:1500])

    assert len(targets) >= 3
    assert failures == [], "\n\n".join(failures)


def test_the_form_parser_reads_fields_options_and_actions():
    parser = FormParser()
    parser.feed(
        '<form method="post" action="/x/"><input name="a" value="1"><select name="s">'
        '<option value="u">U</option><option value="v" selected>V</option></select>'
        '<textarea name="t"></textarea><button type="submit">Go</button></form>'
    )

    assert parser.forms[0].method == "post" and parser.forms[0].action == "/x/"
    assert parser.forms[0].fields == {"a": ["1"], "s": ["u", "v"], "t": [""]}
