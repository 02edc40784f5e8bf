"""Load benchmark: staff browsing and crediting while Stripe webhooks pour in, at the same time (Locust).

On the scale database (`manage.py seed_bulk`, merchant "bulk", owner@bulk.teller.local), PostgreSQL + Redis:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/teller_scale REDIS_URL=redis://127.0.0.1:6379/1 \
      .venv/bin/python bench/load.py [--duration 60] [--users 20] [--rate 300] [--url URL]

It starts gunicorn (config.wsgi; not with --url, a running server) and ONE Celery worker process
(`celery -A config worker -c 1` on the benchmark's own queue, as bench/webhooks.py does), then Locust
headless as a subprocess (bench/locustfile.py): --users staff who sign in and loop over searches, the
customer page and its HTMX tabs / partials, a product's transactions, the credit modal and a partial credit
of one unit, the filtered transactions list; and webhook senders POSTing signed Stripe events (new
customers and their first charges of the bulk merchant) at --rate events/s, for --duration seconds.
Meanwhile the inbox depth (the merchant's RECEIVED events; WAITING beside it) is sampled every second, and
after the end the time until it is drained.

For the run the bulk merchant gets the benchmark's webhook secret and the sandbox provider (so credits move
through the embedded provider; its own events go to the same inbox); both are put back at the end. The
webhook events add customers and charges to the merchant on every run.

Prints per request kind p50 / p95 / p99 ms, requests, errors; webhook ingest rate and p95; the depth
series and the drain time; the targets beside (page p95 < 150 ms, webhook p95 < 50 ms, zero errors, inbox
drained within 10 s of the end). Sign-in is shown but has no target (the password hash is slow on purpose).
"""

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import webhooks as wh  # noqa: E402  (sets up Django, the benchmark queue and the helpers reused here)

from customers.models import Customer  # noqa: E402
from merchants.models import Merchant  # noqa: E402
from providers.models import ProviderEvent  # noqa: E402

ROOT = wh.ROOT
EMAIL_TEMPLATE, PASSWORD = "owner@{slug}.teller.local", "bulk-password-2026"
PAGE_TARGET_MS, WEBHOOK_TARGET_MS, DRAIN_TARGET_S = 150, 50, 10
NO_TARGET = {"login form", "login POST"}


