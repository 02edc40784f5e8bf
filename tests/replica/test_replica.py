"""Reads from a real PostgreSQL streaming replica (common/replica.py).

The session fixture starts a hot standby of the machine's cluster on port 5433 with scripts/replica.sh
(a base backup of the primary, streaming from it), so the test database pytest creates on the primary is
replicated to it. Each test attaches the `replica` alias to that standby. Tests commit (transaction=True):
only committed writes reach a replica.
"""

import os
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from common import replica
from common.tasks import HEARTBEAT_KEY
from customers.models import Customer
from tests import factories
from transactions.models import Note

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "replica.sh"
PORT = "5433"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (set DATABASE_URL)"),
    pytest.mark.django_db(transaction=True, databases=["default", replica.REPLICA]),
]


def _script(command: str) -> None:
    subprocess.run([str(SCRIPT), command], check=True, env={**os.environ, "REPLICA_PORT": PORT})


@pytest.fixture(scope="session")
def standby(django_db_setup, django_db_blocker):
    """The hot standby, started once; the test database already exists on the primary."""
    _script("start")
    yield
    _script("resume")
    _script("stop")


@pytest.fixture(scope="module")
def replica_alias(standby):
    """The `replica` alias, pointing at the standby's copy of the test database, for this module only.

    Added before each test's database setup (a module fixture comes first), so the tests can name it in
    `databases`; marked as a test mirror of `default`, so Django never flushes the read-only standby.
    """
    config = {**connections["default"].settings_dict, "HOST": "127.0.0.1", "PORT": PORT}
    config["OPTIONS"] = {**config.get("OPTIONS", {}), "connect_timeout": 2}
    config["TEST"] = {**config.get("TEST", {}), "MIRROR": "default"}
    connections.settings[replica.REPLICA] = config
    yield
    connections[replica.REPLICA].close()
    del connections[replica.REPLICA]
    del connections.settings[replica.REPLICA]


@pytest.fixture
def attached(replica_alias):
    _script("resume")
    replica._down_until = 0.0
    yield
    _script("resume")
    connections[replica.REPLICA].close()
    replica._down_until = 0.0


def _caught_up(timeout: float = 20.0) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    target = replica.lsn_number(replica.primary_lsn())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replayed = replica.lsn_number(replica.replica_status()["replayed_lsn"])
        if replayed is not None and replayed >= target:
            return
        time.sleep(0.05)
    raise AssertionError("the standby did not catch up")


def _staff(merchant, role="OWNER"):
    return factories.MembershipFactory(merchant=merchant, role=role).user


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _queries_on(captured: CaptureQueriesContext, table: str) -> int:
    return sum(table in q["sql"] for q in captured.captured_queries)


def test_a_list_page_reads_merchant_data_from_the_replica_and_the_session_from_the_primary(attached):
    merchant = factories.MerchantFactory()
    factories.CustomerFactory(merchant=merchant, name="Replicated Rita")
    client = _client(_staff(merchant))
    _caught_up()

    with (
        CaptureQueriesContext(connections[replica.REPLICA]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = client.get("/customers/")

    assert response.status_code == 200 and b"Replicated Rita" in response.content
    assert _queries_on(on_replica, "customers_customer") >= 1
    assert _queries_on(on_primary, "customers_customer") == 0
    assert _queries_on(on_primary, "django_session") >= 1  # sign-in state: the primary
    assert _queries_on(on_replica, "django_session") == 0


def test_a_staff_action_reads_and_writes_the_primary(attached):
    merchant = factories.MerchantFactory()
    txn = factories.TransactionFactory(customer=factories.CustomerFactory(merchant=merchant))
    client = _client(_staff(merchant))
    _caught_up()

    with CaptureQueriesContext(connections[replica.REPLICA]) as on_replica:
        response = client.post(f"/transactions/{txn.pk}/notes/", {"body": "Called the bank"})

    assert response.status_code == 302
    assert Note.objects.filter(transaction=txn, body="Called the bank").exists()
    assert on_replica.captured_queries == []


def test_read_your_writes_while_the_replica_lags(attached):
    """Replay paused: the writer sees their note at once (from the primary); a colleague reads the
    lagging replica until it replays, then sees it too; the writer's pin is dropped once it has."""
    merchant = factories.MerchantFactory()
    txn = factories.TransactionFactory(customer=factories.CustomerFactory(merchant=merchant))
    writer, colleague = _client(_staff(merchant)), _client(_staff(merchant, "SUPPORT"))
    _caught_up()
    page = f"/transactions/{txn.pk}/"
    _script("pause")

    assert writer.post(f"/transactions/{txn.pk}/notes/", {"body": "Refund promised"}).status_code == 302

    assert b"Refund promised" in writer.get(page).content  # their own change, whatever the lag
    assert b"Refund promised" not in colleague.get(page).content  # the replica really is behind
    assert writer.session.get(replica.SESSION_KEY)

    _script("resume")
    _caught_up()
    assert b"Refund promised" in colleague.get(page).content
    with CaptureQueriesContext(connections[replica.REPLICA]) as on_replica:
        assert b"Refund promised" in writer.get(page).content
    assert _queries_on(on_replica, "transactions_note") >= 1  # back on the replica
    assert not writer.session.get(replica.SESSION_KEY)


def test_a_stopped_replica_falls_back_to_the_primary_and_healthz_says_so(attached):
    merchant = factories.MerchantFactory()
    factories.CustomerFactory(merchant=merchant, name="Fallback Fiona")
    client = _client(_staff(merchant))
    _caught_up()
    assert client.get("/customers/").status_code == 200  # a persistent replica connection is open
    _script("stop")
    cache.set(HEARTBEAT_KEY, time.time())  # a worker beat just now (counts when REDIS_URL is set, as in CI)
    try:
        response = client.get("/customers/")
        health = client.get("/healthz").json()

        assert response.status_code == 200 and b"Fallback Fiona" in response.content
        assert health["status"] == "degraded"
        assert health["checks"]["replica"]["ok"] is False
        assert health["checks"]["replica"]["reads"] == "primary"
        assert health["checks"]["database"]["ok"] is True
    finally:
        _script("start")  # a fresh standby for the tests after this one


def test_healthz_reports_a_healthy_replica_and_its_lag(attached):
    _caught_up()
    health = _client(_staff(factories.MerchantFactory())).get("/healthz").json()

    assert health["checks"]["replica"]["ok"] is True
    assert health["checks"]["replica"]["reads"] == "replica"
    assert health["checks"]["replica"]["lag_bytes"] >= 0


def test_an_instance_read_from_the_replica_is_saved_to_the_primary(attached):
    merchant = factories.MerchantFactory()
    customer = factories.CustomerFactory(merchant=merchant, name="Before")
    _caught_up()
    from_replica = Customer.objects.using(replica.REPLICA).get(pk=customer.pk)
    from_replica.name = "After"

    from_replica.save()  # the router sends every write to the primary

    assert Customer.objects.using("default").get(pk=customer.pk).name == "After"
