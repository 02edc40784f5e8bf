"""More PostgreSQL-only indexes for the scale targets (issue 9), conditional like 0001: SQLite keeps working.

- Blocked customers are rare: the "blocked" filter walking the (merchant, first_purchase_at) index would read
  every customer to fill a page. A partial index holds only the blocked ones, in list order.
- Searches of one or two characters are too short for the trigram indexes (and "a" is in nearly every name):
  they match names and emails that START with the term, served by text_pattern_ops indexes on UPPER(col)
  (Django's istartswith compiles to UPPER(col::text) LIKE UPPER('ab%')).
"""

from django.db import migrations

INDEXES = [
    "CREATE INDEX IF NOT EXISTS customer_blocked_since ON customers_customer "
    "(merchant_id, first_purchase_at DESC, id DESC) WHERE is_blocked",
    "CREATE INDEX IF NOT EXISTS customer_name_prefix ON customers_customer "
    "(merchant_id, UPPER(name) text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS customer_email_prefix ON customers_customer "
    "(merchant_id, UPPER(email) text_pattern_ops)",
]
DROP = [
    "DROP INDEX IF EXISTS customer_blocked_since",
    "DROP INDEX IF EXISTS customer_name_prefix",
    "DROP INDEX IF EXISTS customer_email_prefix",
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
    dependencies = [("common", "0001_search_indexes")]

    operations = [migrations.RunPython(_run(INDEXES), _run(DROP))]
