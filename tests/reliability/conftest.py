"""Reliability tests: a real Redis broker, a real `celery -A config worker` subprocess, PostgreSQL.

They need DATABASE_URL (PostgreSQL) and REDIS_URL; without them they are deselected at collection (see the
README: `DATABASE_URL=postgres://... REDIS_URL=redis://... pytest -m reliability tests/reliability`).
The worker consumes its own queue (TELLER_CELERY_QUEUE) on the Redis db of REDIS_URL.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUEUE = f"teller-reliability-{os.getpid()}"


def environment_ready() -> tuple[bool, str]:
    db, redis = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not db.startswith(("postgres://", "postgresql://")):
        return False, "DATABASE_URL is not PostgreSQL"
    if not redis.startswith("redis://"):
        return False, "REDIS_URL is not set"
    return True, ""


def pytest_collection_modifyitems(config, items):
    ready, why = environment_ready()
    if ready:
        return
    deselected = [item for item in items if item.get_closest_marker("reliability")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]
        config._teller_reliability_note = f"{len(deselected)} reliability test(s) deselected: {why}"


def pytest_terminal_summary(terminalreporter, config):
    note = getattr(config, "_teller_reliability_note", "")
    if note:
        terminalreporter.write_line(note, yellow=True)


class Worker:
    """A celery worker subprocess on the test database and our own queue; killable and restartable."""

    def __init__(self, db_name: str, log_path: Path, concurrency: int = 2):
        self.db_name, self.log_path, self.concurrency = db_name, log_path, concurrency
        self.proc = None

    def env(self) -> dict:
        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        return {
            **os.environ,
            "DATABASE_URL": f"{base}/{self.db_name}",
            "TELLER_CELERY_QUEUE": QUEUE,
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "INFO",
        }

    def start(self, timeout: float = 60) -> None:
        celery = Path(sys.executable).with_name("celery")
        self.log = open(self.log_path, "a")
        self.log.write("\n--- worker start ---\n")
        self.log.flush()
        start_at = self.log_path.stat().st_size
        self.proc = subprocess.Popen(
            [
                str(celery),
                "-A",
                "config",
                "worker",
                "-Q",
                QUEUE,
                "-c",
                str(self.concurrency),
                "--pool",
                "prefork",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log_path) as f:
                f.seek(start_at)
                if "ready." in f.read():
                    return
            if self.proc.poll() is not None:
                break
            time.sleep(0.3)
        self.kill()
        raise RuntimeError(f"celery worker did not start; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool children (no warm shutdown, no acks)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def real_celery(settings):
    """The test process publishes to Redis (not eagerly) on the worker's queue."""
    from config.celery import app

    previous = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = QUEUE
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.control.purge()
    yield app
    app.conf.task_always_eager, app.conf.task_default_queue = previous


@pytest.fixture
def worker(real_celery, django_db_blocker, tmp_path):
    from django.db import connection

    w = Worker(connection.settings_dict["NAME"], ROOT / "artifacts" / "reliability-worker.log")
    w.log_path.parent.mkdir(exist_ok=True)
    w.start()
    yield w
    w.stop()
