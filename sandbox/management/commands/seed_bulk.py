"""Fill the database with a large, realistically shaped book of business for the scale benchmarks.

    manage.py seed_bulk --customers 1000000 --transactions-per-customer 10

On PostgreSQL rows stream in through COPY (ids reserved from the sequences up front); on SQLite it falls back
to bulk_create, fine for small sizes. The shape: most customers have a handful of transactions, a few "whales"
have thousands (and hundreds of purchases), so the heaviest customer page is a real stress case.
Rows go into a merchant of their own (--merchant, default "bulk"), so the demo data is untouched.
"""

import json
import math
import queue
import random
import threading
import time
from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from tqdm import tqdm

from customers.models import Customer, CustomerIdentifier, Identifier
from merchants.models import Membership, Merchant, Role, User
from purchases.models import Product, Purchase
from transactions.models import Transaction

FIRST = (
    "Anna Ben Carla David Emma Felix Greta Hugo Ida Jonas Klara Leon Mia "
    "Noah Olga Paul Rosa Sam Tina Umar Vera Will Xenia Yusuf Zoe"
).split()
LAST = (
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann "
    "Koch Richter Klein Wolf Neumann Braun Zimmermann Krüger Hartmann Lange "
    "Smith Jones Brown Taylor Wilson Garcia Martin Rossi Dubois Novak"
).split()
DOMAINS = ["example.org", "mail.test", "inbox.example", "post.example.net"]
# Weighted pools: random.choice on a list is much cheaper than random.choices with weights, per row.
CURRENCY_POOL = ["eur"] * 60 + ["usd"] * 30 + ["gbp"] * 8 + ["jpy"] * 2
COUNTRIES = ["DE", "FR", "GB", "US", "NL", "ES", "IT", "JP"]
AMOUNTS, JPY_AMOUNTS = [999, 1999, 4900, 9900, 19900], [1500, 3000, 9800]
BRANDS = ["visa", "mastercard", "amex"]
CHARGEBACK_STATUSES = ["NEEDS_RESPONSE", "WON", "LOST"]
PURCHASE_STATUS_POOL = (
    ["ACTIVE"] * 70 + ["CANCELED"] * 20 + ["PAST_DUE"] * 4 + ["TRIALING"] * 4 + ["UNPAID"] * 2
)
WHALE_TRANSACTIONS = 10_000
WHALE_PURCHASES = 300
BATCH = 50_000


