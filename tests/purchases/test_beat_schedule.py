import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_the_beat_schedule_names_tasks_that_exist():
    from config.celery import app

    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"purchases.tasks.expire_access", "access.tasks.retry_pending_revocations"} <= scheduled
    assert "purchases.tasks.expire_access" in app.tasks
    assert "access.tasks.retry_pending_revocations" in app.tasks
    assert "access.tasks.revoke_grant" in app.tasks
