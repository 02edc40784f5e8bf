"""Scale benchmark: server-side p50 / p95 of Teller's pages on a bulk-loaded PostgreSQL, next to Django's own
admin changelist doing the same customer searches (the baseline a superuser would otherwise use).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/teller_scale .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python manage.py seed_bulk --customers 1000000 --transactions-per-customer 10
    DATABASE_URL=... .venv/bin/python bench/scale.py [--merchant bulk] [--runs 20] [--only "search name" ...]

Timings go through Django's test client (the full middleware, view, queries and template stack, no network),
so they are server time. Each case is warmed up twice, then timed --runs times; the table prints p50, p95,
the p95 of the time spent inside the database driver (SQL: the query and receiving its rows; the rest
of p95 is templates and Python), the p50 of the process's own CPU time, SQL queries per request, the
target, and for searches the ratio to the admin changelist.
"""

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DEBUG"] = "false"  # no query log kept in memory while timing
os.environ.setdefault("CONN_MAX_AGE", "600")  # persistent connections, as in production
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from customers.models import Customer, CustomerIdentifier, Identifier  # noqa: E402
from merchants.models import Membership, Merchant, User  # noqa: E402
from purchases.models import Product, Purchase  # noqa: E402
from transactions.models import Transaction  # noqa: E402


def share_whale_card(whale, customers, n=5000) -> int:
    """The worst case of the Linked customers panel: the whale's card used by `n` other customers (a card
    shared that widely is a fraud ring or a test card). Idempotent; returns how many share it."""
    card = whale.identifiers.filter(kind=Identifier.Kind.CARD).first()
    if card is None:
        return 0
    others = customers.exclude(pk=whale.pk).order_by("id").values_list("id", flat=True)[:n]
    CustomerIdentifier.objects.bulk_create(
        [CustomerIdentifier(customer_id=cid, identifier=card) for cid in others], ignore_conflicts=True
    )
    return CustomerIdentifier.objects.filter(identifier=card).exclude(customer=whale).count()


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class SqlClock:
    """Sums the time spent inside the database driver's execute (the query and receiving its rows)."""

    def __init__(self):
        self.ms = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms += (time.perf_counter() - started) * 1000


