"""Celery application. Without REDIS_URL the tasks run eagerly (see settings).

TELLER_CELERY_QUEUE names the default queue (the reliability tests and the benchmark use their own queue
so a developer's worker on the same Redis never steals their tasks).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("teller")
app.config_from_object("django.conf:settings", namespace="CELERY")
if os.environ.get("TELLER_CELERY_QUEUE"):
    app.conf.task_default_queue = os.environ["TELLER_CELERY_QUEUE"]
# Publishing (the webhook request's enqueue) must fail fast when Redis is down: the event is already stored
# and the sweep enqueues it later. Kombu reads these failover options when it opens the producer channel.
app.conf.broker_transport_options = {
    **(app.conf.broker_transport_options or {}),
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.2,
}
app.autodiscover_tasks()

# Celery's Django fixup closes every database connection before and after each task unless DB_REUSE_MAX is
# set, so each event paid for a new PostgreSQL connection. Teller keeps them and applies Django's own policy
# instead (CONN_MAX_AGE, CONN_HEALTH_CHECKS, broken connections dropped): see common.tasks.
app.conf.CELERY_DB_REUSE_MAX = 10_000
