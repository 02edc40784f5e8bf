"""The same Stripe event delivered several times at once (Stripe retries while the first delivery is still in
flight): one row, one "new", one wake. On PostgreSQL, with real connections racing on the unique index."""

import json
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from providers import inbox
from providers.models import ProviderEvent
from tests import factories

from . import stripe_payloads as sp

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (set DATABASE_URL)"),
]

DELIVERIES = 6


def test_simultaneous_deliveries_of_one_event_store_it_once_and_wake_once(monkeypatch):
    merchant = factories.MerchantFactory(provider="STRIPE", stripe_webhook_secret="whsec_race")
    event = sp.event("charge.succeeded", sp.charge(id="ch_RACE", customer="cus_RACE"))
    woken, results, errors = [], [], []
    monkeypatch.setattr(inbox, "wake_applier", lambda merchant_id, **kw: woken.append(merchant_id) or True)
    start = threading.Barrier(DELIVERIES)

    def deliver():
        try:
            start.wait(timeout=10)
            results.append(
                inbox.event_ingest(
                    merchant_id=merchant.pk, event=event, now=timezone.now(), text=json.dumps(event)
                )
            )
        except Exception as exc:  # an IntegrityError here is the bug this test is for
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(DELIVERIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert sorted(results) == [False] * (DELIVERIES - 1) + [True]
    assert ProviderEvent.objects.filter(merchant=merchant, provider_event_id=event["id"]).count() == 1
    assert woken == [merchant.pk]
