"""On PostgreSQL the audit log and the block log refuse UPDATE and DELETE at the database level.

The model's save()/delete() guard only protects the ORM path; a trigger also stops raw SQL, a shell session
or a buggy bulk update. SQLite (development) skips this: the trigger syntax is PostgreSQL's.
"""

from django.db import migrations

TABLES = ["audit_auditevent", "customers_blockevent"]

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION teller_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'table %% is append-only: %% refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def _create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION)
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION teller_refuse_change();"
        )


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS teller_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_initial"),
        ("customers", "0002_initial"),
    ]

    operations = [migrations.RunPython(_create, _drop)]
