"""Customer page benchmark: server-side p50 / p95 of every tab and partial of /customers/<id>/ for a customer
with 10,000 transactions and 300 purchases, on PostgreSQL. Target: p95 < 150 ms everywhere.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/teller_bench .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python bench/customer_page.py [--runs 30] [--transactions N] [--purchases N]

The large customer is built once with bulk_create (tests/customers/page_data.py) and reused by later runs.
Timings go through Django's test client (middleware, view, queries, templates; no network), so they are
server time. Each URL is warmed up twice, then timed --runs times.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DEBUG"] = "false"  # no query log kept in memory while timing
os.environ.setdefault("CONN_MAX_AGE", "600")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from customers.models import Customer  # noqa: E402
from merchants.models import Membership, Merchant, Role, User  # noqa: E402

TARGET_MS = 150
MERCHANT_SLUG = "bench-customer-page"


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def large_customer(purchases: int, transactions: int):
    """Reuse the bench customer of this size, or build it (a few seconds with bulk_create)."""
    from tests.customers.page_data import build_customer

    merchant, _ = Merchant.objects.get_or_create(slug=MERCHANT_SLUG, defaults={"name": "Bench customer page"})
    user, created = User.objects.get_or_create(email="bench-customer-page@example.com")
    if created:
        user.set_unusable_password()
        user.save()
    Membership.objects.get_or_create(user=user, merchant=merchant, defaults={"role": Role.OWNER})
    tag = f"bench{purchases}x{transactions}"
    customer = Customer.objects.filter(merchant=merchant, name=f"Page Customer {tag}").first()
    if customer is None:
        started = time.perf_counter()
        customer = build_customer(
            merchant, purchases=purchases, transactions=transactions, actor=user, tag=tag
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"built customer {customer.public_id} in {time.perf_counter() - started:.1f} s")
    return user, customer


def cases(customer):
    pid = customer.public_id
    detail = reverse("customers:detail", args=[pid])
    purchase = customer.purchases.filter(transactions__isnull=False).order_by("-started_at").first()
    identifier = customer.identifier_links.order_by("id").first().identifier_id
    txn = customer.transactions.order_by("-occurred_at").first()
    htmx = {"HX-Request": "true"}
    yield "full page", detail, {}
    for tab in ("details", "stats", "info", "activity"):
        yield f"tab {tab}", f"{detail}?tab={tab}", htmx
    yield "activity kind=payments", f"{detail}?tab=activity&kind=payments", htmx
    yield "header", reverse("customers:detail-header", args=[pid]), htmx
    yield "products", reverse("customers:detail-products", args=[pid]), htmx
    yield "products page 5", reverse("customers:detail-products", args=[pid]) + "?page=5", htmx
    yield "payment methods", reverse("customers:detail-payment-methods", args=[pid]), htmx
    url = reverse("customers:purchase-transactions", args=[pid, purchase.pk])
    yield "product transactions", url, htmx
    yield "identifier log", reverse("customers:identifier-log", args=[pid, identifier]), htmx
    yield "transaction detail", reverse("transactions:detail", args=[txn.pk]), {}


def measure(client, url, headers, runs):
    for _ in range(2):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
    queries, sql_ms = [], []

    def timed(execute, sql, params, many, context):
        # execute_wrapper counts even when the request handler reconnects (CaptureQueriesContext would not).
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append(sql)
            sql_ms.append((time.perf_counter() - started) * 1000)

    with connection.execute_wrapper(timed):
        client.get(url, headers=headers)
    timings, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return percentile(timings, 50), percentile(timings, 95), percentile(cpu, 50), sum(sql_ms), len(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--purchases", type=int, default=300)
    parser.add_argument("--transactions", type=int, default=10_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print(
            "warning: not PostgreSQL (set DATABASE_URL); figures are not the ones that count", file=sys.stderr
        )
    user, customer = large_customer(args.purchases, args.transactions)
    client = Client()
    client.force_login(user)
    print(
        f"customer {customer.public_id}: {customer.transactions.count()} transactions, "
        f"{customer.purchases.count()} purchases; {args.runs} runs per URL on {connection.vendor}"
    )
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall times grow with it; "
        f"'py cpu' is this process's own CPU per request)"
    )
    print(
        f"{'case':<24} {'p50 ms':>8} {'p95 ms':>8} {'py cpu':>8} {'sql ms':>8} {'queries':>8}"
        f"  target p95 < {TARGET_MS} ms"
    )
    worst = 0.0
    for name, url, headers in cases(customer):
        p50, p95, cpu, sql, queries = measure(client, url, headers, args.runs)
        worst = max(worst, p95)
        flag = "ok" if p95 < TARGET_MS else "SLOW"
        print(f"{name:<24} {p50:>8.1f} {p95:>8.1f} {cpu:>8.1f} {sql:>8.1f} {queries:>8}  {flag}")
    print(f"worst p95: {worst:.1f} ms")
    return 0 if worst < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
