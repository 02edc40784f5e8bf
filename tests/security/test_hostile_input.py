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

Beyond Hypothesis's random mixes, a deterministic sweep puts every BOUNDARY value through every target and
every CORE value through every field and every choice of the page's selects; each field is also sent
missing and repeated, and each form is posted twice in a row (a double click). Every request is rolled back,
so destructive forms are attacked from the same World each time. A refused request (4xx or an error shown)
must leave every table's row count and row checksum unchanged; a POST that changed nothing and answers a
page must say why, and must show the error of each field whose value was hostile (missing or repeated) and
that a posted form refused: that field's error list or every message of it, not another field's error.
test_no_url_pattern_is_left_out_of_the_attack fails when a URL pattern is neither attacked nor in EXCLUDED
with its reason.

Mutation checks (the fix reverted in a scratch copy, this module run on PostgreSQL with
TELLER_HOSTILE_ONLY set to the affected URLs; 2 December 2026):
- cursor offsets (common.params.normalize_datetime keeps the offset): found, GET /transactions/ and
  GET /customers/ with after/before "2026-01-01T00:00:00+20:00~5" -> 500.
- huge page numbers (PageField without its bound): found, GET /customers/<id>/products/ ?page=10**29 -> 500.
- `?after=²` on Webhooks (IdAfterField without isascii): found, GET /events/ after="²" -> 500.
- `?batch=` with "/" (AccessCodeFilterForm without its validator): found, GET /access-codes/ -> 500.
- merchant switch (the old view: raw merchant id and next): found, POST /merchant/switch/ -> 500.
- access-code delete with a hostile next (redirect target built after the delete, no atomic): found,
  POST /access-codes/<pk>/delete/ -> 500 with the audit row written.
- Telegram chat products with "²" (found by this test, fixed in the same change): found when reverted.
- staff role posted empty (`request.POST or None` leaves the form unbound; found by this test, fixed):
  found when reverted ("changed nothing and said nothing").
- repayment-cancel refusing an HTMX POST (form.add_error on an unbound form): found by the double-click
  pass, the second POST /repayments/<pk>/cancel/ HX -> 500 (the random and sweep passes alone missed it).
- cancel-purchase "when" errors not shown (purchase_cancel_modal.html without {{ form.when.errors }}): found
  by the per-field check, POST /purchases/<pk>/cancel/ when="2026-01-01T00:00:00+20:00~5" -> "refused
  without saying why for the field it went into" (before it, the confirmation field's own error, always
  shown, made the refusal look answered).
- generator quantity / duration errors not shown (access_code_list.html without their errors): found once
  the World has a product that allows access codes, POST /access-codes/ quantity="2026-01-01T00:00:00+20:00~5"
  and, with only the duration's errors removed, duration=the same value -> refused without saying why.
- the Telegram removal message refused with a NUL byte and no error on the page (found by the per-field
  check, fixed in the same change): found when reverted, POST /settings/telegram/ removal_message "a" NUL "b".
- the generator's products with an id beyond a bigint (found once the World has such a product, SQLite:
  OverflowError -> 500; fixed with the bounded field the Telegram chat products already used): found when
  reverted, POST /access-codes/ products="99999999999999999999".
