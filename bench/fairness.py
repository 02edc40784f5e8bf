"""Fairness benchmark: does a burst for one merchant delay another merchant's events?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/teller_bench REDIS_URL=redis://127.0.0.1:6379/1 \
      .venv/bin/python bench/fairness.py [--burst 50000] [--samples 10] [--every 2]

1. Baseline: ONE Celery worker process (`-c 1`, the worst case: nothing runs beside the burst) on an empty
   inbox; merchant B's events are stored one at a time (as the webhook view stores them) and the time from
   storing to applied is measured.
2. Burst: --burst events for merchant A are stored at once (a bulk insert of the rows the webhook view
   would store, then one wake, as after a burst of deliveries), and while A's backlog is being applied,
   one event of B is stored every --every seconds; each one's delay is measured the same way.

Prints B's delays (p50 / p95 / max) in both phases, A's apply rate and what was left of A's backlog.
Target: no event of B waits more than 5 s behind A's burst. A merchant's drain gives up the worker after
DRAIN_BUDGET_SECONDS (providers/tasks.py) and queues itself again behind the other merchants' drains.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DEBUG"] = "false"
QUEUE = os.environ.setdefault("TELLER_CELERY_QUEUE", f"teller-fair-{os.getpid()}")

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402

from merchants.models import Merchant  # noqa: E402
from providers.inbox import event_enqueue, event_store, wake_applier  # noqa: E402
from providers.models import ProviderEvent  # noqa: E402
from providers.tasks import DRAIN_BUDGET_SECONDS  # noqa: E402
from tests import stripe_shapes as sp  # noqa: E402


def _signup_events(n: int, tag: str) -> list[dict]:
    events = []
    i = 0
    while len(events) < n:
        customer = f"cus_F{tag}{i}"
        events.append(sp.event("customer.created", sp.customer(id=customer, email=f"f{tag}{i}@example.org")))
        events.append(sp.event("charge.succeeded", sp.charge(id=f"ch_F{tag}{i}", customer=customer)))
        i += 1
    return [{**e, "id": f"evt_F{tag}{k}"} for k, e in enumerate(events[:n])]


def _bulk_store(merchant, events: list[dict]) -> None:
    """The rows event_store writes, inserted in bulk (storing 50,000 deliveries one by one takes minutes)."""
    now = timezone.now()
    rows = [
        ProviderEvent(
            merchant=merchant,
            provider="STRIPE",
            provider_event_id=e["id"],
            type=e["type"],
            object_id=e["data"]["object"]["id"],
            payload=e,
            api_version=e.get("api_version") or "",
            provider_created_at=now,
            received_at=now,
        )
        for e in events
    ]
    ProviderEvent.objects.bulk_create(rows, batch_size=2000)


def _worker() -> subprocess.Popen:
    celery = Path(sys.executable).with_name("celery")
    (ROOT / "artifacts").mkdir(exist_ok=True)
    log = open(ROOT / "artifacts" / "bench-fairness-worker.log", "w")
    return subprocess.Popen(
        [str(celery), "-A", "config", "worker", "-Q", QUEUE, "-c", "1", "-l", "warning", "--without-gossip",
         "--without-mingle", "--without-heartbeat"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def _delay_of_one(merchant, tag: str, timeout: float = 120) -> float:
    """Store one event of `merchant` as the webhook view does; seconds until it is applied."""
    event = _signup_events(1, tag)[0]
    stored_at = time.monotonic()
    row, _ = event_store(merchant=merchant, event=event, now=timezone.now())
    event_enqueue(row)  # autocommit: on_commit runs at once
    while time.monotonic() - stored_at < timeout:
        row.refresh_from_db(fields=["status"])
        if row.status != ProviderEvent.Status.RECEIVED:
            return time.monotonic() - stored_at
        time.sleep(0.02)
    return float("inf")


def _summary(delays: list[float]) -> str:
    ordered = sorted(delays)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"p50 {statistics.median(ordered):6.2f} s  p95 {p95:6.2f} s  max {ordered[-1]:6.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--burst", type=int, default=50_000)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--every", type=float, default=2.0)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL") or "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL; see the top of this file.")
    run = uuid.uuid4().hex[:6]
    a = Merchant.objects.create(
        slug=f"fair-a-{run}", name="Burst", provider="STRIPE", stripe_webhook_secret="x"
    )
    b = Merchant.objects.create(
        slug=f"fair-b-{run}", name="Quiet", provider="STRIPE", stripe_webhook_secret="x"
    )
    print(f"one worker process (-c 1), drain budget {DRAIN_BUDGET_SECONDS} s; burst of {args.burst:,} for A")

    worker = _worker()
    try:
        _delay_of_one(b, f"{run}w")  # worker start-up, not measured
        baseline = [_delay_of_one(b, f"{run}b{i}") for i in range(args.samples)]
        print(f"B, empty inbox:       {_summary(baseline)}")

        started = time.perf_counter()
        _bulk_store(a, _signup_events(args.burst, f"{run}a"))
        print(f"A's burst stored in {time.perf_counter() - started:.1f} s")
        wake_applier(a.pk)
        burst_started = time.monotonic()
        delays = []
        for i in range(args.samples):
            time.sleep(args.every)
            delays.append(_delay_of_one(b, f"{run}x{i}"))
        elapsed = time.monotonic() - burst_started
        applied_a = ProviderEvent.objects.filter(merchant=a).exclude(status="RECEIVED").count()
        print(f"B, behind A's burst:  {_summary(delays)}")
        print(
            f"A: {applied_a:,} of {args.burst:,} applied in {elapsed:.0f} s "
            f"({applied_a / elapsed:.0f} events/s), "
            f"{args.burst - applied_a:,} still queued when the last sample of B was applied"
        )
        worst = max(delays)
        print("target (no event of B waits > 5 s): " + ("met" if worst <= 5 else f"MISSED ({worst:.1f} s)"))
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)


if __name__ == "__main__":
    main()
