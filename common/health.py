"""GET /healthz: can this process serve? Database, Redis (when configured) and the worker heartbeat's age.

Load balancers and docker-compose's healthcheck read the status code: 200 when every check passes, 503
otherwise. The JSON body says which check failed; it never contains merchant data or secrets.
"""

import time

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import replica
from .tasks import HEARTBEAT_KEY

# Beat stamps every 30 s; three missed beats means no worker is consuming the queue.
HEARTBEAT_MAX_AGE = 120


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def check_redis() -> dict:
    if not settings.REDIS_URL:
        return {"ok": True, "skipped": "REDIS_URL not set (eager Celery)"}

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    client.ping()
    return {"ok": True}


def check_worker() -> dict:
    if not settings.REDIS_URL:
        return {"ok": True, "skipped": "tasks run eagerly in this process"}
    stamped = cache.get(HEARTBEAT_KEY)
    if stamped is None:
        return {"ok": False, "error": "no worker heartbeat yet"}
    age = round(time.time() - float(stamped), 1)
    return {"ok": age <= HEARTBEAT_MAX_AGE, "age_seconds": age}


def check_replica() -> dict:
    """Informational: a replica that is down costs the primary more reads, not the service."""
    if not replica.configured():
        return {"ok": True, "skipped": "DATABASE_REPLICA_URL not set (every read uses the primary)"}
    try:
        status = replica.replica_status()
    except Exception as exc:
        replica.mark_down(exc)
        return {"ok": False, "error": type(exc).__name__, "reads": "primary"}
    lag = replica.lsn_number(replica.primary_lsn()) - (replica.lsn_number(status["replayed_lsn"]) or 0)
    return {
        "ok": bool(status["in_recovery"]),
        "lag_bytes": max(lag, 0),
        "reads": "primary" if replica.is_down() else "replica",
    }


CHECKS = {"database": check_database, "redis": check_redis, "worker": check_worker}
# Reported, but a failing one does not make the process unavailable: reads fall back to the primary.
INFORMATIONAL = {"replica": check_replica}


def run_checks() -> dict:
    results = {}
    for name, check in {**CHECKS, **INFORMATIONAL}.items():
        try:
            results[name] = check()
        except Exception as exc:  # a health check reports failures, it never raises them
            results[name] = {"ok": False, "error": type(exc).__name__}
    return results


@never_cache
@require_GET
def healthz(request):
    checks = run_checks()
    healthy = all(checks[name]["ok"] for name in CHECKS)
    degraded = not all(checks[name]["ok"] for name in INFORMATIONAL)
    status = "unavailable" if not healthy else "degraded" if degraded else "ok"
    return JsonResponse({"status": status, "checks": checks}, status=200 if healthy else 503)


class HealthCheckMiddleware:
    """Answers /healthz before host validation: docker's and the load balancer's probes call it by IP
    (http://127.0.0.1:8000/healthz), which ALLOWED_HOSTS rightly refuses for every other URL."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.rstrip("/") == "/healthz" and request.method == "GET":
            return healthz(request)
        return self.get_response(request)
