"""PostgreSQL-only search indexes (pg_trgm) for substring search at a million customers per merchant.

They live in a migration of their own, applied only on PostgreSQL, so the SQLite embedded default keeps
working. Exact look-ups (public id, provider ids, transaction ids) use the models' own unique indexes.
"""

from django.db import migrations

INDEXES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Substring search on name and email (ILIKE '%q%') — GIN trigram indexes.
    "CREATE INDEX IF NOT EXISTS customer_name_trgm ON customers_customer USING gin (name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS customer_email_trgm ON customers_customer USING gin (email gin_trgm_ops)",
    # Exact, case-insensitive email (Django's iexact compiles to UPPER(col) = UPPER(%s)).
    "CREATE INDEX IF NOT EXISTS customer_email_upper ON customers_customer (merchant_id, UPPER(email))",
    # Filtered transaction lists, newest first (keyset on occurred_at, id).
    "CREATE INDEX IF NOT EXISTS txn_kind_recent ON transactions_transaction (merchant_id, kind, occurred_at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS txn_status_recent ON transactions_transaction (merchant_id, status, occurred_at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS txn_method_recent ON transactions_transaction (merchant_id, method_type, occurred_at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS txn_blocked_recent ON transactions_transaction (merchant_id, occurred_at DESC, id DESC) WHERE blocked_detail_used",
    # "Customers who bought product X".
    "CREATE INDEX IF NOT EXISTS purchase_product_customer ON purchases_purchase (product_id, customer_id)",
]
DROP = [
    "DROP INDEX IF EXISTS customer_name_trgm",
    "DROP INDEX IF EXISTS customer_email_trgm",
    "DROP INDEX IF EXISTS customer_email_upper",
    "DROP INDEX IF EXISTS txn_kind_recent",
    "DROP INDEX IF EXISTS txn_status_recent",
    "DROP INDEX IF EXISTS txn_method_recent",
    "DROP INDEX IF EXISTS txn_blocked_recent",
    "DROP INDEX IF EXISTS purchase_product_customer",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("transactions", "0001_initial"),
        ("purchases", "0001_initial"),
    ]

    operations = [migrations.RunPython(_run(INDEXES), _run(DROP))]
