"""Webhook benchmark: ingest (events/s, p50/p95 response time) and apply throughput (events/s per worker).

Runs against PostgreSQL and Redis (both required); the database is created and migrated if it is missing:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/teller_bench REDIS_URL=redis://127.0.0.1:6379/1 \
      .venv/bin/python bench/webhooks.py [--events 2000] [--concurrency 6] [--server-workers 3] [--repeat 3]

1. Ingest: starts gunicorn (config.wsgi, --server-workers processes) unless --url points at a running server,
   then POSTs --events distinct, Stripe-signed events (new customers and their first charges) from
   --concurrency client threads. No Celery worker runs during this phase, so the figure is the endpoint
   alone: verify the signature, store the raw event, wake the merchant's applier. The client is plain
   http.client with bodies signed beforehand, so it takes as little of the machine's two cores as it can.
2. Apply: starts ONE `celery -A config worker -c 1` (one worker process) on the benchmark's own queue and
   measures events/s from the first event processed to the last (worker start-up excluded). The worker
   drains the merchant's events in batches (providers.inbox_apply.event_process_batch).

0. The floor, in the same run and the same gunicorn processes (bench/floor_wsgi.py): the same events POSTed
   to an endpoint that only reads the merchant's secret, verifies the signature and inserts the raw body.
   Teller's ingest is printed as a share of it (target: at least 80%). Not with --url (a server without it).

--repeat runs both phases several times (a new merchant each time) and prints each run and the median.
--mix signup (default): new customers and their first charges, 50/50, every identifier new. --mix lifecycle:
customer, payment method, subscription, charge, refund, dispute, subscription update, customer update.
"""

import argparse
import http.client
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
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DEBUG"] = "false"
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
QUEUE = os.environ.setdefault("TELLER_CELERY_QUEUE", f"teller-bench-{os.getpid()}")

import django  # noqa: E402

django.setup()

import floor_wsgi  # noqa: E402  (bench/ is on sys.path: the directory of this script)
import httpx  # noqa: E402
from django.db import connection  # noqa: E402

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


def _payment(run: str, i: int, amount: int) -> dict:
    """A first charge of customer i: its own card fingerprint and billing email (every identifier is new)."""
    charge = sp.charge(id=f"ch_B{run}{i}", customer=f"cus_B{run}{i}", amount=amount)
    charge["billing_details"]["email"] = f"pay{i}@example.org"
    charge["payment_method_details"]["card"]["fingerprint"] = f"fp{run}{i}"
    return charge


def _lifecycle(run: str, i: int) -> list[dict]:
    """Eight event types of one customer's first days, oldest first."""
    cus, sub, ch = f"cus_B{run}{i}", f"sub_B{run}{i}", f"ch_B{run}{i}"
    at = 1_700_000_000 + 10 * i
    pm = sp.card_pm(id=f"pm_B{run}{i}", customer=cus, fingerprint=f"fp{run}{i}")
    return [
        sp.event("customer.created", sp.customer(id=cus, email=f"b{i}@example.org"), created=at),
        sp.event("payment_method.attached", pm, created=at + 1),
        sp.event("customer.subscription.created", sp.subscription(id=sub, customer=cus), created=at + 2),
        sp.event("charge.succeeded", _payment(run, i, 1900), created=at + 3),
        sp.event("refund.created", sp.refund(ch, 500, id=f"re_B{run}{i}"), created=at + 4),
        sp.event("charge.dispute.created", sp.dispute(ch, 1400, id=f"dp_B{run}{i}"), created=at + 5),
        sp.event(
            "customer.subscription.updated",
            sp.subscription(id=sub, customer=cus, cancel_at_period_end=True),
            created=at + 6,
        ),
        sp.event(
            "customer.updated", sp.customer(id=cus, email=f"b{i}@example.org", name="Renamed"), created=at + 7
        ),
    ]


def _events(n: int, run: str, mix: str) -> list[bytes]:
    """n distinct events: "signup" = new customers and their first charges (50/50); "lifecycle" = units of
    customer, payment method, subscription, charge, refund, dispute, subscription update, customer update."""
    events = []
    i = 0
    while len(events) < n:
        if mix == "lifecycle":
            events += _lifecycle(run, i)
        else:
            events += [
                sp.event("customer.created", sp.customer(id=f"cus_B{run}{i}", email=f"b{i}@example.org")),
                sp.event("charge.succeeded", _payment(run, i, 900)),
            ]
        i += 1
    return [json.dumps({**e, "id": f"evt_B{run}{k}"}).encode() for k, e in enumerate(events[:n])]


