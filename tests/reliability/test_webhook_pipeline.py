"""The webhook pipeline under real failure: duplicates, concurrency, a killed worker, a dead broker."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from customers.models import Customer
from providers import tasks
from providers.models import ProviderEvent
from tests import factories
from tests.db_sessions import other_session
from tests.providers import stripe_payloads as sp
from transactions.models import Transaction

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]
SECRET = "whsec_reliability"


@pytest.fixture
def shop(db):
    return factories.MerchantFactory(slug="reliable", provider="STRIPE", stripe_webhook_secret=SECRET)


def _deliver(url: str, event: dict) -> int:
    body = json.dumps(event)
    headers = {"Stripe-Signature": sp.sign(body, SECRET), "Content-Type": "application/json"}
    response = httpx.post(url, content=body, timeout=30, headers=headers)
    return response.status_code


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _events(n: int) -> list[dict]:
    """n distinct events: half customers, half charges of those customers."""
    out = []
    for i in range(n // 2):
        out.append(sp.event("customer.created", sp.customer(id=f"cus_R{i:05d}", email=f"r{i}@example.org")))
        charge = sp.charge(id=f"ch_R{i:05d}", customer=f"cus_R{i:05d}", amount=500)
        out.append(sp.event("charge.succeeded", charge))
    return out


def test_200_events_delivered_3_times_concurrently_are_each_applied_once(shop, worker, live_server):
    url = f"{live_server.url}/webhooks/stripe/{shop.slug}/"
    events = _events(200)

    with ThreadPoolExecutor(max_workers=12) as pool:
        codes = list(pool.map(lambda e: _deliver(url, e), events * 3))

    assert set(codes) == {200}
    assert ProviderEvent.objects.count() == 200
    _wait(lambda: not ProviderEvent.objects.exclude(status="PROCESSED").exists(), 180, "all events processed")
    assert set(ProviderEvent.objects.values_list("attempts", flat=True)) == {1}
    assert Customer.objects.filter(provider_customer_id__startswith="cus_R").count() == 100
    assert Transaction.objects.filter(provider_id__startswith="ch_R").count() == 100


def test_a_worker_killed_mid_task_applies_the_event_exactly_once_after_restart(
    shop, worker, live_server, monkeypatch
):
    from django.db import connection

    url = f"{live_server.url}/webhooks/stripe/{shop.slug}/"
    customer = factories.CustomerFactory(merchant=shop, provider_customer_id="cus_KILL", name="Before")
    # Hold the customer's row lock from another session so the worker blocks in the middle of the apply.
    blocker = other_session(autocommit=False)
    blocker.execute("SELECT id FROM customers_customer WHERE id = %s FOR UPDATE", [customer.pk])

    assert _deliver(url, sp.event("customer.updated", sp.customer(id="cus_KILL", name="After"))) == 200
    event = ProviderEvent.objects.get(provider_event_id__isnull=False, type="customer.updated")
    _wait(lambda: _worker_is_waiting_on_lock(connection), 30, "the worker to block on the row lock")

    worker.kill()
    blocker.rollback()
    blocker.close()
    event.refresh_from_db()
    assert event.status == "RECEIVED"  # the killed attempt's transaction was rolled back with it

    worker.start()
    monkeypatch.setattr(tasks, "SWEEP_AFTER", tasks.timedelta(0))
    assert tasks.sweep_received_events() >= 1
    _wait(lambda: ProviderEvent.objects.get(pk=event.pk).status == "PROCESSED", 60, "the event to be applied")

    event.refresh_from_db()
    customer.refresh_from_db()
    assert (event.attempts, customer.name) == (1, "After")


def _worker_is_waiting_on_lock(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = %s",
            [connection.settings_dict["NAME"]],
        )
        return cursor.fetchone()[0] > 0


def test_with_the_broker_down_webhooks_are_stored_and_applied_after_it_is_back(
    shop, worker, live_server, real_celery, monkeypatch
):
    url = f"{live_server.url}/webhooks/stripe/{shop.slug}/"
    events = _events(20)
    good_broker = real_celery.conf.broker_url
    _point_broker(real_celery, "redis://127.0.0.1:1/0")  # nothing listens there: "Redis is down"
    try:
        codes = [_deliver(url, e) for e in events]
    finally:
        _point_broker(real_celery, good_broker)

    assert set(codes) == {200}
    assert ProviderEvent.objects.filter(status="RECEIVED").count() == 20

    monkeypatch.setattr(tasks, "SWEEP_AFTER", tasks.timedelta(0))
    assert tasks.sweep_received_events() == 20
    _wait(lambda: ProviderEvent.objects.filter(status="PROCESSED").count() == 20, 120, "the swept events")
    assert Transaction.objects.filter(provider_id__startswith="ch_R").count() == 10


def _point_broker(app, url: str) -> None:
    """Re-point the app's (cached) producer pool at another broker URL (kombu keeps one pool per URL)."""
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url
    app.conf.broker_write_url = url


def test_events_arriving_while_the_merchants_applier_is_busy_are_applied_without_the_sweep(
    shop, worker, live_server
):
    # Another drain of this merchant holds the applier lock: the worker's drains find it busy and ask for
    # another a second later, until the lock is free. Nothing waits for the 30 s sweep (which is not running).
    from providers.inbox import APPLIER_LOCK

    url = f"{live_server.url}/webhooks/stripe/{shop.slug}/"
    with other_session() as busy:
        busy.execute("SELECT pg_advisory_lock(%s, %s)", [APPLIER_LOCK, shop.pk])
        assert {_deliver(url, e) for e in _events(10)} == {200}
        time.sleep(3)  # several busy rounds
        assert ProviderEvent.objects.filter(status="RECEIVED").count() == 10
        busy.execute("SELECT pg_advisory_unlock(%s, %s)", [APPLIER_LOCK, shop.pk])

    _wait(
        lambda: ProviderEvent.objects.filter(status="PROCESSED").count() == 10,
        20,
        "the events after the lock",
    )
    assert set(ProviderEvent.objects.values_list("attempts", flat=True)) == {1}
