"""Operations tasks. The heartbeat proves a worker (and beat) are alive: /healthz reads its age."""

import time

import structlog
from celery import shared_task
from celery.signals import task_postrun, task_prerun
from django.core.cache import cache
from django.db import close_old_connections

HEARTBEAT_KEY = "teller:worker-heartbeat"


@shared_task(ignore_result=True)
def heartbeat() -> float:
    """Beat sends this every 30 s; whichever worker runs it stamps the time in the shared cache (Redis)."""
    now = time.time()
    cache.set(HEARTBEAT_KEY, now, timeout=24 * 3600)
    return now


@task_prerun.connect(weak=False)
def _bind_task_log_context(task_id=None, task=None, **kwargs):
    """Worker log lines carry the task's name and id (web requests carry request_id, merchant and actor)."""
    if task is None or task.request.is_eager:
        return  # eager tasks run inside a web request: keep its request_id, merchant and actor
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(task=task.name, task_id=task_id)


@task_prerun.connect(weak=False)
@task_postrun.connect(weak=False)
def _recycle_db_connections(task=None, **kwargs):
    """A worker task is to the database what a web request is: drop connections that are broken or older
    than CONN_MAX_AGE around it, keep the others (Celery's fixup would close them all)."""
    if task is not None and not task.request.is_eager:
        close_old_connections()
