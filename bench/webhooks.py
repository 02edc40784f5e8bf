"""Webhook benchmark: ingest (events/s, p50/p95 response time) and apply throughput (events/s per worker).

Runs against PostgreSQL and Redis (both required):

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/teller_bench REDIS_URL=redis://127.0.0.1:6379/1
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/webhooks.py [--events 1000] [--concurrency 16] [--server-workers 3] [--url URL]

1. Ingest: starts gunicorn (config.wsgi, --server-workers processes) unless --url points at a running server,
   then POSTs --events distinct Stripe-signed events (customers and charges) from --concurrency threads.
   No Celery worker runs during this phase, so the figure is the endpoint alone: verify, store, enqueue.
2. Apply: starts ONE `celery -A config worker -c 1` on the benchmark's own queue and measures events/s
   from the first event processed to the last (worker start-up excluded).
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DEBUG"] = "false"
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
QUEUE = os.environ.setdefault("TELLER_CELERY_QUEUE", f"teller-bench-{os.getpid()}")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402

from merchants.models import Merchant  # noqa: E402
from providers.models import ProviderEvent  # noqa: E402
from tests.providers import stripe_payloads as sp  # noqa: E402

SECRET = "whsec_bench"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=5)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def _events(n: int, run: str) -> list[bytes]:
    bodies = []
    for i in range(n):
        if i % 2 == 0:
            obj = sp.customer(id=f"cus_B{run}{i}", email=f"b{i}@example.org")
            evt = sp.event("customer.created", obj, id=f"evt_B{run}{i}")
        else:
            obj = sp.charge(id=f"ch_B{run}{i}", customer=f"cus_B{run}{i - 1}", amount=900)
            evt = sp.event("charge.succeeded", obj, id=f"evt_B{run}{i}")
        bodies.append(json.dumps(evt).encode())
    return bodies


def ingest(url: str, bodies: list[bytes], concurrency: int) -> tuple[float, list[float], set]:
    client = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=concurrency))

    def post(body: bytes) -> tuple[float, int]:
        headers = {"Stripe-Signature": sp.sign(body, SECRET), "Content-Type": "application/json"}
        started = time.perf_counter()
        response = client.post(url, content=body, headers=headers)
        return time.perf_counter() - started, response.status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(post, bodies))
    wall = time.perf_counter() - started
    return wall, [r[0] for r in results], {r[1] for r in results}


def apply_throughput(merchant, n: int, timeout: float = 600) -> float:
    celery = Path(sys.executable).with_name("celery")
    log = open(ROOT / "artifacts" / "bench-webhooks-worker.log", "w")
    worker = subprocess.Popen(
        [str(celery), "-A", "config", "worker", "-Q", QUEUE, "-c", "1", "-l", "warning",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        events = ProviderEvent.objects.filter(merchant=merchant)
        deadline = time.monotonic() + timeout
        while events.filter(status="RECEIVED").exists():
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError("the worker did not finish; see artifacts/bench-webhooks-worker.log")
            time.sleep(0.5)
        times = sorted(events.values_list("processed_at", flat=True))
        failed = events.exclude(status="PROCESSED").count()
        if failed:
            print(f"  warning: {failed} event(s) not PROCESSED")
        span = (times[-1] - times[0]).total_seconds()
        return (n - 1) / span if span else float("inf")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--server-workers", type=int, default=3)
    parser.add_argument("--url", help="Base URL of a running Teller (default: start gunicorn here).")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL") or "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL; see the top of this file.")
    (ROOT / "artifacts").mkdir(exist_ok=True)

    run = uuid.uuid4().hex[:8]
    merchant, _ = Merchant.objects.get_or_create(
        slug=f"bench-{run}", defaults={"name": "Bench", "provider": "STRIPE", "stripe_webhook_secret": SECRET}
    )
    server = None
    base = args.url
    if not base:
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "config.wsgi", "-b", f"127.0.0.1:{port}",
             "-w", str(args.server_workers), "--log-level", "warning"],
            cwd=ROOT, env={**os.environ, "CONN_MAX_AGE": "600"}, start_new_session=True,
        )
    try:
        if server:
            _wait_http(f"{base}/healthz", timeout=240)  # worker boot is slow on a busy 2-core machine
        url = f"{base}/webhooks/stripe/{merchant.slug}/"
        bodies = _events(args.events, run)
        # Warm-up: throwaway deliveries of the first event, deleted before the timed run.
        ingest(url, bodies[:1] * 8, 4)
        ProviderEvent.objects.filter(merchant=merchant).delete()
        wall, latencies, codes = ingest(url, bodies, args.concurrency)
    finally:
        if server:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
    print(f"ingest: {args.events} events, {args.concurrency} concurrent clients, "
          f"{args.server_workers} server workers, HTTP {sorted(codes)}")
    print(f"  {args.events / wall:.0f} events/s   p50 {p50:.1f} ms   p95 {p95:.1f} ms")
    stored = ProviderEvent.objects.filter(merchant=merchant).count()
    print(f"  stored: {stored}")
    rate = apply_throughput(merchant, stored)
    print(f"apply: {rate:.0f} events/s with 1 worker process (customer.created + charge.succeeded, 50/50)")


if __name__ == "__main__":
    main()
