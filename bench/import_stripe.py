"""History import benchmark: objects per second, in total and per object type.

Serves an account history of >= 100,000 objects (tests/stripe_server.py: customers, cards, products, prices,
subscriptions, invoices, invoice payments, charges, refunds, disputes, current API shapes) from a
Stripe-compatible server on loopback, connects a new merchant to it the way Settings does (key check,
webhook endpoint) and runs the import in this process (merchant_settings.importer.Importer, what the Celery
task runs), through the Stripe SDK and providers.apply, one transaction per page of 100.

The baseline, measured in the same run against the same server: the same requests with nothing applied
(every list paged through the SDK, 100 per page; each customer's payment methods with the importer's
pool of fetchers), so the reader sees what listing alone costs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/teller_bench_import \
      .venv/bin/python bench/import_stripe.py [--customers 15500]

The database (PostgreSQL, or SQLite without DATABASE_URL) is created and migrated if it is missing.
"""

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DEBUG"] = "false"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import logging  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from functools import partial  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from merchant_settings import services, stripe_api, tasks  # noqa: E402
from merchant_settings.importer import (  # noqa: E402
    EXTRA_PARAMS,
    LIST_SERVICE,
    PAGE_SIZE,
    PAYMENT_METHOD_FETCHERS,
    Importer,
)
from merchant_settings.models import ImportRun, ObjectType  # noqa: E402
from merchants.models import Merchant  # noqa: E402
from tests.stripe_server import StripeServer, history  # noqa: E402

KEY = "sk_test_TellerBenchmark0001"


def _ensure_database() -> None:
    if connection.vendor == "postgresql":
        import psycopg

        db = connection.settings_dict
        params = {
            "host": db["HOST"],
            "port": db["PORT"] or 5432,
            "user": db["USER"],
            "password": db["PASSWORD"],
        }
        with psycopg.connect(
            dbname="postgres", autocommit=True, **{k: v for k, v in params.items() if v}
        ) as pg:
            if not pg.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
                pg.execute(f'CREATE DATABASE "{db["NAME"]}"')
    call_command("migrate", verbosity=0)


def _page_through(fn, *args, **extra) -> list[dict]:
    out, params = [], {"limit": PAGE_SIZE, **extra}
    while True:
        page = fn(*args, params)
        out += page.data
        if not page.has_more or not page.data:
            return out
        params = {**params, "starting_after": page.data[-1].id}


def baseline() -> dict:
    """Seconds and objects per type of only listing what the import lists (no database, no apply)."""
    client = stripe_api.client_for(KEY)
    figures = {}
    for object_type in ObjectType:
        started = time.perf_counter()
        if object_type == ObjectType.PAYMENT_METHOD:
            customers = _page_through(client.v1.customers.list)
            with ThreadPoolExecutor(max_workers=PAYMENT_METHOD_FETCHERS) as pool:
                lists = list(pool.map(partial(_page_through, client.v1.customers.payment_methods.list),
                                      [c.id for c in customers]))  # fmt: skip
            count = sum(len(cards) for cards in lists)
        else:
            service = getattr(client.v1, LIST_SERVICE[object_type])
            count = len(_page_through(service.list, **EXTRA_PARAMS.get(object_type, {})))
        figures[object_type] = (count, time.perf_counter() - started)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=15_500, help="about 6.5 objects each")
    args = parser.parse_args()
    logging.getLogger("stripe").setLevel(logging.WARNING)
    _ensure_database()
    run_tag = uuid.uuid4().hex[:6].upper()
    objects = history(args.customers, prefix=f"B{run_tag}")
    print(f"serving {len(objects):,} objects ({args.customers:,} customers) on loopback; {connection.vendor}")
    with StripeServer(account_name="Bench Shop") as server:
        server.add_key(KEY)
        server.load(objects)
        settings.STRIPE_API_BASE = server.url
        merchant = Merchant.objects.create(
            name=f"Import bench {run_tag}", slug=f"import-bench-{run_tag.lower()}"
        )
        tasks.import_run.delay = lambda run_id: None  # the benchmark runs the import itself, timed
        listed = baseline()
        base_count, base_seconds = sum(c for c, _ in listed.values()), sum(t for _, t in listed.values())
        print(  # printed at once: a long import may be stopped before its own figures
            f"baseline (listing only, no apply): {base_count:,} objects in {base_seconds:.1f} s"
            f" = {base_count / base_seconds:,.0f} objects/s",
            flush=True,
        )
        services.stripe_connect(merchant=merchant, key=KEY, actor=None, now=timezone.now())
        run = ImportRun.objects.get(merchant=merchant)
        started = time.perf_counter()
        Importer(run).execute()
        elapsed = time.perf_counter() - started
    run.refresh_from_db()
    steps = list(run.steps.all())
    # The payment-method step counts customers read; its objects are the cards applied.
    total = sum(
        s.applied + s.skipped + s.failed if s.object_type == "PAYMENT_METHOD" else s.done for s in steps
    )
    print(f"state {run.state}; {total:,} objects in {elapsed:.1f} s = {total / elapsed:,.0f} objects/s")
    print(
        f"baseline (listing only, no apply): {base_count:,} objects in {base_seconds:.1f} s"
        f" = {base_count / base_seconds:,.0f} objects/s"
    )
    print(f"  {'type':<17} {'read':>8} {'applied':>8} {'skipped':>7} {'failed':>6} {'import':>9}"
          f" {'rate':>8}   {'listing only':>12} {'rate':>8}")  # fmt: skip
    for s in steps:
        seconds = max(((s.finished_at or s.updated_at) - s.started_at).total_seconds(), 0.001)
        count = s.applied + s.skipped + s.failed if s.object_type == "PAYMENT_METHOD" else s.done
        listed_count, listed_seconds = listed[s.object_type]
        print(
            f"  {s.get_object_type_display():<17} {count:>8,} {s.applied:>8,} {s.skipped:>7,} {s.failed:>6}"
            f" {seconds:7.1f} s {count / seconds:6,.0f}/s   {listed_seconds:10.1f} s"
            f" {listed_count / max(listed_seconds, 0.001):6,.0f}/s"
        )


if __name__ == "__main__":
    main()
