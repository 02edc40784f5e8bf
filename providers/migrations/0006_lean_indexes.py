"""Fewer, better indexes on the inbox (each applied event rewrites its row in every one of them)."""

import django.db.models.deletion
from django.db import migrations, models


# Django's names for the single-column indexes of customer, merchant, object_id (and its LIKE twin, on
# PostgreSQL only) and purchase.
DROPPED_INDEXES = {
    "providers_providerevent_customer_id_c601a0a0": '"customer_id"',
    "providers_providerevent_merchant_id_c4ee0cdd": '"merchant_id"',
    "providers_providerevent_object_id_badd9521": '"object_id"',
    "providers_providerevent_object_id_badd9521_like": '"object_id" varchar_pattern_ops',
    "providers_providerevent_purchase_id_28101d69": '"purchase_id"',
}


def drop_indexes(apps, schema_editor):
    for name in DROPPED_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def restore_indexes(apps, schema_editor):
    for name, columns in DROPPED_INDEXES.items():
        if name.endswith("_like") and schema_editor.connection.vendor != "postgresql":
            continue
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "providers_providerevent" ({columns})')


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_block_linked"),
        ("merchants", "0003_user_time_zone"),
        ("providers", "0005_provider_event_todo_idx"),
        ("purchases", "0001_initial"),
        ("transactions", "0004_dispute"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="providerevent",
            name="provider_event_status_idx",
        ),
        # The four fields lose their single-column indexes. Django's AlterField would also drop and re-add
        # the foreign keys (validating every row again): on a table of millions of events only the indexes
        # are dropped, and the state is altered alone.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="providerevent",
                    name="customer",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="provider_events",
                        to="customers.customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="providerevent",
                    name="merchant",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="merchants.merchant",
                    ),
                ),
                migrations.AlterField(
                    model_name="providerevent",
                    name="object_id",
                    field=models.CharField(blank=True, default="", max_length=255),
                ),
                migrations.AlterField(
                    model_name="providerevent",
                    name="purchase",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="provider_events",
                        to="purchases.purchase",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_indexes, restore_indexes)],
        ),
        migrations.AddIndex(
            model_name="providerevent",
            index=models.Index(fields=["merchant", "status", "-id"], name="provider_event_by_status_idx"),
        ),
        migrations.AddIndex(
            model_name="providerevent",
            index=models.Index(fields=["object_id"], name="provider_event_object_idx"),
        ),
        migrations.AddIndex(
            model_name="providerevent",
            index=models.Index(
                condition=models.Q(("customer__isnull", False)),
                fields=["customer"],
                name="provider_event_customer_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="providerevent",
            index=models.Index(
                condition=models.Q(("purchase__isnull", False)),
                fields=["purchase"],
                name="provider_event_purchase_idx",
            ),
        ),
    ]
