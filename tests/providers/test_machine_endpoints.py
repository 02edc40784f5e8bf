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


def test_a_webhook_costs_three_statements_and_stores_the_body_as_it_came(client, stripe_merchant):
    # The hot path: the merchant's secret, one INSERT ... ON CONFLICT DO NOTHING, nothing else (the health
    # check, when there is one, is the connection's own). A regression to the ORM's lookup-then-save would
    # still pass on statements, so the stored payload is compared with the body too.
    event = sp.event("customer.created", sp.customer(id="cus_ASIS", name="Zoë 🙂"))
    body = json.dumps(event, ensure_ascii=False, indent=1)
    with CaptureQueriesContext(
        connection
    ) as queries:  # not post_event: its on-commit apply is not the request
        response = client.post(
            f"/webhooks/stripe/{stripe_merchant.slug}/",
            data=body.encode(),
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sp.sign(body, SECRET),
        )

    assert response.status_code == 200
    statements = [q["sql"] for q in queries.captured_queries if q["sql"] != "SELECT 1"]
    assert len(statements) == 2, statements
    assert "ON CONFLICT" in statements[1] and statements[1].startswith("INSERT")
    stored = ProviderEvent.objects.get(provider_event_id=event["id"])
    assert stored.payload == event and stored.payload["data"]["object"]["name"] == "Zoë 🙂"
    assert stored.object_id == "cus_ASIS" and stored.status == ProviderEvent.Status.RECEIVED


def test_the_stored_row_is_the_row_the_database_holds(stripe_merchant):
    # event_store builds the INSERT from the model's columns: what it returns must be what a read returns
    # (dates on SQLite and PostgreSQL, defaults, the malformed event's FAILED status and reason).
    from django.utils import timezone

    from providers.inbox import event_store

    good = sp.event("customer.created", sp.customer(id="cus_ROW"))
    bad = {**sp.event("customer.created", sp.customer(id="cus_BAD")), "created": "yesterday"}
    for event in (good, bad):
        stored, created = event_store(merchant=stripe_merchant, event=event, now=timezone.now())
        fresh = ProviderEvent.objects.get(pk=stored.pk)
        assert created
        for field in ProviderEvent._meta.concrete_fields:
            assert getattr(stored, field.attname) == getattr(fresh, field.attname), field.name
    assert fresh.status == ProviderEvent.Status.FAILED and "created is not a unix timestamp" in fresh.error


def test_a_duplicate_inside_a_transaction_leaves_the_transaction_usable(stripe_merchant):
    # ON CONFLICT DO NOTHING: no IntegrityError, so no savepoint is needed and the caller's work survives.
    from django.db import transaction
    from django.utils import timezone

    from providers.inbox import event_store

    event = sp.event("customer.created", sp.customer(id="cus_TWICE"))
    with transaction.atomic():
        first, created_first = event_store(merchant=stripe_merchant, event=event, now=timezone.now())
        again, created_again = event_store(merchant=stripe_merchant, event=event, now=timezone.now())
        assert ProviderEvent.objects.filter(merchant=stripe_merchant).count() == 1  # still usable

    assert (created_first, created_again) == (True, False) and again.pk == first.pk


def test_the_applier_is_woken_after_the_insert_for_a_new_event_only(post_event, stripe_merchant, monkeypatch):
    # A new event wakes its merchant's applier once, on commit; a duplicate delivery and a malformed event
    # (stored FAILED, nothing to apply) wake nothing.
    from providers import inbox

    woken = []
    monkeypatch.setattr(inbox, "wake_applier", lambda merchant_id, **kw: woken.append(merchant_id) or True)
    new = json.dumps(sp.event("customer.created", sp.customer(id="cus_WAKE")))
    malformed = json.dumps({**sp.event("customer.created", sp.customer(id="cus_ODD")), "created": "soon"})

    for body in (new, new, malformed):
        assert post_event({}, body=body).status_code == 200  # on-commit callbacks run

    assert woken == [stripe_merchant.pk]
    assert ProviderEvent.objects.get(provider_event_id=json.loads(malformed)["id"]).status == "FAILED"
