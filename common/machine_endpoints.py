"""Endpoints that machines call (Stripe's and Telegram's webhooks) skip the staff middleware.

A webhook uses no session, user, CSRF token, message, content-security policy, HTMX header, current
merchant or sign-in throttle, and it is the hottest path Teller has (hundreds of events a second). Views
marked with `@machine_endpoint` are called straight from `MachineEndpointMiddleware`, which sits after the
security, static-file and request-id middleware; the host is still checked against ALLOWED_HOSTS, and
exceptions still become responses (each middleware is wrapped by Django's exception handling). The path is
resolved against the machine endpoints' own URLconf (settings.MACHINE_URLCONF), a list of two.
"""

from django.conf import settings
from django.urls import Resolver404, resolve


def machine_endpoint(view):
    view.teller_machine_endpoint = True
    return view


class MachineEndpointMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path_info.startswith("/webhooks/"):
            try:
                match = resolve(request.path_info, urlconf=settings.MACHINE_URLCONF)
            except Resolver404:
                return self.get_response(request)
            if getattr(match.func, "teller_machine_endpoint", False):
                request.get_host()  # DisallowedHost (400) for a host Teller does not answer to
                request.resolver_match = match
                return match.func(request, *match.args, **match.kwargs)
        return self.get_response(request)
