import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from tests.factories import BlockEventFactory

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's")


def _event(merchant, owner):
    now = timezone.now()
    return audit_record(merchant=merchant, actor=owner, action="note.add", target=merchant, now=now)


def test_the_orm_refuses_to_update_or_delete_an_audit_event(merchant, owner):
    event = _event(merchant, owner)

    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


@postgres_only
@pytest.mark.parametrize("sql", ["UPDATE {table} SET created_at = now()", "DELETE FROM {table}"])
def test_raw_sql_cannot_change_the_audit_log_on_postgresql(merchant, owner, sql):
    _event(merchant, owner)

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql.format(table=AuditEvent._meta.db_table))

    assert AuditEvent.objects.count() == 1


@postgres_only
@pytest.mark.parametrize("sql", ["UPDATE {table} SET reason_text = 'x'", "DELETE FROM {table}"])
def test_raw_sql_cannot_change_the_block_log_on_postgresql(sql):
    event = BlockEventFactory()

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql.format(table=event._meta.db_table))

    assert type(event).objects.filter(pk=event.pk, reason_text=event.reason_text).exists()


@postgres_only
def test_inserting_into_the_audit_log_still_works_on_postgresql(merchant, owner):
    _event(merchant, owner)
    _event(merchant, owner)

    assert AuditEvent.objects.count() == 2