def _b36(n: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"


def _text(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _from_text(model, row: dict) -> dict:
    """COPY text back to Python values, for the SQLite fallback (small sizes only)."""
    out = {}
    fields = {
        f.attname: f for f in model._meta.concrete_fields
    }  # "customer_id" -> customer, "public_id" as is
    for name, value in row.items():
        field = fields[name]
        if value == r"\N":
            out[name] = None
        elif isinstance(field, models.BooleanField):
            out[name] = value == "t"
        elif isinstance(field, models.DateTimeField):
            out[name] = datetime.fromisoformat(value)
        elif isinstance(field, models.JSONField):
            out[name] = json.loads(value)
        else:
            out[name] = value
    return out


class CopyWriter:
    """Streams rows of one model into COPY ... FROM STDIN. Columns a row does not give get the field's
    default, encoded once, so fields other code adds later (with defaults) do not break the loader."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.default_text = {f.attname: _text(self._default(f)) for f in self.fields}

    @staticmethod
    def _default(field):
        if field.has_default():
            return field.get_default()
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return datetime.now(UTC)
        return None if field.null else ""

    def encode(self, rows: list[dict]) -> str:
        """Rows hold values already in COPY text (see the _*_row builders: the hot path avoids _text)."""
        pairs = [(f.attname, self.default_text[f.attname]) for f in self.fields]
        lines = ["\t".join([row.get(name, default) for name, default in pairs]) for row in rows]
        lines.append("")
        return "\n".join(lines)

    def copy(self, cursor, rows: list[dict]) -> None:
        if connection.vendor != "postgresql":
            self.model.objects.bulk_create(
                [self.model(**_from_text(self.model, row)) for row in rows], batch_size=2000
            )
            return
        table = connection.ops.quote_name(self.model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            copy.write(self.encode(rows))


class BatchLoader:
    """COPYs batches on a thread of its own (its own connection), so generating the next batch in Python
    overlaps with PostgreSQL writing the last one. On SQLite it writes inline."""

    def __init__(self, bar):
        self.bar = bar
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.writers = {m: CopyWriter(m) for m in (Customer, Purchase, Transaction)}
        self.threaded = connection.vendor == "postgresql"

    def __enter__(self):
        if self.threaded:
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()
        return self

    def put(self, customers, purchases, transactions_):
        if self.error:
            raise self.error
        batch = (customers, purchases, transactions_)
        self.queue.put(batch) if self.threaded else self._write(None, batch)

    def _write(self, cursor, batch):
        with transaction.atomic():
            for model, rows in zip((Customer, Purchase, Transaction), batch, strict=True):
                self.writers[model].copy(cursor, rows)
        self.bar.update(len(batch[0]) + len(batch[2]))

    def _run(self):
        try:
            with connection.cursor() as raw:
                # The loader generates consistent ids itself; skipping the per-row deferred FK triggers is
                # what makes 10M rows load in minutes (pg_restore does the same). Needs a superuser, as here
                # and in CI.
                raw.execute("SET session_replication_role = replica")
                while (batch := self.queue.get()) is not None:
                    self._write(raw.cursor, batch)
                raw.execute("SET session_replication_role = DEFAULT")
        except BaseException as exc:  # surfaced to the producer on its next put / at exit
            self.error = exc
            while self.queue.get() is not None:
                pass
        finally:
            connection.close()

    def __exit__(self, exc_type, exc, tb):
        if self.threaded:
            self.queue.put(None)
            self.thread.join()
        if self.error and not exc:
            raise self.error


class SecondaryIndexes:
    """Drops the secondary indexes of the bulk tables for the load and rebuilds them afterwards (PostgreSQL).

    Maintaining ~15 b-tree and trigram GIN indexes row by row costs far more than COPY itself; one CREATE
    INDEX per index over the loaded table sorts once. Indexes backing constraints (primary keys, unique
    constraints) stay. The definitions are read from pg_indexes, so indexes added later by migrations are
    covered too, and they are rebuilt even when the load fails.
    """

    TABLES = (Customer, Purchase, Transaction)

    def __init__(self, *, enabled: bool, out):
        self.enabled = enabled and connection.vendor == "postgresql"
        self.out = out
        self.definitions: list[tuple[str, str]] = []

    def __enter__(self):
        if not self.enabled:
            return self
        tables = [m._meta.db_table for m in self.TABLES]
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT i.indexname, i.indexdef FROM pg_indexes i
                WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
                  AND NOT EXISTS (
                    SELECT 1 FROM pg_constraint c
                    WHERE c.conindid = """
                """(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)
                """,
                [tables],
            )
            self.definitions = cursor.fetchall()
            for name, _ in self.definitions:
                cursor.execute(f"DROP INDEX IF EXISTS {connection.ops.quote_name(name)}")
        self.out.write(f"Dropped {len(self.definitions)} secondary indexes for the load.")
        return self

    def __exit__(self, *exc):
        if not self.enabled or not self.definitions:
            return
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _name, definition in tqdm(self.definitions, desc="indexes", unit="idx"):
                cursor.execute(
                    definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1).replace(
                        "CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX IF NOT EXISTS ", 1
                    )
                )
            cursor.execute("RESET maintenance_work_mem")
        self.out.write(f"Rebuilt {len(self.definitions)} indexes in {time.monotonic() - started:,.0f} s.")


