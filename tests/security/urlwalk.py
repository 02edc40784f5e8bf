"""Walk Django's URL resolver: every named route, its view and a URL that reverses with sample kwargs.

The permission-matrix test and the hostile-input harness both use it, so a view another helper adds
tomorrow is covered without touching these tests.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.urls import NoReverseMatch, URLPattern, URLResolver, converters, get_resolver, reverse

# Views that are deliberately not behind merchant_required: each says why.
UNDECORATED_ALLOWLIST = {
    "login": "the sign-in page itself",
    "logout": "Django's LogoutView: POST only, ends the session",
    "set-password": "the invitation link: its one-time token is the credential",
    "healthz": "load balancer probe: no merchant data",
    "stripe-webhook": "Stripe signs it with the merchant's webhook secret",
    "telegram-webhook": "Telegram sends the merchant's random secret token in a header",
    "telegram-join": "the buyer's way from the storefront to the bot: the subscription id is the capability",
}
UNDECORATED_NAMESPACES = {
    "admin": "Django admin: superusers only, its own checks",
    "djdt": "debug toolbar",
    "sandbox": "the SandboxProvider's hosted payment page: customer-facing, stands in for Stripe Checkout",
}

SAMPLE_BY_CONVERTER = {
    converters.IntConverter: "987654",
    converters.UUIDConverter: str(uuid.UUID(int=987654)),
    converters.SlugConverter: "no-such-thing",
    converters.PathConverter: "no-such-thing",
    converters.StringConverter: "no-such-thing",
}


@dataclass
class Route:
    name: str
    route: str
    view: object
    converters: dict

    @property
    def permission(self) -> str | None:
        return getattr(self.view, "teller_permission", None)

    @property
    def namespace(self) -> str:
        return self.name.rpartition(":")[0]

    @property
    def allowlisted(self) -> bool:
        return self.name in UNDECORATED_ALLOWLIST or self.namespace.split(":")[0] in UNDECORATED_NAMESPACES

    def url(self, **kwargs) -> str:
        """Reverse with `kwargs`, filling any other kwarg with a sample that matches its converter."""
        values = {k: SAMPLE_BY_CONVERTER.get(type(c), "no-such-thing") for k, c in self.converters.items()}
        values.update({k: v for k, v in kwargs.items() if k in self.converters})
        try:
            return reverse(self.name, kwargs=values or None)
        except NoReverseMatch:
            return reverse(self.name, kwargs={k: "1" for k in self.converters} or None)


def routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, namespace="", converters_so_far={}))


def _walk(patterns, namespace, converters_so_far):
    for entry in patterns:
        found = {**converters_so_far, **getattr(entry.pattern, "converters", {})}
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from _walk(entry.url_patterns, inner, found)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield Route(name=name, route=str(entry.pattern), view=entry.callback, converters=found)