"""

from __future__ import annotations

import ast
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.forms.forms import NON_FIELD_ERRORS, BaseForm
from django.urls import get_resolver, resolve, reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from access.models import AccessGrant
from common.params import declared_fields
from common.tasks import HEARTBEAT_KEY
from providers.models import ProviderEvent
from refunds.services import repayment_link_create
from tests import factories
from tests.test_tenant_isolation import ROUTES, World, walk

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


def discover_forms(client, world, *, pages=None, fetched=None) -> list[Form]:
    """The forms of every page (default: every staff route, objects from `world`); `fetched` collects the
    URLs that answered a page."""
    forms: dict[tuple, Form] = {}
    if pages is None:
        pages = [route.url(lambda kwarg: world) for route in ROUTES]
    for page_url in pages:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(page_url, headers=headers)
            assert response.status_code < 500, f"GET {page_url} {headers} -> {response.status_code}"
            if fetched is not None and response.status_code == 200:
                fetched.add(page_url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            parser = FormParser()
            parser.feed(_body(response))
            for form in parser.forms:
                form.action = urlsplit(urljoin(page_url, form.action or page_url)).path
                forms.setdefault((form.method, form.action, tuple(sorted(form.fields))), form)
    # A form with no field but its token (replay, cancel a link) is attacked too: posted bare, repeated,
    # refused by the state its object is in.
    return [f for f in forms.values() if f.action not in SKIP_ACTIONS]


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
    # The states in which the action forms show: a replayable event, a removal pending (Retry), a chat
    # member (remove, link to a customer), a sandbox repayment link (cancel, email).
    ProviderEvent.objects.filter(pk=world.provider_event.pk).update(status=ProviderEvent.Status.FAILED)
    factories.AccessGrantFactory(
        purchase=world.purchase,
        chat=world.telegram_chat,
        account=world.telegram_account,
        status=AccessGrant.Status.REVOKE_PENDING,
    )
    factories.ChatMemberFactory(
        chat=world.telegram_chat, telegram_user_id=world.telegram_account.telegram_user_id
    )
    factories.ChatMemberFactory(chat=world.telegram_chat)
    second_chat = factories.TelegramChatFactory(merchant=merchant)  # access granted, not joined: Resend
    factories.AccessGrantFactory(
        purchase=world.purchase,
        chat=second_chat,
        account=world.telegram_account,
        status=AccessGrant.Status.ACTIVE,
    )
    with transaction.atomic():
        repayment_link_create(actor=owner, now=timezone.now(), chargeback=world.chargeback)
    # A product that allows access codes, so the generator shows its quantity and duration fields.
    factories.ProductFactory(merchant=merchant, allows_access_codes=True)
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


# Every form a request validated (BaseForm.full_clean observed, not replaced), so a refusal can be checked for
# the errors of the very fields the hostile values went into.
CLEANED: list[BaseForm] = []
_full_clean = BaseForm.full_clean


def _observed_full_clean(self):
    _full_clean(self)
    CLEANED.append(self)


@pytest.fixture(autouse=True)
def observe_form_validation(monkeypatch):
    monkeypatch.setattr(BaseForm, "full_clean", _observed_full_clean)
    CLEANED.clear()
    yield
    CLEANED.clear()


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _unshown_errors(payload: dict, own: dict, body: str) -> list[str]:
    """The errors of the posted forms on fields whose value was not the page's own (hostile, missing or
    repeated) that the answer does not show: neither the field's error list (`id="<id>_error"`, what
    `{{ field.errors }}` renders) nor every message of it. Another field's error on the page (a confirmation
    left empty) does not say why this one was refused."""
    hostile = {n for n in set(payload) | set(own) if _as_list(payload.get(n)) != _as_list(own.get(n))}
    unshown = []
    for form in CLEANED:
        data = form.data
        if not form.is_bound or not hasattr(data, "getlist") or form._errors is None:
            continue
        if not any(data.getlist(n) == _as_list(v) for n, v in payload.items()):
            continue  # not the form the POST filled (a filter form on the query string)
        for name, errors in form._errors.items():
            if name == NON_FIELD_ERRORS or name not in form.fields:
                continue
            bound = form[name]
            if bound.html_name not in hostile or data.getlist(bound.html_name) != _as_list(
                payload.get(bound.html_name)
            ):
                continue
            shown = (bound.auto_id and f'id="{bound.auto_id}_error"' in body) or all(
                escape(str(message)) in body for message in errors
            )
            if not shown:
                unshown.append(f"{bound.html_name}: {list(errors)!r:.200}")
    return unshown


def _post(client, form: Form, payload: dict, headers: dict, *, before: dict, twice=False) -> str | None:
    """POST (twice: a double click, the second answer judged), rolled back after; a failure, or None.
    `before` is the snapshot every request starts from (each is rolled back)."""
    with rolled_back():
        if twice:
            client.post(form.action, payload, headers=headers)
            before = snapshot()
        CLEANED.clear()
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
        if not changed and response.status_code < 300 and "html" in response.get("Content-Type", ""):
            own = {n: (v[-1] if v else "") for n, v in form.fields.items() if n != "csrfmiddlewaretoken"}
            unshown = _unshown_errors(payload, own, body)
            if unshown:
                return f"{where} refused without saying why for the field it went into: {unshown}"
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
    failures, before = [], snapshot()
    own = {n: (v[-1] if v else "") for n, v in form.fields.items() if n != "csrfmiddlewaretoken"}
    for headers in ({}, {"HX-Request": "true"}):  # the second of two clicks meets the state the first left
        failure = _post(client, form, own, headers, before=before, twice=True)
        if failure:
            return [failure]
    for i, payload in enumerate(_sweep_payloads(form)):
        failure = _post(client, form, payload, {"HX-Request": "true"} if i % 2 else {}, before=before)
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
        headers = {"HX-Request": "true"} if data.draw(st.booleans(), label="HTMX") else {}
        failure = _post(client, form, payload, headers, before=before)
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


# -- Public URLs and the coverage check ---------------------------------------------------------------------

# Patterns no attack reaches, each with the reason. Everything else the resolver knows must be attacked:
# test_no_url_pattern_is_left_out_of_the_attack fails for a new pattern that is neither.
EXCLUDED = {
    "logout": "posting it signs the client out, which is its whole point; it reads no field",
    "admin:*": "Django admin: superusers only, Django's own forms and validation",
    "djdt:*": "debug toolbar, development only",
}
WEBHOOKS = ("stripe-webhook", "telegram-webhook")
RAW_BODIES = [
    b"",
    b"\x00",
    b"{",
    b"[]",
    b"null",
    b'{"id": "\\u0000", "type": "charge.refunded", "data": {"object": {"id": 1e309}}}',
    b'{"update_id": 99999999999999999999, "message": {"chat": {"id": "\xc2\xb2"}}}',
    b'{"update_id": 1, "chat_member": {"chat": {"id": -1}, "new_chat_member": {"user": {"id": "x"}}}}',
    '{"type": "ΑΒΓ"}'.encode(),
    b"A" * 200_000,
]


def _public_urls(world, actor) -> dict[str, str]:
    """A URL of each public pattern, naming the World's real objects where there are some."""
    session_id = "cs_no_such_session"
    try:
        with transaction.atomic():
            link = repayment_link_create(actor=actor, now=timezone.now(), chargeback=world.chargeback)
        session_id = getattr(link, "provider_link_id", None) or session_id
    except Exception:  # noqa: BLE001 - a link the sandbox refuses leaves the 404 path attacked
        pass
    slug = world.merchant.slug
    return {
        "login": reverse("login"),
        "healthz": reverse("healthz"),
        "set-password": reverse("set-password", kwargs={"uidb64": "MQ", "token": "set-password"}),
        "stripe-webhook": reverse("stripe-webhook", kwargs={"merchant_slug": slug}),
        "telegram-webhook": reverse("telegram-webhook", kwargs={"merchant_slug": slug}),
        "telegram-join": reverse(
            "telegram-join",
            kwargs={"merchant_slug": slug, "provider_id": world.purchase.provider_subscription_id},
        ),
        "sandbox:pay": reverse("sandbox:pay", kwargs={"session_id": session_id}),
    }