def reserve_ids(model: type[models.Model], count: int) -> int:
    """First id of a block of `count` ids reserved from the table's sequence (PostgreSQL) or max(id)
    (SQLite)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            seq = cursor.fetchone()[0]
            cursor.execute("SELECT pg_advisory_xact_lock(4242)")
            cursor.execute(
                f"SELECT GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), (SELECT last_value FROM {seq}))"
            )
            start = cursor.fetchone()[0] + 1
            cursor.execute("SELECT setval(%s, %s)", [seq, start + count])
            return start
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        return cursor.fetchone()[0] + 1


class Command(BaseCommand):
    help = "Bulk-load customers, purchases and transactions for the scale benchmarks (COPY on PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=10_000)
        parser.add_argument("--transactions-per-customer", type=int, default=10)
        parser.add_argument("--merchant", default="bulk")
        parser.add_argument(
            "--whales", type=int, default=None, help="Customers with 10,000 transactions each."
        )
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--keep-indexes",
            dest="drop_indexes",
            action="store_false",
            help="Maintain secondary indexes row by row instead of dropping and rebuilding them "
            "(PostgreSQL).",
        )

    def handle(self, *args, customers, transactions_per_customer, merchant, whales, seed, **options):
        if customers < 1 or transactions_per_customer < 1:
            raise CommandError("--customers and --transactions-per-customer must be at least 1")
        self.rng = random.Random(seed)
        self.now = datetime.now(UTC)
        self.now_text = self.now.isoformat()
        self.recent = [(self.now - timedelta(days=d)).isoformat() for d in range(31)]
        self.period_start = (self.now - timedelta(days=10)).isoformat()
        self.period_end = (self.now + timedelta(days=20)).isoformat()
        started = time.monotonic()
        self.merchant, owner_email = self._merchant(merchant)
        self.merchant_id = str(self.merchant.id)
        self.products = self._products()
        whales = whales if whales is not None else max(1, customers // 200_000)
        counts = self._transaction_counts(customers, transactions_per_customer, whales)
        total_txn = sum(counts)
        self.stdout.write(
            f"Loading {customers:,} customers and {total_txn:,} transactions into '{merchant}'…"
        )
        with SecondaryIndexes(enabled=options["drop_indexes"] and total_txn >= 200_000, out=self.stdout):
            with tqdm(
                total=customers + total_txn, unit="rows", unit_scale=True, disable=options["verbosity"] < 1
            ) as bar:
                self._load(counts, whales, bar)
        if connection.vendor == "postgresql":
            # VACUUM, not only ANALYZE: it sets the visibility map, so the covering indexes (customer-page
            # stats) serve index-only scans right away instead of after autovacuum gets round to 10M fresh
            # rows.
            with connection.cursor() as cursor:
                for model in (Customer, Purchase, Transaction, Identifier, CustomerIdentifier):
                    cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Done in {elapsed:,.0f} s ({(customers + total_txn) / max(elapsed, 1e-9):,.0f} rows/s). "
                f"Sign in as {owner_email} / bulk-password-2026 to browse merchant '{merchant}'."
            )
        )

    def _merchant(self, slug):
        merchant, _ = Merchant.objects.get_or_create(slug=slug, defaults={"name": f"Bulk {slug}"})
        email = f"owner@{slug}.teller.local"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, "bulk-password-2026"
        )
        Membership.objects.get_or_create(user=user, merchant=merchant, defaults={"role": Role.OWNER})
        return merchant, email

    def _products(self):
        specs = [
            ("Premium monthly", "SUBSCRIPTION", 1999, "month"),
            ("Premium yearly", "SUBSCRIPTION", 19900, "year"),
            ("Signals channel", "SUBSCRIPTION", 4900, "month"),
            ("Masterclass", "ONE_TIME", 9900, ""),
            ("E-book bundle", "ONE_TIME", 2900, ""),
        ]
        return [
            Product.objects.get_or_create(
                merchant=self.merchant,
                provider_product_id=f"prod_bulk_{i}",
                defaults={
                    "name": name,
                    "kind": kind,
                    "amount": amount,
                    "currency": "eur",
                    "interval": interval,
                },
            )[0]
            for i, (name, kind, amount, interval) in enumerate(specs)
        ]

    def _transaction_counts(self, customers, mean, whales):
        """Most customers have a handful (geometric around the mean), a few whales have thousands."""
        counts = [WHALE_TRANSACTIONS] * min(whales, customers)
        rest_mean = max(1.0, (customers * mean - sum(counts)) / max(customers - len(counts), 1))
        q = 1.0 - 1.0 / rest_mean
        cap = int(50 * rest_mean)
        while len(counts) < customers:
            # geometric distribution (support 1, 2, ...) with mean rest_mean, by inverse transform
            u = 1.0 - self.rng.random()
            k = 1 if q <= 0 else 1 + int(math.log(u) / math.log(q))
            counts.append(min(k, cap))
        return counts

    def _load(self, counts, whales, bar):
        customers = len(counts)
        purchase_counts = [WHALE_PURCHASES if i < whales else 1 for i in range(customers)]
        cust_start = reserve_ids(Customer, customers)
        purch_start = reserve_ids(Purchase, sum(purchase_counts))
        txn_start = reserve_ids(Transaction, sum(counts))
        next_purchase, next_txn = purch_start, txn_start
        cust_rows, purch_rows, txn_rows = [], [], []
        with BatchLoader(bar) as loader:
            for i in range(customers):
                cid = cust_start + i
                since = self.now - timedelta(
                    days=self.rng.randint(1, 1500), seconds=self.rng.randint(0, 86399)
                )
                cust_rows.append(self._customer_row(cid, since))
                purchase_ids = list(range(next_purchase, next_purchase + purchase_counts[i]))
                next_purchase += purchase_counts[i]
                for pid in purchase_ids:
                    purch_rows.append(self._purchase_row(pid, cid, since))
                since_ts, span = since.timestamp(), max(1.0, (self.now - since).total_seconds())
                for _ in range(counts[i]):
                    pid = purchase_ids[0] if len(purchase_ids) == 1 else self.rng.choice(purchase_ids)
                    txn_rows.append(self._transaction_row(next_txn, cid, pid, since_ts, span))
                    next_txn += 1
                if len(txn_rows) >= BATCH or i == customers - 1:
                    loader.put(cust_rows, purch_rows, txn_rows)
                    cust_rows, purch_rows, txn_rows = [], [], []
        self._whale_identifiers(cust_start, whales)

    # Row builders return values already in COPY text: generated values never hold tabs, newlines or
    # backslashes, so the 10M-row hot path skips escaping. NULL is \N, booleans t / f.

    def _customer_row(self, cid, since):
        rng = self.rng
        first, last = rng.choice(FIRST), rng.choice(LAST)
        since_text = since.isoformat()
        return {
            "id": str(cid),
            "merchant_id": self.merchant_id,
            "public_id": ("B" + _b36(cid)).rjust(12, "0"),
            "provider_customer_id": f"cus_B{cid:012d}",
            "name": f"{first} {last}",
            "email": f"{first}.{last}{cid}@{rng.choice(DOMAINS)}".lower(),
            "country": rng.choice(COUNTRIES),
            "providers_used": '["STRIPE"]',
            "used_access_code": "t" if rng.random() < 0.05 else "f",
            "first_purchase_at": since_text,
            "last_purchase_at": self.recent[rng.randrange(31)],
            "created_at": since_text,
            "updated_at": self.now_text,
        }

    def _purchase_row(self, pid, cid, since):
        rng = self.rng
        product = rng.choice(self.products)
        sub = product.kind == "SUBSCRIPTION"
        since_text = since.isoformat()
        return {
            "id": str(pid),
            "merchant_id": self.merchant_id,
            "customer_id": str(cid),
            "product_id": str(product.id),
            "kind": product.kind,
            "status": rng.choice(PURCHASE_STATUS_POOL) if sub else "ACTIVE",
            "provider_subscription_id": f"sub_B{pid:012d}" if sub else r"\N",
            "amount": str(product.amount),
            "currency": "eur",
            "interval": product.interval,
            "started_at": since_text,
            "current_period_start_at": self.period_start if sub else r"\N",
            "current_period_end_at": self.period_end if sub else r"\N",
            "cancel_at_period_end": "t" if sub and rng.random() < 0.05 else "f",
            "created_at": since_text,
            "updated_at": self.now_text,
        }

    def _transaction_row(self, tid, cid, pid, since_ts, span):
        rng = self.rng
        currency = rng.choice(CURRENCY_POOL)
        amount = rng.choice(JPY_AMOUNTS if currency == "jpy" else AMOUNTS)
        kind, status, refunded = "CHARGE", "SUCCEEDED", 0
        roll = rng.random()
        if roll < 0.04:
            status = "FAILED"
        elif roll < 0.07:
            status, refunded = "REFUNDED", amount
        elif roll < 0.09:
            status, refunded = "PARTIALLY_REFUNDED", amount // 2
        elif roll < 0.095:
            kind, status = "CHARGEBACK", rng.choice(CHARGEBACK_STATUSES)
        sepa = rng.random() < 0.15
        occurred = datetime.fromtimestamp(since_ts + rng.random() * span, UTC).isoformat()
        return {
            "id": str(tid),
            "merchant_id": self.merchant_id,
            "customer_id": str(cid),
            "purchase_id": str(pid),
            "kind": kind,
            "status": status,
            "amount": str(amount),
            "currency": currency,
            "refunded_amount": str(refunded),
            "method_type": "sepa_debit" if sepa else "card",
            "method_brand": "" if sepa else rng.choice(BRANDS),
            "method_last4": f"{rng.randrange(10000):04d}",
            "method_country": "DE",
            "provider_id": f"{'dp' if kind == 'CHARGEBACK' else 'ch'}_B{tid:014d}",
            "occurred_at": occurred,
            "created_at": occurred,
            "updated_at": occurred,
        }

    def _whale_identifiers(self, cust_start, whales):
        """Payment details for the whales, so their Info tab and blocking have something real to show."""
        for cid in range(cust_start, cust_start + whales):
            customer = Customer.objects.get(pk=cid)
            for kind, value, display in [
                (Identifier.Kind.CUSTOMER_ID, customer.provider_customer_id, customer.provider_customer_id),
                (Identifier.Kind.EMAIL, customer.email, customer.email),
                (Identifier.Kind.CARD, f"fp_bulk_{cid}", "Visa •••• 4242, 04/28"),
            ]:
                identifier, _ = Identifier.objects.get_or_create(
                    merchant=self.merchant, kind=kind, value=value, defaults={"display": display}
                )
                CustomerIdentifier.objects.get_or_create(customer=customer, identifier=identifier)
