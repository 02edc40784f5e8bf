"""PostgreSQL only: tell the planner how many distinct customers the transactions table holds.

ANALYZE samples 30,000 rows; on a skewed table (a few customers with thousands of payments, most with a handful)
it guesses the number of distinct `customer_id`s far too low (85,499 for 1,000,000 customers at the scale
benchmark's size), so it thinks each customer has ~116 transactions. A search for a name finds up to 100
customers and lists their transactions newest first: believing they have ~11,600 between them, the planner
walked the merchant's whole `(merchant, occurred_at)` index hoping to meet 21 of them early (743 ms at 10M
rows) instead of reading the customers' own rows and sorting them (2.5 ms). `n_distinct = -0.05` says "one
customer per 20 transactions", a ratio that holds for real merchants within an order of magnitude either way
and is kept across every later ANALYZE.
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE transactions_transaction ALTER COLUMN customer_id SET (n_distinct = -0.05)",
    "ANALYZE transactions_transaction (customer_id)",
]
BACKWARD = ["ALTER TABLE transactions_transaction ALTER COLUMN customer_id RESET (n_distinct)"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("common", "0003_global_search_indexes"), ("transactions", "0004_dispute")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