def _start(cmd: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        cmd, cwd=ROOT, stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(process: subprocess.Popen | None) -> None:
    if process and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _sample_customers(merchant, n: int = 500) -> list[dict]:
    """Customers spread over the id range (no ORDER BY random() on a million rows)."""
    ids = Customer.objects.filter(merchant=merchant).order_by("id").values_list("id", flat=True)
    low, high = ids.first(), ids.last()
    if low is None:
        sys.exit(f"merchant {merchant.slug} has no customers: run manage.py seed_bulk first")
    step = max(1, (high - low) // n)
    found = Customer.objects.filter(merchant=merchant, id__in=range(low, high + 1, step))
    return [
        {"public_id": c.public_id, "email": c.email, "name": c.name}
        for c in found.only(*"public_id email name".split())
    ]


class DepthSampler(threading.Thread):
    """Every second: the merchant's events not applied yet (RECEIVED) and parked (WAITING)."""

    def __init__(self, merchant):
        super().__init__(daemon=True)
        self.merchant, self.series, self.stop = merchant, [], threading.Event()

    def depth(self) -> tuple[int, int]:
        events = ProviderEvent.objects.filter(merchant=self.merchant)
        return events.filter(status="RECEIVED").count(), events.filter(status="WAITING").count()

    def run(self):
        started = time.monotonic()
        while not self.stop.wait(1.0):
            self.series.append((time.monotonic() - started, *self.depth()))
        from django.db import connection

        connection.close()


def _row(name, p50, p95, p99, n, errors, target):
    return f"{name:26} {p50:>8} {p95:>8} {p99:>8} {n:>9} {errors:>7}  {target}"


def report(csv_prefix: Path, duration: float, sampler: DepthSampler, drain_s: float | None) -> None:
    with open(f"{csv_prefix}_stats.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["Name"] != "Aggregated"]
    print()
    print(_row("request kind", "p50 ms", "p95 ms", "p99 ms", "requests", "errors", "target"))
    print("-" * 86)
    misses = []
    for r in sorted(rows, key=lambda r: (r["Name"] == "webhook", r["Name"])):
        name, n, errors = r["Name"], int(r["Request Count"]), int(r["Failure Count"])
        p50, p95, p99 = (r[k] for k in ("50%", "95%", "99%"))
        if name in NO_TARGET:
            target = "(no target: password hash)"
        else:
            limit = WEBHOOK_TARGET_MS if name == "webhook" else PAGE_TARGET_MS
            ok = p95 != "N/A" and float(p95) < limit
            target = f"p95 < {limit} ms {'ok' if ok else 'MISS'}"
            if not ok:
                misses.append(f"{name}: p95 {p95} ms")
        if errors:
            misses.append(f"{name}: {errors} errors")
        print(_row(name, p50, p95, p99, n, errors, target))
        if name == "webhook":
            rate = n / duration
            print(f"  webhook ingest achieved {rate:.0f} events/s over {duration:.0f} s (p95 {p95} ms)")
    try:
        with open(f"{csv_prefix}_failures.csv") as f:
            for failure in list(csv.DictReader(f))[:10]:
                print(f"  failure: {failure['Name']}: {failure['Error'][:120]} (×{failure['Occurrences']})")
    except FileNotFoundError:
        pass
    series = sampler.series
    step = max(1, len(series) // 20)
    shown = "  ".join(
        f"{t:.0f}s:{received}" + (f"+{waiting}w" if waiting else "")
        for t, received, waiting in series[::step]
    )
    print(f"\ninbox depth (RECEIVED[+WAITING]) every {step} s: {shown}")
    if drain_s is None:
        misses.append("inbox not drained")
        print("inbox NOT drained within the wait")
    else:
        ok = drain_s <= DRAIN_TARGET_S
        print(
            f"inbox drained {drain_s:.1f} s after the end "
            f"(target <= {DRAIN_TARGET_S} s {'ok' if ok else 'MISS'})"
        )
        if not ok:
            misses.append(f"drain {drain_s:.1f} s")
    print(
        f"targets: page p95 < {PAGE_TARGET_MS} ms, webhook p95 < {WEBHOOK_TARGET_MS} ms, zero errors, "
        f"inbox drained within {DRAIN_TARGET_S} s of the end"
    )
    print("all targets met" if not misses else "targets missed:\n  " + "\n  ".join(misses))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=60, help="seconds of load (default 60)")
    parser.add_argument("--users", type=int, default=20, help="simulated staff (default 20)")
    parser.add_argument("--rate", type=float, default=300, help="webhook events/s (default 300)")
    parser.add_argument(
        "--webhook-users",
        type=int,
        default=0,
        help="webhook senders (default rate / 10). Each sends one event every senders / rate s, so the "
        "rate holds only while a response takes less; the achieved rate is printed",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.5,
        help="seconds a staff member waits between two requests (default 0.5, far busier than a person)",
    )
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second")
    parser.add_argument("--server-workers", type=int, default=3)
    parser.add_argument("--merchant", default="bulk")
    parser.add_argument("--drain-timeout", type=float, default=300)
    parser.add_argument("--url", help="Base URL of a running Teller (default: start gunicorn here).")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL") or "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit(
            "Set DATABASE_URL (PostgreSQL, the seed_bulk database) and REDIS_URL; see the top of this file."
        )
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    wh._ensure_database()
    merchant = Merchant.objects.filter(slug=args.merchant).first()
    if merchant is None:
        sys.exit(f"no merchant {args.merchant!r}: run manage.py seed_bulk first")
    customers = _sample_customers(merchant)
    webhook_users = args.webhook_users or max(1, round(args.rate / 10))
    run = uuid.uuid4().hex[:8]
    bodies = wh._events(int(args.rate * args.duration * 1.05) + 10, run, "signup")
    bodies_file = artifacts / "bench-load-events.jsonl"
    bodies_file.write_bytes(b"\n".join(bodies) + b"\n")
    data_file = artifacts / "bench-load-data.json"
    data_file.write_text(
        json.dumps(
            {
                "email": EMAIL_TEMPLATE.format(slug=merchant.slug),
                "password": PASSWORD,
                "customers": customers,
                "bodies_file": str(bodies_file),
                "secret": wh.SECRET,
                "webhook_path": f"/webhooks/stripe/{merchant.slug}/",
                "rate": args.rate,
                "webhook_users": webhook_users,
                "think_seconds": args.think,
            }
        )
    )
    saved = (merchant.provider, merchant.stripe_webhook_secret)
    Merchant.objects.filter(pk=merchant.pk).update(provider="SANDBOX")
    merchant.stripe_webhook_secret = wh.SECRET
    merchant.save(update_fields=["stripe_webhook_secret"])

    server = worker = None
    sampler = DepthSampler(merchant)
    try:
        base = args.url
        if not base:
            port = wh._free_port()
            base = f"http://127.0.0.1:{port}"
            server = _start(
                [
                    str(Path(sys.executable).with_name("gunicorn")),
                    "config.wsgi",
                    "-b",
                    f"127.0.0.1:{port}",
                    "-w",
                    str(args.server_workers),
                    "--log-level",
                    "warning",
                ],
                artifacts / "bench-load-gunicorn.log",
            )
            wh._wait_http(f"{base}/healthz", timeout=240)
        worker = _start(
            [
                str(Path(sys.executable).with_name("celery")),
                "-A",
                "config",
                "worker",
                "-Q",
                wh.QUEUE,
                "-c",
                "1",
                "-l",
                "warning",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            artifacts / "bench-load-worker.log",
        )
        print(
            f"{args.users} staff (a request every {args.think:g} s each) + {webhook_users} webhook senders "
            f"at {args.rate:.0f} events/s for {args.duration} s "
            f"against {base} (merchant {merchant.slug}, {len(customers)} sampled customers, 1 worker process)"
        )
        csv_prefix = artifacts / "bench-load"
        total = args.users + webhook_users
        sampler.start()
        locust = subprocess.run(
            [
                str(Path(sys.executable).with_name("locust")),
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "-H",
                base,
                "-u",
                str(total),
                "-r",
                str(max(args.spawn_rate, webhook_users)),
                "-t",
                f"{args.duration}s",
                "--csv",
                str(csv_prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--stop-timeout",
                "10",
            ],
            cwd=ROOT,
            env={**os.environ, "TELLER_LOAD_DATA": str(data_file)},
        )
        ended = time.monotonic()
        drain_s = None
        deadline = ended + args.drain_timeout
        while time.monotonic() < deadline:
            if sampler.depth()[0] == 0:
                drain_s = time.monotonic() - ended
                break
            time.sleep(0.5)
        sampler.stop.set()
        if locust.returncode not in (0, 1):  # 1: some requests failed, reported below
            print(f"locust exited with {locust.returncode}")
        report(csv_prefix, args.duration, sampler, drain_s)  # Locust counts -t from its start
    finally:
        sampler.stop.set()
        _stop(worker)
        _stop(server)
        merchant.provider, merchant.stripe_webhook_secret = saved
        merchant.save(update_fields=["provider", "stripe_webhook_secret"])


if __name__ == "__main__":
    main()
