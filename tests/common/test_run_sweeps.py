"""`manage.py run_sweeps` (what `make run` starts next to the dev server) applies the periodic sweeps."""

import subprocess
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from purchases.models import Purchase
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_one_round_runs_every_sweep_and_ends_lapsed_access(merchant):
    lapsed = factories.PurchaseFactory(
        customer__merchant=merchant, access_code=True, access_expires_at=timezone.now() - timedelta(minutes=1)
    )
    out = StringIO()

    call_command("run_sweeps", "--once", stdout=out)

    lapsed.refresh_from_db()
    assert lapsed.status == Purchase.Status.EXPIRED
    assert f"Running {len(settings.CELERY_BEAT_SCHEDULE)} periodic sweeps" in out.getvalue()


def _dry_run(**env):
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "run.sh")],
        env={"PATH": "/usr/bin:/bin", "TELLER_RUN_DRY": "1", **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout


def test_make_run_sets_the_public_url_from_the_host_and_port_it_serves_on():
    out = _dry_run(HOST="127.0.0.1", PORT="8123")

    assert "TELLER_PUBLIC_URL=http://127.0.0.1:8123" in out
    assert "serve=127.0.0.1:8123" in out


def test_an_explicit_public_url_wins_and_the_sweeps_run_without_a_broker():
    out = _dry_run(PORT="9000", TELLER_PUBLIC_URL="https://teller.example.com")

    assert "TELLER_PUBLIC_URL=https://teller.example.com" in out
    assert "sweeps=python manage.py run_sweeps" in out


def test_with_a_broker_make_run_starts_a_worker_with_beat():
    out = _dry_run(REDIS_URL="redis://127.0.0.1:6379/13")

    assert "sweeps=celery -A config worker --beat" in out
