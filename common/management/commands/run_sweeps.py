"""`manage.py run_sweeps`: the periodic sweeps of CELERY_BEAT_SCHEDULE, run in this process.

For the embedded default (no REDIS_URL, tasks applied eagerly) there is no broker for celery beat to send
to, so `make run` starts this loop next to the dev server: each scheduled task is applied here, in-process,
at its interval (expired access ends within 30 s, stuck webhook events are retried, ...). With a broker, run
`celery -A config beat` and a worker instead. A failing task is logged and the loop goes on.
"""

from __future__ import annotations

import logging
import signal
import time

from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run the periodic sweeps (CELERY_BEAT_SCHEDULE) in this process; for the eager, broker-less default."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every sweep once and exit.")

    def handle(self, *args, once: bool = False, **options):
        app = current_app  # the project's Celery app (config/celery.py makes it current)
        app.loader.import_default_modules()
        schedule = {name: float(entry["schedule"]) for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}
        tasks = {name: settings.CELERY_BEAT_SCHEDULE[name]["task"] for name in schedule}
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        due = dict.fromkeys(schedule, 0.0)
        self.stdout.write(f"Running {len(schedule)} periodic sweeps in-process (Ctrl-C to stop).")
        try:
            while not stopping:
                now = time.monotonic()
                for name, at in due.items():
                    if at <= now:
                        self._run(app, tasks[name])
                        due[name] = now + schedule[name]
                if once:
                    return
                time.sleep(max(0.5, min(due.values()) - time.monotonic()))
        except KeyboardInterrupt:
            pass

    def _run(self, app, task_name: str) -> None:
        try:
            result = app.tasks[task_name].apply()
            if result.failed():
                logger.warning("sweep %s failed: %r", task_name, result.result)
        except Exception as exc:  # a sweep must never stop the others
            logger.warning("sweep %s failed: %r", task_name, exc)
