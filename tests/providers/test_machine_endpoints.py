"""Webhooks skip the staff middleware (common/machine_endpoints.py) but keep the host check and errors."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from providers.models import ProviderEvent

from . import stripe_payloads as sp
from .conftest import SECRET

pytestmark = pytest.mark.django_db


def test_a_webhook_touches_no_session_user_or_csrf(
    client, stripe_merchant, django_capture_on_commit_callbacks
):
    body = json.dumps(sp.event("customer.created", sp.customer(id="cus_FAST")))
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/webhooks/stripe/{stripe_merchant.slug}/",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sp.sign(body, SECRET),
        )

    assert response.status_code == 200 and response.json()["received"] is True
    assert ProviderEvent.objects.filter(provider_event_id=json.loads(body)["id"]).exists()
    assert not any("django_session" in q["sql"] or "axes_" in q["sql"] for q in queries.captured_queries)
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    assert "X-Frame-Options" not in response  # the staff pages' middleware did not run
    assert response["X-Request-ID"]  # the request-id middleware (before the fast path) still runs


def test_a_webhook_for_a_host_teller_does_not_serve_is_refused_and_not_stored(post_event, settings):
    settings.ALLOWED_HOSTS = ["teller.example.com"]

    response = post_event(sp.event("customer.created", sp.customer(id="cus_HOST")))

    assert response.status_code == 400
    assert not ProviderEvent.objects.exists()


def test_a_webhook_for_an_unknown_merchant_is_a_404(post_event):
    response = post_event(sp.event("customer.created", sp.customer(id="cus_NOBODY")), slug="nobody")

    assert response.status_code == 404
    assert not ProviderEvent.objects.exists()


def test_a_get_to_the_webhook_url_still_goes_through_django_and_is_refused(client, stripe_merchant):
    response = client.get(f"/webhooks/stripe/{stripe_merchant.slug}/")

    assert response.status_code == 405
