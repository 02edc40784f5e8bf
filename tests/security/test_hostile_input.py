"""Hostile input against every form and list that exists: no 500, and invalid input changes nothing.

Forms are discovered, not listed: every GET page and modal the URL resolver knows is fetched as an owner
(objects from the tenant-isolation test's World), every <form> in it is parsed, and Hypothesis posts mixes
of each field's own value and hostile values (huge strings, NUL bytes, unicode, negative and huge numbers,
SQL and HTML snippets). GET forms (search and filters) and common list parameters get the same treatment.
A form added tomorrow is covered without touching this file. Query parameters are discovered too: every
view declares the forms that parse its query string (`common.params.query_params`), and every route the
resolver knows (objects filled from the World) gets hostile values for each declared parameter, plus the
common list names; a static check fails when code reads `request.GET` other than through such a form.
Run it on PostgreSQL too: NUL bytes, out-of-range offsets and integers only fail there.
"""

from __future__ import annotations

import ast
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.urls import get_resolver, resolve
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from common.params import declared_fields
from tests import factories
from tests.test_tenant_isolation import ROUTES, World

pytestmark = pytest.mark.django_db

BOUNDARY = [
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
    # boundaries the hostile run of issue 13 found: offsets PostgreSQL refuses, years at the edges,
    # digits that are not ASCII, ids and pages beyond a bigint, path separators, non-paths
    "2026-01-01T00:00:00+20:00~5",
    "2026-01-01T00:00:00+20:00",
    "0001-01-01T00:00:00+05:00~1",
    "9999-12-31T23:59:59-10:00",
    "null~1",
    "²",
    "１２",
    "ⅻ",
    "99999999999999999999",
    str(2**63),
    "a/b",
    "x",
    "//evil.example/",
    "javascript:alert(1)",
    "/a\r\nX: y",
    "ΑΒΓ",  # Greek capitals that look like Latin
]
# The values the hostile run of issue 13 killed views with, swept through every parameter and field in
# every choice of the page's own selects (BOUNDARY as a whole goes through each target once).
CORE = [
    "2026-01-01T00:00:00+20:00~5",
    "2026-01-01T00:00:00+20:00",
    "99999999999999999999",
    "²",
    "a\x00b",
    "a/b",
    "x",
    "//evil.example/",
    "/a\r\nX: y",
    "-1",
]
HOSTILE = st.one_of(
    st.sampled_from(BOUNDARY),
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


def snapshot() -> dict:
    """Per table: its row count and (PostgreSQL) a checksum of every row, so an UPDATE shows too."""
    tables = sorted({m._meta.db_table for m in apps.get_models() if m._meta.managed} - IGNORED_TABLES)
    q = connection.ops.quote_name
    if connection.vendor == "postgresql":
        parts = [
            f"(SELECT COUNT(*)::text || ':' || COALESCE(md5(string_agg(t::text, ',' ORDER BY t::text)), '')"
            f" FROM {q(tbl)} t)"
            for tbl in tables
        ]
    else:
        parts = [f"(SELECT COUNT(*) FROM {q(tbl)})" for tbl in tables]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return dict(zip(tables, cursor.fetchone(), strict=True))


def _changed(before: dict) -> dict:
    return {t: (before[t], v) for t, v in snapshot().items() if v != before[t]}


@contextmanager
def rolled_back():
    """Every attack starts from the same World: what a request wrote (a deleted code, a switched merchant in
    the session) is undone after it, so a destructive form is attacked as often as any other."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _value(data, name, candidates):
    """Half the time the page's own value (so validation reaches the deeper fields), else a hostile one."""
    own = [c for c in candidates if c is not None]
    if own and data.draw(st.booleans(), label=f"{name} keeps its own value"):
        return data.draw(st.sampled_from(own), label=name)
    return data.draw(HOSTILE, label=name)


@pytest.fixture
def world(merchant, other_merchant, owner, settings):
    settings.TELEGRAM_API_BASE = (
        "http://127.0.0.1:9"  # revocations fail fast instead of reaching the internet
    )
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    # A second merchant, so the merchant switcher is on every page and its form gets attacked too.
    factories.MembershipFactory(merchant=other_merchant, user=owner, role="OWNER")
    world = World(merchant, "ALPHA")
    world.build_all()
    return world


HYP = hyp_settings(
    max_examples=int(os.environ.get("TELLER_HOSTILE_EXAMPLES", "5")),  # per form and list, after the sweep
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# A substring of the URLs to attack (default all): a mutation check reruns one view's attack quickly.
ONLY = os.environ.get("TELLER_HOSTILE_ONLY", "")
ANSWERED = ERROR_MARKERS + ('role="alert"', "alert-")  # a refusal must say why (an error or a message)


def _post(client, form: Form, payload: dict, headers: dict) -> str | None:
    """POST once (rolled back after); a failure message, or None."""
    with rolled_back():
        before = snapshot()
        response = client.post(form.action, payload, headers=headers)
        body = _body(response)
        where = f"POST {form.action} {headers and 'HX ' or ''}{payload!r:.300}"
        if response.status_code >= 500:
            return f"{where} -> {response.status_code}; rows changed: {_changed(before)}"
        changed = _changed(before)
        refused = response.status_code >= 400 or any(marker in body for marker in ERROR_MARKERS)
        if refused and changed:
            return f"{where} was refused but rows changed: {changed}"
        silent = (
            response.status_code == 200
            and not changed
            and "HX-Trigger" not in response
            and "html" in response.get("Content-Type", "")
            and not any(marker in body for marker in ANSWERED)
        )
        if silent:
            return f"{where} changed nothing and said nothing (a refusal must show its errors)"
    return None


def _sweep_payloads(form: Form):
    """Deterministic boundary cases: each CORE value in each field (others their own value), each field
    missing and repeated, and every BOUNDARY value in all free-text fields at once."""
    own = {n: (v[-1] if v else "") for n, v in form.fields.items() if n != "csrfmiddlewaretoken"}
    free = [n for n, v in form.fields.items() if n != "csrfmiddlewaretoken" and len(set(v)) <= 1]
    for name in own:
        for value in CORE:
            yield {**own, name: value}
        yield {k: v for k, v in own.items() if k != name}
        yield {**own, name: [own[name], CORE[0]]}
    for value in BOUNDARY:
        yield {**own, **dict.fromkeys(free, value)}


def _attack_form(client, form: Form) -> list[str]:
    failures = []
    for i, payload in enumerate(_sweep_payloads(form)):
        failure = _post(client, form, payload, {"HX-Request": "true"} if i % 2 else {})
        if failure:
            return [failure]

    @HYP
    @given(data=st.data())
    def attack(data):
        payload = {
            name: _value(data, name, values)
            for name, values in form.fields.items()
            if name != "csrfmiddlewaretoken"
        }
        for headers in ({}, {"HX-Request": "true"}):
            failure = _post(client, form, payload, headers)
            assert failure is None, failure

    try:
        attack()
    except AssertionError as exc:
        failures.append(str(exc)[:1500])
    return failures


def _get(client, url, params, headers) -> str | None:
    with rolled_back():
        response = client.get(url, params, headers=headers)
        _body(response)
    if response.status_code >= 500:
        return f"GET {url} {headers and 'HX ' or ''}{params!r:.300} -> {response.status_code}"
    return None


def _choices(field) -> list[str]:
    choices = getattr(field, "choices", None) or getattr(field, "extra", {}).get("choices") or ()
    try:
        return [str(value) for value, _ in choices if str(value)]
    except (TypeError, ValueError):
        return []


def _sweep_params(names: list[str], fields: dict):
    """Every BOUNDARY value in every parameter at once (choices keep one of their own, in turn); then each
    CORE value with each choice of each choice parameter, so a value only one tab reads is reached."""
    choices = {n: _choices(fields[n]) for n in names if n in fields and _choices(fields[n])}
    free = [n for n in names if n not in choices]
    for i, value in enumerate(BOUNDARY):
        yield {**{n: c[i % len(c)] for n, c in choices.items()}, **dict.fromkeys(free, value)}, i % 2
    for value in CORE[:6]:  # the rest are redirect targets and ids, for forms
        yield dict.fromkeys(free, [value, "1"]), 0  # repeated: whichever one the view reads
        for name, options in choices.items():
            for j, option in enumerate(options[:8]):
                yield {**dict.fromkeys(free, value), name: option}, j % 2


def _attack_list(client, url: str, names: list[str], fields: dict) -> list[str]:
    for params, hx in _sweep_params(names, fields):
        failure = _get(client, url, params, {"HX-Request": "true"} if hx else {})
        if failure:
            return [failure]

    @HYP
    @given(data=st.data())
    def attack(data):
        params = {
            # sometimes repeated (?a=1&a=2): views must read one value, whichever it is
            name: data.draw(st.one_of(HOSTILE, st.lists(HOSTILE, min_size=2, max_size=3)), label=name)
            for name in names
            if data.draw(st.booleans(), label=f"send {name}")
        }
        for headers in ({}, {"HX-Request": "true"}):
            failure = _get(client, url, params, headers)
            assert failure is None, failure

    try:
        attack()
    except AssertionError as exc:
        return [str(exc)[:1500]]
    return []


def _post_targets(client, world) -> list[Form]:
    return [f for f in discover_forms(client, world) if f.method == "post"]


def _get_targets(client, world) -> dict[str, tuple[set, dict]]:
    targets: dict[str, tuple[set, dict]] = {}
    for form in discover_forms(client, world):
        if form.method == "get":
            names, fields = targets.setdefault(form.action, (set(), {}))
            names.update(form.fields)
            fields.update(declared_fields(resolve(form.action).func))
    for route in ROUTES:
        url = route.url(lambda kwarg: world)
        declared = declared_fields(resolve(url).func)
        if declared or not route.kwargs:
            names, fields = targets.setdefault(url, (set(), {}))
            names.update(declared, LIST_PARAMS)
            fields.update(declared)
    return targets


def test_every_post_form_survives_hostile_input_and_invalid_input_changes_nothing(owner_client, world):
    owner_client.raise_request_exception = False
    forms = _post_targets(owner_client, world)
    failures = []

    for form in forms:
        if ONLY in form.action:
            failures += _attack_form(owner_client, form)

    assert len(forms) >= 3, [f.action for f in forms]
    assert failures == [], "\n\n".join(failures)


def test_every_list_and_search_survives_hostile_query_parameters(owner_client, world):
    owner_client.raise_request_exception = False
    targets = _get_targets(owner_client, world)
    failures = []

    for url, (names, fields) in sorted(targets.items()):
        if ONLY in url:
            failures += _attack_list(owner_client, url, sorted(names), fields)

    assert len(targets) >= 3
    assert failures == [], "\n\n".join(failures)


def test_views_declare_their_query_parameters_and_the_declared_ones_are_attacked():
    """The declarations the list test above reads: the views that take parameters declare them."""
    declared = {}
    for route in ROUTES:
        view = resolve_view(route)
        if view is not None:
            declared[route.view_name] = set(declared_fields(view))

    assert {"after", "before", "q", "sort"} <= declared["customers:list"]
    assert {"after", "before", "q", "date_from"} <= declared["transactions:list"]
    assert {"after", "q", "actor", "date_to"} <= declared["audit:list"]
    assert {"tab", "kind", "before"} <= declared["customers:detail"]
    assert {"page"} <= declared["customers:detail-products"] & declared["customers:purchase-transactions"]
    assert {"after", "status", "type"} <= declared["providers:events"]
    assert {"batch", "page", "status"} <= declared["purchases:access-codes"]


def resolve_view(route):
    for pattern_view, _ in _all_views(get_resolver()):
        if pattern_view[0] == route.view_name:
            return pattern_view[1]
    return None


def _all_views(resolver, namespace=""):
    for pattern in resolver.url_patterns:
        if hasattr(pattern, "url_patterns"):
            inner = f"{namespace}:{pattern.namespace}".strip(":") if pattern.namespace else namespace
            yield from _all_views(pattern, inner)
        elif pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield (name, pattern.callback), pattern


APP_DIRS = (
    "access",
    "audit",
    "common",
    "customers",
    "merchants",
    "providers",
    "purchases",
    "refunds",
    "transactions",
    "config",
)
PARSER_MODULE = Path("common/params.py")


def _declared_parser_names() -> set[str]:
    names = set()
    for (_, view), _ in _all_views(get_resolver()):
        names.update(cls.__name__ for cls in getattr(view, "query_forms", ()))
    return names


def test_no_code_reads_the_query_string_outside_a_declared_parser():
    """`request.GET` may only be handed whole to a parser a view declares (`Form(request.GET ...)`) or copied
    to build links (`request.GET.copy()`); `request.GET.get(...)`, `[...]`, `getlist` bypass validation."""
    parsers = _declared_parser_names() | {"CursorForm"}
    offenders = []
    root = Path(settings.BASE_DIR)
    for app in APP_DIRS:
        for path in sorted((root / app).rglob("*.py")):
            rel = path.relative_to(root)
            if rel == PARSER_MODULE or "migrations" in rel.parts:
                continue
            tree = ast.parse(path.read_text())
            parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Attribute) and node.attr == "GET"):
                    continue
                parent = parents.get(node)
                if isinstance(parent, ast.Attribute) and parent.attr == "copy":
                    continue  # request.GET.copy(): building a link, not reading a value
                if isinstance(parent, ast.BoolOp):  # Form(request.GET or None, ...)
                    parent = parents.get(parent)
                if isinstance(parent, ast.Call) and getattr(parent.func, "id", None) in parsers:
                    continue
                offenders.append(f"{rel}:{node.lineno}")

    assert offenders == [], f"request.GET read outside a declared query_params parser: {offenders}"


def test_the_form_parser_reads_fields_options_and_actions():
    parser = FormParser()
    parser.feed(
        '<form method="post" action="/x/"><input name="a" value="1"><select name="s">'
        '<option value="u">U</option><option value="v" selected>V</option></select>'
        '<textarea name="t"></textarea><button type="submit">Go</button></form>'
    )

    assert parser.forms[0].method == "post" and parser.forms[0].action == "/x/"
    assert parser.forms[0].fields == {"a": ["1"], "s": ["u", "v"], "t": [""]}