def ingest(url: str, bodies: list[bytes], concurrency: int) -> tuple[float, list[float], set]:
    parsed = urlsplit(url)
    signed = [(body, sp.sign(body, SECRET)) for body in bodies]  # signed up front: the client stays light

    def post(item: tuple[bytes, str]) -> tuple[float, int]:
        body, signature = item
        headers = {"Stripe-Signature": signature, "Content-Type": "application/json"}
        started = time.perf_counter()
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
        try:
            conn.request("POST", parsed.path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
        finally:
            conn.close()
        return time.perf_counter() - started, response.status

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(post, signed))
    wall = time.perf_counter() - started
    return wall, [r[0] for r in results], {r[1] for r in results}


def apply_throughput(merchant, timeout: float = 600, after_id: int = 0) -> float:
    """Events/s of one worker process, from the start of its first batch to the start of its last.

    Every event of a batch carries the batch's start time as processed_at, so the events processed before
    the last batch began, divided by the time until it began, is the exact rate (worker start-up excluded).
    """
    celery = Path(sys.executable).with_name("celery")
    log = open(ROOT / "artifacts" / "bench-webhooks-worker.log", "w")
    worker = subprocess.Popen(
        [
            str(celery),
            "-A",
            "config",
            "worker",
            "-Q",
            QUEUE,
            "-c",
            "1",
            "-l",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        events = ProviderEvent.objects.filter(merchant=merchant, pk__gt=after_id)  # this run's events
        deadline = time.monotonic() + timeout
        while events.filter(status="RECEIVED").exists():
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError("the worker did not finish; see artifacts/bench-webhooks-worker.log")
            time.sleep(0.5)
        failed = events.exclude(status="PROCESSED").count()
        if failed:
            print(f"  warning: {failed} event(s) not PROCESSED")
        times = sorted(events.values_list("processed_at", flat=True))
        before_last = sum(1 for t in times if t < times[-1])
        span = (times[-1] - times[0]).total_seconds()
        return before_last / span if span else float("inf")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)


def _ensure_database() -> None:
    """Create the benchmark database if it does not exist, and migrate it."""
    import psycopg
    from django.core.management import call_command
    from django.db import connection

    db = connection.settings_dict
    params = {"host": db["HOST"], "port": db["PORT"] or 5432, "user": db["USER"], "password": db["PASSWORD"]}
    params = {k: v for k, v in params.items() if v}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            admin.execute(f'CREATE DATABASE "{db["NAME"]}"')
    call_command("migrate", verbosity=0)


def _figures(wall: float, latencies: list[float], codes: set) -> dict:
    latencies = sorted(latencies)
    return {
        "ingest": len(latencies) / wall,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "codes": sorted(codes),
    }


ARCHIVE_SLUG = "bench-archive"
FILL_BATCH = 250_000


def fill_inbox(size: int) -> int:
    """Top the inbox up to `size` stored events (already PROCESSED, as a large merchant's history is) of the
    archive merchant (which then receives the runs' events), each with a ~1 KB charge payload, inserted by
    PostgreSQL itself in batches. Returns how many events the table holds in all."""
    archive, _ = Merchant.objects.get_or_create(
        slug=ARCHIVE_SLUG,
        defaults={"name": "Bench archive", "provider": "STRIPE", "stripe_webhook_secret": SECRET},
    )
    have = ProviderEvent.objects.filter(merchant=archive).count()
    started = time.perf_counter()
    while have < size:
        n = min(FILL_BATCH, size - have)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO providers_providerevent (provider, provider_event_id, type, object_id, payload,
                    livemode, provider_created_at, received_at, processed_at, status, attempts, error,
                    merchant_id, api_version, waiting_for_id, waiting_for_type)
                SELECT 'STRIPE', 'evt_archive_' || g, 'charge.succeeded', 'ch_archive_' || g,
                    jsonb_build_object('id', 'evt_archive_' || g, 'object', 'event',
                        'type', 'charge.succeeded', 'data', jsonb_build_object('object',
                        jsonb_build_object('id', 'ch_archive_' || g, 'object', 'charge',
                        'amount', 4900, 'currency', 'eur', 'status', 'succeeded',
                        'description', repeat('x', 700)))),
                    false, now() - (g || ' seconds')::interval, now() - (g || ' seconds')::interval,
                    now() - (g || ' seconds')::interval, 'PROCESSED', 1, '', %s, '2026-09-30.clover', '', ''
                FROM generate_series(%s, %s) AS g
                """,
                [archive.pk, have + 1, have + n],
            )
        have += n
        print(f"  inbox filled to {have:,} events ({time.perf_counter() - started:.0f} s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE providers_providerevent")
    return ProviderEvent.objects.count()


def one_run(base: str, args, *, with_floor: bool) -> dict:
    run = uuid.uuid4().hex[:8]
    if args.inbox_size:  # the merchant whose history fills the inbox receives the run's events too
        merchant = Merchant.objects.get(slug=ARCHIVE_SLUG)
    else:
        merchant = Merchant.objects.create(
            slug=f"bench-{run}", name="Bench", provider="STRIPE", stripe_webhook_secret=SECRET
        )
    bodies = _events(args.events, run, args.mix)
    result = {}
    if with_floor:
        floor_url = f"{base}/bench-floor/{merchant.slug}/"
        ingest(floor_url, bodies[:1] * 8, 4)  # warm-up, as for Teller's endpoint below
        floor = _figures(*ingest(floor_url, bodies, args.concurrency))
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE bench_floor_event")
        result.update({f"floor_{k}": v for k, v in floor.items()})
    url = f"{base}/webhooks/stripe/{merchant.slug}/"
    before = ProviderEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ingest(url, bodies[:1] * 8, 4)  # warm-up: throwaway deliveries of the first event, deleted below
    ProviderEvent.objects.filter(merchant=merchant, pk__gt=before).delete()
    teller = _figures(*ingest(url, bodies, args.concurrency))
    stored = ProviderEvent.objects.filter(merchant=merchant, pk__gt=before).count()
    result.update(teller)
    result.update({"stored": stored, "apply": apply_throughput(merchant, after_id=before)})
    floor_text = ""
    if with_floor:
        result["share"] = result["ingest"] / result["floor_ingest"] * 100
        floor_text = (
            f"  floor {result['floor_ingest']:.0f} events/s  p95 {result['floor_p95']:.1f} ms  "
            f"(Teller = {result['share']:.0f}% of the floor)"
        )
    print(
        f"  ingest {result['ingest']:.0f} events/s  p50 {result['p50']:.1f} ms  "
        f"p95 {result['p95']:.1f} ms  HTTP {result['codes']}  stored {stored}{floor_text}   |   "
        f"apply {result['apply']:.0f} events/s"
    )
    return result


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--server-workers", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--mix",
        choices=["signup", "lifecycle"],
        default="signup",
        help="signup: new customers + first charges; lifecycle: 8 event types per customer",
    )
    parser.add_argument("--url", help="Base URL of a running Teller (default: start gunicorn here).")
    parser.add_argument(
        "--inbox-size",
        type=int,
        default=0,
        help="first fill the inbox with this many stored (processed) events of one merchant, which then "
        "receives the runs' events",
    )
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL") or "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL; see the top of this file.")
    (ROOT / "artifacts").mkdir(exist_ok=True)
    _ensure_database()
    if args.inbox_size:
        print(f"inbox: {fill_inbox(args.inbox_size):,} stored events before the runs")

    server = None
    base = args.url
    if not base:
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "--pythonpath",
                str(ROOT / "bench"),
                "floor_wsgi:application",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(args.server_workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            start_new_session=True,
        )
    print(
        f"{args.events} events per run ({args.mix} mix), "
        f"{args.concurrency} concurrent clients, {args.server_workers} gunicorn workers, 1 worker process"
    )
    try:
        if server:
            _wait_http(f"{base}/healthz", timeout=240)  # worker boot is slow on a busy 2-core machine
        if server:
            floor_wsgi.ensure_table()
        results = [one_run(base, args, with_floor=server is not None) for _ in range(args.repeat)]
    finally:
        if server:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
    if len(results) > 1:
        keys = [
            k
            for k in ("ingest", "p50", "p95", "apply", "floor_ingest", "floor_p95", "share")
            if k in results[0]
        ]
        med = {k: statistics.median(r[k] for r in results) for k in keys}
        floor_text = (
            f"  floor {med['floor_ingest']:.0f} events/s p95 {med['floor_p95']:.1f} ms "
            f"(Teller {med['share']:.0f}%)"
            if "share" in med
            else ""
        )
        print(
            f"median of {len(results)}: ingest {med['ingest']:.0f} events/s  p50 {med['p50']:.1f} ms  "
            f"p95 {med['p95']:.1f} ms{floor_text}   |   apply {med['apply']:.0f} events/s per worker process"
        )
    print(
        "targets: ingest >= 300 events/s with p95 < 50 ms and >= 80% of the floor; "
        "apply >= 150 events/s per worker process"
    )


if __name__ == "__main__":
    main()
