"""PostgreSQL-only indexes for the global search's operators (issue 16), conditional like 0001 and 0002.

- `last4:4242` and a bare four digits: a payment's card last 4, newest first, as one ordered index walk
  (only rows that have a last 4); the customers who used a card with those digits, through the CARD
  identifiers.
- `amount:49` (and > < >= <=): an exact amount in minor units, newest first, is one ordered walk of
  (merchant, amount, occurred_at); a range uses it too when it is narrow.
"""

from django.db import migrations

INDEXES = [
    "CREATE INDEX IF NOT EXISTS txn_last4_recent ON transactions_transaction "
    "(merchant_id, method_last4, occurred_at DESC, id DESC) WHERE method_last4 <> ''",
    "CREATE INDEX IF NOT EXISTS txn_amount_recent ON transactions_transaction "
    "(merchant_id, amount, occurred_at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS identifier_card_last4 ON customers_identifier (merchant_id, last4) "
    "WHERE kind = 'CARD'",
]
DROP = [
    "DROP INDEX IF EXISTS txn_last4_recent",
    "DROP INDEX IF EXISTS txn_amount_recent",
    "DROP INDEX IF EXISTS identifier_card_last4",
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
    dependencies = [("common", "0002_scale_indexes")]

    operations = [migrations.RunPython(_run(INDEXES), _run(DROP))]
