"""The history import on a real worker: killed mid-way (SIGKILL), it resumes from its cursors."""

import time

import pytest
from django.db import connection
from django.utils import timezone

from customers.models import Customer, PaymentMethod
from merchant_settings import services
from merchant_settings.importer import CUSTOMERS_PER_PAYMENT_METHOD_PAGE, HEARTBEAT_STALE
from merchant_settings.models import ImportRun, ImportStep, ObjectType
from merchant_settings.tasks import imports_resume_stalled
from merchants.models import Merchant
from purchases.models import Purchase
from tests import factories
from tests.reliability.conftest import ROOT, Worker
from tests.stripe_server import StripeServer, history
from transactions.models import Transaction

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]
KEY = "sk_test_TellerReliability01"
N = 200  # two pages of payment methods: the worker is killed with the second in flight


@pytest.fixture
def stripe_server(monkeypatch, settings):
    with StripeServer() as server:
        server.add_key(KEY)
        server.load(history(N, prefix="W"))
        server.state.delay = 0.08  # each list request: the worker is still busy when it is killed
        monkeypatch.setenv("STRIPE_API_BASE", server.url)  # the worker subprocess reads it at start
        settings.STRIPE_API_BASE = server.url
        yield server


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _step(run, object_type) -> ImportStep:
    return ImportStep.objects.get(run=run, object_type=object_type)


def test_an_import_killed_mid_way_resumes_where_it_stopped_with_nothing_duplicated(
    stripe_server, real_celery
):
    merchant = Merchant.objects.create(name="Reliable Imports", slug="reliable-imports")
    owner = factories.MembershipFactory(merchant=merchant, role="OWNER").user
    worker = Worker(connection.settings_dict["NAME"], ROOT / "artifacts" / "reliability-import-worker.log")
    worker.log_path.parent.mkdir(exist_ok=True)
    worker.start()
    try:
        run = services.stripe_connect(merchant=merchant, key=KEY, actor=owner, now=timezone.now())
        _wait(lambda: _step(run, ObjectType.PAYMENT_METHOD).done >= 50, 120, "half of the payment methods")
        worker.kill()
        at_kill = _step(run, ObjectType.PAYMENT_METHOD).done
        run.refresh_from_db()
        assert run.state == ImportRun.State.RUNNING and at_kill < N
        worker.start()

        # The killed task's message comes back only after Redis' visibility timeout; the sweep (beat, every
        # minute) sees the heartbeat stopped and queues the run again.
        assert imports_resume_stalled(now=timezone.now() + HEARTBEAT_STALE * 2) == [run.pk]
        _wait(lambda: ImportRun.objects.get(pk=run.pk).state != ImportRun.State.RUNNING, 240, "the import")
    finally:
        worker.stop()

    run.refresh_from_db()
    assert run.state == ImportRun.State.SUCCEEDED, run.last_error
    assert Customer.objects.filter(merchant=merchant).count() == N
    assert PaymentMethod.objects.filter(merchant=merchant).count() == N
    assert Purchase.objects.filter(merchant=merchant, provider_subscription_id__isnull=False).count() == N
    assert Transaction.objects.filter(merchant=merchant, provider_id__startswith="ch_").count() == N + N // 5
    assert _step(run, ObjectType.PAYMENT_METHOD).done == N  # each customer's cards counted once
    assert _step(run, ObjectType.CHARGE).done == N + N // 5
    card_lists = [p for m, p in stripe_server.state.requests if p.endswith("/payment_methods")]
    # Resumed, not restarted: only the page in flight when the worker died (one page of customers) was
    # read twice.
    assert N <= len(card_lists) <= N + CUSTOMERS_PER_PAYMENT_METHOD_PAGE
