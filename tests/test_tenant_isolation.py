"""Tenant isolation, checked on EVERY URL pattern the resolver knows (so pages added later are covered).

- A signed-in user of merchant A who asks for merchant B's objects gets 404 (405 where the method is not
  allowed), never 200, never 500, never B's data in the body: GET and POST, plain and as HTMX requests.
- Pages without object ids never show B's data to A.
- Anonymous users are sent to the login page.

URL kwargs are filled from KWARGS below (kwarg name -> how to get that value from a merchant's objects). A new
URL with a kwarg that is not registered fails with a message saying where to register it. Patterns that are
public by design are listed in PUBLIC with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests import factories
from transactions.models import Transaction

pytestmark = pytest.mark.django_db

# Route prefixes that are not staff pages, each with the reason it is not checked here.
PUBLIC = {
    "admin/": "Django admin: superusers only, its own login and permissions (tests/test_admin.py).",
    "accounts/login/": "The login page is for anonymous users.",
    "accounts/set-password/": "Invitation link for new staff: anonymous by design, guarded by a token.",
    "webhooks/": "Provider webhooks: authenticated by the provider's signature, not a session.",
    "healthz": "Load-balancer health check: public, returns no merchant data.",
    "sandbox/pay/": (
        "Sandbox repayment link: the customer pays without a Teller account; "
        "the session id is the capability."
    ),
    "telegram/join/": (
        "The buyer's redirect from the storefront to the bot's deep link: no staff data, "
        "the Stripe subscription id is the capability."
    ),
    "static/": "Static files.",
    "__debug__/": "Debug toolbar (development only).",
}


class World:
    """A merchant's objects, made on first use, each carrying a marker that must never leak elsewhere."""

    def __init__(self, merchant, marker: str):
        self.merchant, self.marker = merchant, marker

    @cached_property
    def customer(self):
        return factories.CustomerFactory(
            merchant=self.merchant,
            name=f"{self.marker} Person",
            email=f"{self.marker.lower()}@leak.example",
            provider_customer_id=f"cus_{self.marker}",
        )

    @cached_property
    def purchase(self):
        return factories.PurchaseFactory(
            customer=self.customer,
            product__name=f"{self.marker} Product",
            provider_subscription_id=f"sub_{self.marker}",
        )

    @cached_property
    def charge(self):
        return factories.TransactionFactory(
            customer=self.customer, purchase=self.purchase, provider_id=f"ch_{self.marker}"
        )

    @cached_property
    def chargeback(self):
        return factories.TransactionFactory(
            customer=self.customer,
            purchase=self.purchase,
            chargeback=True,
            parent=self.charge,
            provider_id=f"dp_{self.marker}",
            status=Transaction.Status.LOST,
        )

    @cached_property
    def dispute(self):
        return factories.DisputeFactory(transaction=self.chargeback, provider_id=f"dp_{self.marker}")

    @cached_property
    def identifier(self):
        link = factories.CustomerIdentifierFactory(
            customer=self.customer, identifier__value=f"fp_{self.marker}"
        )
        return link.identifier

    @cached_property
    def access_code(self):
        code = factories.AccessCodeFactory(merchant=self.merchant, batch=f"{self.marker}-batch")
        code.products.add(self.purchase.product)
        return code

    @cached_property
    def repayment(self):
        return factories.RepaymentFactory(chargeback=self.chargeback, reference=f"{self.marker}-ref")

    @cached_property
    def provider_event(self):
        return factories.ProviderEventFactory(
            merchant=self.merchant, provider_event_id=f"evt_{self.marker}", customer=self.customer
        )

    @cached_property
    def staff_membership(self):
        return factories.MembershipFactory(
            merchant=self.merchant, role="SUPPORT", user__email=f"staff-{self.marker.lower()}@leak.example"
        )

    @cached_property
    def telegram_chat(self):
        chat = factories.TelegramChatFactory(merchant=self.merchant, title=f"{self.marker} Chat")
        chat.products.add(self.purchase.product)
        return chat

    @cached_property
    def telegram_account(self):
        return factories.TelegramAccountFactory(
            customer=self.customer, merchant=self.merchant, username=f"{self.marker}_tg"
        )

    @cached_property
    def export_job(self):
        return factories.ExportJobFactory(merchant=self.merchant, filters={"q": [f"{self.marker} filter"]})

    def build_all(self):
        for name in (
            "telegram_chat",
            "telegram_account",
            "customer",
            "purchase",
            "charge",
            "chargeback",
            "dispute",
            "identifier",
            "access_code",
            "repayment",
            "provider_event",
            "staff_membership",
            "export_job",
        ):
            getattr(self, name)