def measure(client, url, runs, headers=None):
    headers = headers or {}
    for _ in range(2):
        response = client.get(url, headers=headers)
        assert response.status_code in (200, 302), (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url, headers=headers)
    # Counted now: the next request's request_started signal resets the connection's query log.
    n_queries = len(queries)
    timings, cpu, sql = [], [], []
    for _ in range(runs):
        clock = SqlClock()
        started, cpu_started = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(clock):
            client.get(url, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        sql.append(clock.ms)
    # CPU: this process's own time (Python, templates, driver); wall minus CPU is SQL plus waiting for a core,
    # which on a shared, loaded machine is most of it.
    return (
        percentile(timings, 50),
        percentile(timings, 95),
        n_queries,
        percentile(cpu, 50),
        percentile(sql, 95),
    )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--merchant", default="bulk")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--only", action="append", default=[], help="run the cases whose label contains this")
    args = parser.parse_args()

    merchant = Merchant.objects.get(slug=args.merchant)
    owner = Membership.objects.filter(merchant=merchant, role="OWNER").select_related("user").first().user
    admin_user = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "bench-admin@teller.local", "bench-admin-password"
    )
    staff, admin = Client(), Client()
    staff.force_login(owner)
    admin.force_login(admin_user)

    customers = Customer.objects.filter(merchant=merchant)
    sample = customers.order_by("id")[customers.count() // 2 if connection.vendor != "postgresql" else 0 :][
        :1
    ].get()
    # The customer with the most purchases is the seed's whale (300 purchases, 10,000 transactions):
    # grouping the purchases is much cheaper than grouping 10M transactions.
    by_purchases = Purchase.objects.filter(merchant=merchant).values("customer").annotate(n=Count("id"))
    heaviest = by_purchases.order_by("-n")[:1]
    whale = Customer.objects.get(pk=heaviest[0]["customer"])
    whale_transactions = Transaction.objects.filter(customer=whale).count()
    txn = Transaction.objects.filter(merchant=merchant, customer=sample).first()
    product = Product.objects.filter(merchant=merchant).first()
    name_fragment = sample.name.split()[-1][:5]
    n_customers = customers.count()
    n_transactions = Transaction.objects.filter(merchant=merchant).count()
    print(
        f"merchant {merchant.slug}: {n_customers:,} customers, {n_transactions:,} transactions; "
        f"heaviest customer {whale.public_id} with {whale_transactions:,} transactions; runs={args.runs}\n"
    )

    searches = {
        "search by email": sample.email,
        "search by name fragment": name_fragment,
        "search by public id": sample.public_id,
        "search by provider id": sample.provider_customer_id,
    }
    # The list's per-customer totals (spend, payments, refunds, disputes, default method) are part of every
    # customers case; the oldest-first page holds customers with full histories, the search counts are capped.
    cases = [("customers list", "/customers/", None, 100)]
    cases += [
        (f"customers {label}", f"/customers/?q={value}", f"/admin/customers/customer/?q={value}", 100)
        for label, value in searches.items()
    ]
    cases += [
        ("customers filter product", f"/customers/?product={product.pk}", None, 100),
        ("customers filter provider", "/customers/?provider=STRIPE", None, 100),
        ("customers filter access code", "/customers/?access_code=yes", None, 100),
        ("customers filter blocked", "/customers/?blocked=yes", None, 100),
        ("customers sort oldest", "/customers/?sort=oldest", None, 100),
        ("transactions table", "/transactions/", None, 150),
        ("transactions type=refund", "/transactions/?type=CHARGEBACK", None, 150),
        ("transactions status=failed", "/transactions/?status=FAILED", None, 150),
        ("transactions method=sepa", "/transactions/?method=sepa_debit", None, 150),
        ("transactions date range", "/transactions/?date_from=2025-01-01&date_to=2025-03-31", None, 150),
        ("transactions search txn id", f"/transactions/?q={txn.provider_id}", None, 150),
        ("transactions search email", f"/transactions/?q={sample.email}", None, 150),
        ("transactions blocked detail", "/transactions/?blocked=yes", None, 150),
        # The "Needs attention" queue: six bounded reads off partial indexes + the claims, and the nav count.
        ("attention queue", "/attention/", None, 150),
        ("attention queue kind=blocked payment", "/attention/?kind=BLOCKED_PAYMENT", None, 150),
        ("attention queue kind=linked customer", "/attention/?kind=LINKED_CUSTOMER", None, 150),
    ]
    # The global search (/search/): one case per query form. An exact id that names one object answers with
    # a redirect (measured as such); the rest render the grouped results page.
    card_txn = Transaction.objects.filter(merchant=merchant, customer=sample).exclude(method_last4="").first()
    last4 = card_txn.method_last4 if card_txn else "4242"
    pi_id = (
        Transaction.objects.filter(merchant=merchant)
        .exclude(provider_payment_intent_id="")
        .values_list("provider_payment_intent_id", flat=True)
        .first()
        or "pi_none"
    )
    sub_id = (
        Purchase.objects.filter(merchant=merchant, provider_subscription_id__isnull=False)
        .values_list("provider_subscription_id", flat=True)
        .first()
        or "sub_none"
    )
    refund_id = (
        Transaction.objects.filter(merchant=merchant, kind="REFUND")
        .values_list("provider_id", flat=True)
        .first()
        or "re_none"
    )
    search_forms = {
        "name": name_fragment,
        "short name": sample.name[:2],
        "email": sample.email,
        "public id": sample.public_id,
        "cus_": sample.provider_customer_id,
        "ch_": txn.provider_id,
        "pi_": pi_id,
        "in_": "in_none",
        "re_": refund_id,
        "dp_": "dp_none",
        "sub_": sub_id,
        "last4 (bare)": last4,
        "last4:": f"last4:{last4}",
        "amount 49.00": "49.00",
        "amount:>100": "amount:>100",
        "amount:<5": "amount:<5",
        "amount:>=": "amount:>=20",
        "amount:<=": "amount:<=20",
        "amount:=": "amount:=49",
        "email:": f"email:{sample.email}",
        "status:refunded": "status:refunded",
        "date:month": "date:2025-11",
        "date:day": "date:2025-11-05",
        "name + status": f"{name_fragment} status:refunded",
    }
    cases += [
        (f"search {label}", "/search/?" + urlencode({"q": value}), None, 150)
        for label, value in search_forms.items()
    ]
    cases += [
        ("customers list with the whale (search)", f"/customers/?q={whale.public_id}", None, 100),
        ("customers search count capped (name)", "/customers/?q=ann", None, 100),
    ]
    linked = share_whale_card(whale, customers)
    print(f"the whale's card is shared with {linked:,} other customers (Linked customers panel)\n")
    page = f"/customers/{whale.public_id}/"
    hx = {"HX-Request": "true"}
    cases += [
        (f"whale page tab {tab}", f"{page}?tab={tab}", None, 150)
        for tab in ("details", "stats", "info", "activity")
    ]
    cases += [
        ("whale tab transactions", f"{page}transactions/", None, 150),
        ("whale tab transactions type=refund", f"{page}transactions/?type=REFUND", None, 150),
        ("whale tab stats (htmx partial)", f"{page}?tab=stats", None, 150),
        ("whale products (partial)", f"{page}products/", None, 150),
        ("whale payment methods (partial)", f"{page}payment-methods/", None, 150),
    ]
    cases.append(("whale block all linked (modal)", f"{page}linked/block/", None, 150))
    # "What will happen" boxes: the Manage details modal's (block all / unblock all / the switches, with the
    # card shared by thousands) and the credit modal's for the whale's latest charge, with Block all ticked.
    details_preview = f"{page}details/manage/preview/?cancel_subscriptions=on"
    cases.append(("whale what will happen (details)", details_preview, None, 150))
    whale_charge = (
        Transaction.objects.filter(customer=whale, kind=Transaction.Kind.CHARGE)
        .order_by("-occurred_at")
        .first()
    )
    if whale_charge:
        preview = f"/transactions/{whale_charge.pk}/credit/preview/?mode=PARTIAL&amount=1&block_all=on"
        cases.append(("whale what will happen (credit)", preview, None, 150))
    first_purchase = whale.purchases.order_by("id").first()
    if first_purchase:
        cases.append(
            (
                "whale product transactions (partial)",
                f"{page}products/{first_purchase.pk}/transactions/",
                None,
                150,
            )
        )

    header = (
        f"{'case':42} {'p50 ms':>8} {'p95 ms':>8} {'sql p95':>8} {'cpu p50':>8} {'queries':>8} "
        f"{'target':>7}  "
        f"{'admin p95':>10} {'× faster':>9}"
    )
    print(header)
    print("-" * len(header))
    misses = []
    if args.only:
        cases = [case for case in cases if any(part in case[0] for part in args.only)]
    for label, url, admin_url, target in cases:
        use_hx = hx if "(htmx partial)" in label or "(partial)" in label else None
        p50, p95, n_queries, cpu, sql95 = measure(staff, url, args.runs, use_hx)
        admin_text = ratio_text = ""
        if admin_url:
            _, admin_p95, *_ = measure(admin, admin_url, max(5, args.runs // 4))
            ratio = admin_p95 / p95 if p95 else float("inf")
            admin_text, ratio_text = f"{admin_p95:10.1f}", f"{ratio:8.1f}×"
            if ratio < 5:
                misses.append(f"{label}: only {ratio:.1f}× faster than the admin")
        ok = "ok" if p95 < target else "MISS"
        if p95 >= target:
            misses.append(f"{label}: p95 {p95:.1f} ms ≥ {target} ms")
        print(
            f"{label:42} {p50:8.1f} {p95:8.1f} {sql95:8.1f} {cpu:8.1f} {n_queries:8d} {target:>5}{ok:>3}  "
            f"{admin_text:>10} {ratio_text:>9}"
        )
    print()
    print("all targets met" if not misses else "targets missed:\n  " + "\n  ".join(misses))


if __name__ == "__main__":
    main()
