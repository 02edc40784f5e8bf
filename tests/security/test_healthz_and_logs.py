import json
import logging
import time

import pytest
import structlog
from django.core.cache import cache
from django.urls import reverse

from common import health
from common.logging import json_formatter
from common.tasks import HEARTBEAT_KEY, heartbeat

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_with_json_when_everything_is_up(client):
    cache.set(HEARTBEAT_KEY, time.time())  # a worker beat just now (matters when REDIS_URL is set, as in CI)

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    checks = response.json()["checks"]
    assert set(checks) == {"database", "redis", "worker", "replica"}
    assert checks["replica"] == {
        "ok": True,
        "skipped": "DATABASE_REPLICA_URL not set (every read uses the primary)",
    }


def test_healthz_answers_503_when_the_database_check_fails(client, monkeypatch):
    def broken():
        raise RuntimeError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", broken)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "error": "RuntimeError"}


def test_healthz_reports_a_stale_worker_heartbeat_when_redis_is_configured(client, settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:6379/7"
    monkeypatch.setitem(health.CHECKS, "redis", lambda: {"ok": True})
    cache.set(HEARTBEAT_KEY, time.time() - 600)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False


def test_the_heartbeat_task_makes_the_worker_check_healthy(settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/7"

    heartbeat()

    assert health.check_worker()["ok"] is True


def test_healthz_needs_no_sign_in_and_shows_no_merchant_data(client, merchant):
    response = client.get(reverse("healthz"))

    assert merchant.name not in response.text


def test_log_lines_are_json_with_the_request_id_merchant_and_actor(owner_client, owner, merchant):
    captured = []

    class Grab(logging.Handler):
        def emit(self, record):
            captured.append(record)

    handler = Grab()
    logging.getLogger("teller.test").addHandler(handler)
    structlog.contextvars.clear_contextvars()
    try:
        from merchants.middleware import CurrentMerchantMiddleware

        def view(request):
            structlog.get_logger("teller.test").warning("something.happened", password="hunter2")
            return None

        request = owner_client.get(reverse("login")).wsgi_request
        request.user = owner
        structlog.contextvars.bind_contextvars(request_id="req-123")
        CurrentMerchantMiddleware(view)(request)
    finally:
        logging.getLogger("teller.test").removeHandler(handler)

    line = json.loads(json_formatter().format(captured[-1]))
    assert line["event"] == "something.happened"
    assert line["request_id"] == "req-123"
    assert line["merchant"] == merchant.slug
    assert line["actor"] == owner.pk
    assert line["password"] == "[redacted]"


def test_every_response_carries_a_request_id(client):
    response = client.get(reverse("login"), headers={"X-Request-ID": "abc"})

    assert response["X-Request-ID"] == "abc"


def test_worker_log_lines_carry_the_task_name_and_id():
    from common.tasks import _bind_task_log_context

    class FakeTask:
        name = "common.tasks.heartbeat"

        class request:
            is_eager = False

    structlog.contextvars.bind_contextvars(request_id="left-over")

    _bind_task_log_context(task_id="t-1", task=FakeTask)

    assert structlog.contextvars.get_contextvars() == {"task": "common.tasks.heartbeat", "task_id": "t-1"}


def test_an_eager_task_keeps_the_requests_log_context():
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id="req-9")

    heartbeat.delay()

    assert structlog.contextvars.get_contextvars()["request_id"] == "req-9"


def test_healthz_answers_probes_by_ip_even_when_allowed_hosts_is_strict(client, settings):
    settings.ALLOWED_HOSTS = ["teller.example.com"]
    settings.SECURE_SSL_REDIRECT = True

    probe = client.get("/healthz", headers={"Host": "172.18.0.5:8000"})
    page = client.get(reverse("login"), headers={"Host": "172.18.0.5:8000"})

    assert probe.status_code == 200
    assert page.status_code == 400
