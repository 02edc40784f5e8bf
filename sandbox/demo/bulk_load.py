"""The bulk loader behind `manage.py seed_bulk`: the value pools rows are drawn from, COPY on PostgreSQL
(`CopyWriter`, `BatchLoader` on a writer thread), secondary indexes dropped during the load, reserved ids."""

import json
import queue
import threading
import time
from datetime import UTC, datetime

from django.db import connection, models, transaction
from tqdm import tqdm

from customers.models import Customer
from purchases.models import Purchase
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
BATCH = 50_000


def b36(n: int) -> str:
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