@dataclass(frozen=True)
class Kwarg:
    value: Callable[[World], object]
    # "object": the kwarg names one object, another merchant's must 404. "label": it only filters the
    # merchant's own rows (a batch name), so a 200 is fine as long as none of B's data shows.
    kind: str = "object"


# Looked up as "<view name>.<kwarg>", then "<namespace>.<kwarg>", then "<kwarg>". Register new URLs here.
KWARGS: dict[str, Kwarg] = {
    "public_id": Kwarg(lambda w: w.customer.public_id),
    "purchase_id": Kwarg(lambda w: w.purchase.pk),
    "identifier_id": Kwarg(lambda w: w.identifier.pk),
    "transactions:dispute-respond.pk": Kwarg(lambda w: w.dispute.pk),
    "transactions:dispute-accept.pk": Kwarg(lambda w: w.dispute.pk),
    "transactions.pk": Kwarg(lambda w: w.charge.pk),
    "refunds:credit.pk": Kwarg(lambda w: w.charge.pk),
    "refunds:repayment.pk": Kwarg(lambda w: w.chargeback.pk),
    "refunds.pk": Kwarg(lambda w: w.repayment.pk),
    "purchases:access-code-delete.pk": Kwarg(lambda w: w.access_code.pk),
    "purchases.pk": Kwarg(lambda w: w.purchase.pk),
    "customers:cancel-preview.pk": Kwarg(lambda w: w.purchase.pk),
    "access:access-retry.pk": Kwarg(lambda w: w.purchase.pk),
    "batch": Kwarg(lambda w: w.access_code.batch, kind="label"),
    "providers.pk": Kwarg(lambda w: w.provider_event.pk),
    "staff-role.pk": Kwarg(lambda w: w.staff_membership.pk),
    "staff-deactivate.pk": Kwarg(lambda w: w.staff_membership.pk),
    "staff-reactivate.pk": Kwarg(lambda w: w.staff_membership.pk),
    "chat_pk": Kwarg(lambda w: w.telegram_chat.pk),
    "account_pk": Kwarg(lambda w: w.telegram_account.pk),
    "exports.pk": Kwarg(lambda w: w.export_job.pk),
    # Which list to export: it only selects among the signed-in merchant's own rows.
    "exports:start.kind": Kwarg(lambda w: "customers", kind="label"),
}


@dataclass(frozen=True)
class Route:
    route: str
    name: str | None
    namespace: str
    kwargs: tuple[str, ...]

    @property
    def view_name(self) -> str:
        return f"{self.namespace}:{self.name}" if self.namespace else (self.name or "")

    def kwarg_spec(self, kwarg: str) -> Kwarg:
        for key in (f"{self.view_name}.{kwarg}", f"{self.namespace}.{kwarg}", kwarg):
            if key in KWARGS:
                return KWARGS[key]
        pytest.fail(
            f"URL {self.route!r} ({self.view_name}) has the kwarg {kwarg!r} that "
            "tests/test_tenant_isolation.py "
            f"does not know. Add KWARGS[{self.view_name + '.' + kwarg!r}] (or {kwarg!r}) "
            "saying which object it "
            f"names, or list the route in PUBLIC with the reason."
        )

    def url(self, world_for: Callable[[str], World]) -> str:
        """The URL with each kwarg taken from the World that world_for(kwarg) returns."""
        values = {k: self.kwarg_spec(k).value(world_for(k)) for k in self.kwargs}
        return reverse(self.view_name, kwargs=values)


def _pattern_kwargs(pattern: URLPattern | URLResolver) -> tuple[str, ...]:
    converters = getattr(pattern.pattern, "converters", None)
    if converters is not None:
        return tuple(converters)
    return tuple(pattern.pattern.regex.groupindex)