def _attack_webhook(client, url: str) -> list[str]:
    failures = []
    headers_variants = (
        {},
        {"Stripe-Signature": "t=1,v1=" + "0" * 64},
        {"X-Telegram-Bot-Api-Secret-Token": "\x00"},
        {"X-Telegram-Bot-Api-Secret-Token": "A" * 300},
    )
    for body in RAW_BODIES:
        for headers in headers_variants:
            with rolled_back():
                before = snapshot()
                response = client.post(url, body, content_type="application/json", headers=headers)
                changed = _changed(before) if response.status_code >= 400 else {}
            if response.status_code >= 500 or changed:
                failures.append(f"POST {url} {body[:80]!r} {headers} -> {response.status_code} {changed}")
    return failures


def test_public_urls_survive_hostile_input(client, world, owner):
    """Signed out: the sign-in and invitation pages, webhooks, the join redirect and the sandbox pay page."""
    client.raise_request_exception = False
    # /healthz is public too: a worker beat just now, so with REDIS_URL set (CI) a 503 would be a real
    # failure, not the absence of a worker in the test run.
    cache.set(HEARTBEAT_KEY, time.time())
    urls = _public_urls(world, owner)
    failures = []

    for name in WEBHOOKS:
        failures += _attack_webhook(client, urls[name])
    pages = [u for n, u in urls.items() if n not in WEBHOOKS]
    for form in discover_forms(client, None, pages=pages):
        if form.method == "post" and ONLY in form.action:
            failures += _attack_form(client, form)
    for url in pages:
        if ONLY in url:
            failures += _attack_list(client, url, LIST_PARAMS, {})

    assert failures == [], "\n\n".join(failures)


def _pattern_names() -> set[str]:
    return {r.view_name for r in walk() if r.name}


def _excluded(name: str) -> bool:
    return name in EXCLUDED or f"{name.partition(':')[0]}:*" in EXCLUDED


def test_no_url_pattern_is_left_out_of_the_attack(owner_client, world, owner):
    """Every named pattern is a page the attack fetched and parsed (its forms and parameters attacked), the
    action of a form it attacks, a public URL it attacks, or excluded above with its reason."""
    owner_client.raise_request_exception = False
    pages: set[str] = set()
    forms = discover_forms(owner_client, world, fetched=pages)
    covered = {resolve(url).view_name for url in pages}
    covered |= {resolve(f.action).view_name for f in forms}
    covered |= {resolve(u).view_name for u in _get_targets(owner_client, world)}
    covered |= set(_public_urls(world, owner))

    left_out = sorted(n for n in _pattern_names() - covered if not _excluded(n))
    stale = sorted(n for n in EXCLUDED if not n.endswith(":*") and n not in _pattern_names())

    assert left_out == [], f"URL patterns no attack reaches; cover them or add them to EXCLUDED: {left_out}"
    assert stale == [], f"EXCLUDED names patterns that no longer exist: {stale}"
