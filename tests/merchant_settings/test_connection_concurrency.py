"""Several owners changing the Stripe connection at the same moment, on PostgreSQL (issue 13): a double
click never doubles an effect at Stripe or in the audit log, and never leaves an endpoint behind.

Stripe is the fake HTTP server the other connection tests use; it records every request.
Run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/teller_<name>.
"""

import pytest
from django.conf import settings
from django.utils import timezone

from audit.models import AuditEvent
from merchant_settings import services
from merchant_settings.models import ImportRun
from merchants.models import Merchant
from tests.concurrency import in_parallel
from tests.merchant_settings.conftest import KEY

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (set DATABASE_URL)"),
]
CLIENTS = 4


def endpoint_requests(stripe_server, method: str) -> int:
    return sum(m == method and p.startswith("/v1/webhook_endpoints") for m, p in stripe_server.state.requests)


@pytest.fixture
def connected(stripe_server, new_merchant, new_owner):
    services.stripe_connect(merchant=new_merchant, key=KEY, actor=new_owner, now=timezone.now())
    ImportRun.objects.update(state=ImportRun.State.SUCCEEDED)
    return new_merchant


def _fresh(merchant):
    return Merchant.objects.get(pk=merchant.pk)  # each click loads the merchant itself, as a request does


def test_concurrent_disconnects_disconnect_once(stripe_server, connected, new_owner):
    deletes_before = endpoint_requests(stripe_server, "DELETE")

    results = in_parallel(
        [
            lambda: services.stripe_disconnect(
                merchant=_fresh(connected), actor=new_owner, now=timezone.now()
            )
            for _ in range(CLIENTS)
        ]
    )

    refused = [r for r in results if isinstance(r, services.SettingsError)]
    assert len(refused) == CLIENTS - 1 and results.count(None) == 1, results
    assert endpoint_requests(stripe_server, "DELETE") - deletes_before == 1
    assert AuditEvent.objects.filter(action="stripe.disconnect").count() == 1
    assert stripe_server.state.webhook_endpoints == {}


def test_concurrent_rotations_leave_exactly_the_endpoint_teller_knows(stripe_server, connected, new_owner):
    results = in_parallel(
        [
            lambda: services.stripe_secret_rotate(
                merchant=_fresh(connected), actor=new_owner, now=timezone.now()
            )
            for _ in range(CLIENTS)
        ]
    )

    assert results == [None] * CLIENTS, results  # one after the other: each replaced the previous endpoint
    connected.refresh_from_db()
    assert list(stripe_server.state.webhook_endpoints) == [connected.stripe_webhook_endpoint_id]
    assert AuditEvent.objects.filter(action="stripe.webhook_secret.rotate").count() == CLIENTS


def test_concurrent_import_starts_start_one_run(stripe_server, connected, new_owner):
    runs_before = ImportRun.objects.count()

    results = in_parallel(
        [
            lambda: services.import_start(merchant=_fresh(connected), actor=new_owner, now=timezone.now())
            for _ in range(CLIENTS)
        ]
    )

    assert sum(isinstance(r, ImportRun) for r in results) == 1, results
    assert sum(isinstance(r, services.SettingsError) for r in results) == CLIENTS - 1
    assert ImportRun.objects.count() - runs_before == 1  # (eager Celery may have finished it already)
    assert AuditEvent.objects.filter(action="stripe.import.start").count() == 1