def walk(resolver=None, prefix: str = "", namespace: str = "", inherited: tuple = ()):
    """Every URLPattern under the root resolver, recursively, with its full route, namespace and kwargs."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        kwargs = inherited + _pattern_kwargs(pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from walk(pattern, route, inner, kwargs)
        else:
            yield Route(route=route.lstrip("^"), name=pattern.name, namespace=namespace, kwargs=kwargs)


def is_public(route: Route) -> bool:
    return any(route.route.startswith(prefix) for prefix in PUBLIC)


ROUTES = [r for r in walk() if not is_public(r)]
OBJECT_ROUTES = [r for r in ROUTES if r.kwargs]
PLAIN_ROUTES = [r for r in ROUTES if not r.kwargs]
HTMX = {"HX-Request": "true", "HX-Target": "modal"}


def _ids(route: Route) -> str:
    return route.view_name or route.route


def test_every_route_has_a_name_so_it_can_be_reversed():
    unnamed = [r.route for r in ROUTES if not r.name]

    assert unnamed == []


def test_the_walk_finds_the_known_pages():
    names = {r.view_name for r in ROUTES}

    assert {"customers:list", "customers:detail", "transactions:list", "transactions:detail"} <= names


@pytest.fixture
def world_a(merchant):
    return World(merchant, "ALPHA")


@pytest.fixture
def world_b(other_merchant):
    return World(other_merchant, "BRAVO")


def assert_no_leak(response, world: World, where: str):
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    body = raw.decode(errors="replace")
    assert world.marker not in body and world.marker.lower() not in body, f"{where} shows merchant B's data"


def _requests(client, url):
    yield "GET", client.get(url)
    yield "GET+HX", client.get(url, headers=HTMX)
    yield "POST", client.post(url, {})
    yield "POST+HX", client.post(url, {}, headers=HTMX)


def _variants(route: Route, world_a: World, world_b: World):
    """All of B's objects; and, with several kwargs, A's objects with exactly one of them swapped for B's."""
    yield "all B", route.url(lambda k: world_b)
    if len(route.kwargs) > 1:
        for swapped in route.kwargs:
            yield f"B's {swapped}", route.url(lambda k, s=swapped: world_b if k == s else world_a)


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=_ids)
def test_another_merchants_object_is_a_404_for_every_method(owner_client, route, world_a, world_b):
    failures = []
    for variant, url in _variants(route, world_a, world_b):
        kinds = {route.kwarg_spec(k).kind for k in route.kwargs}
        allowed = {404, 405} if kinds == {"object"} else {200, 404, 405}
        for method, response in _requests(owner_client, url):
            if response.status_code not in allowed:
                failures.append(
                    f"{method} {url} ({variant}) -> {response.status_code}, expected one of {allowed}"
                )
            assert_no_leak(response, world_b, f"{method} {url}")

    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("route", PLAIN_ROUTES, ids=_ids)
def test_pages_without_an_id_never_show_another_merchants_data(owner_client, route, world_b):
    world_b.build_all()
    url = route.url(lambda k: world_b)

    for method, response in (("GET", owner_client.get(url)), ("GET+HX", owner_client.get(url, headers=HTMX))):
        assert response.status_code < 500, f"{method} {url} -> {response.status_code}"
        assert_no_leak(response, world_b, f"{method} {url}")


@pytest.mark.parametrize("route", ROUTES, ids=_ids)
def test_anonymous_users_are_sent_to_the_login_page(client, route, world_b):
    url = route.url(lambda k: world_b)
    login = reverse("login")
    statuses = {}

    for method, response in _requests(client, url):
        statuses[method] = response.status_code
        if response.status_code == 302:
            assert response["Location"].startswith(login), (
                f"{method} {url} redirects to {response['Location']}"
            )
        else:
            # Only "method not allowed" may answer before the sign-in check; it discloses nothing.
            assert response.status_code == 405, f"{method} {url} -> {response.status_code}"
        assert_no_leak(response, world_b, f"{method} {url}")

    assert 302 in statuses.values(), f"{url} never sends an anonymous user to the login page: {statuses}"


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=_ids)
def test_the_same_urls_are_not_404_for_the_merchants_own_objects(owner_client, route, world_a):
    """Guards the test itself: the 404s above come from tenancy, not from kwargs that name nothing."""
    world_a.build_all()
    url = route.url(lambda k: world_a)

    response = owner_client.get(url)

    assert response.status_code not in (404, 500), (
        f"GET {url} -> {response.status_code} for the merchant's own objects"
    )


def test_no_url_is_listed_public_by_accident():
    """Everything in PUBLIC matches a real route or a conventional prefix, so the list stays honest."""
    routes = [r.route for r in walk()]
    unused = [
        p for p in PUBLIC if p not in ("static/", "__debug__/") and not any(r.startswith(p) for r in routes)
    ]

    assert unused == []


def test_a_kwarg_nobody_registered_fails_with_a_clear_message():
    route = Route(route="widgets/<int:widget_id>/", name="widget", namespace="", kwargs=("widget_id",))

    with pytest.raises(pytest.fail.Exception, match="Add KWARGS"):
        route.kwarg_spec("widget_id")
