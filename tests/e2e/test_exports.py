"""Browser: export a filtered list too large to stream (threshold set low), watch its progress on the Exports
page, then download the file and check it holds exactly the filtered rows."""

import csv
import io
import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.utils import timezone
from playwright.sync_api import expect

from exports import services, tasks
from exports.models import ExportJob
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)
WIDTHS = (1440, 1024, 768)


@pytest.fixture(autouse=True)
def _patient_expect():
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def background_worker(monkeypatch):
    """The job runs in a thread, as a Celery worker would, and stops after its first progress report until
    `release` is set, so the page is seen while the job runs. The live server's SQLite test database
    refuses concurrent table locks, so requests and the job's database work take turns (one lock)."""
    lock, release, reported, threads = threading.RLock(), threading.Event(), threading.Event(), []
    real_report = services.report_progress

    def serialised(fn):
        def wrapper(*args, **kwargs):
            with lock:
                return fn(*args, **kwargs)

        return wrapper

    def report(job_id, done):
        real_report(job_id, done)
        if not reported.is_set():
            reported.set()
            lock.release()  # let the page poll while the job waits
            try:
                release.wait(60)
            finally:
                lock.acquire()

    monkeypatch.setattr(services, "PROGRESS_EVERY", 10)
    monkeypatch.setattr(services, "report_progress", report)
    monkeypatch.setattr(WSGIHandler, "__call__", serialised(WSGIHandler.__call__))

    def delay(job_id):
        thread = threading.Thread(target=serialised(services.export_job_run), kwargs={"job_id": job_id})
        thread.daemon = True
        thread.start()
        threads.append(thread)

    monkeypatch.setattr(tasks.run_export, "delay", delay)
    yield release
    release.set()
    for thread in threads:
        thread.join(30)


def test_a_large_export_runs_in_the_background_then_downloads(
    page, sign_in, owner, merchant, settings, background_worker, screenshot
):
    settings.TELLER_EXPORT_BACKGROUND_ROWS = 20
    now = timezone.now()
    blocked = [
        factories.CustomerFactory(
            merchant=merchant,
            name=f"Blocked Person {i:02d}" if i else "=HYPERLINK(1)",
            is_blocked=True,
            first_purchase_at=now - timedelta(hours=i),
        )
        for i in range(45)
    ]
    for _ in range(5):
        factories.CustomerFactory(merchant=merchant, is_blocked=False)
    sign_in(owner)

    page.goto("/customers/?blocked=yes")
    button = page.locator("#export-customers button")
    expect(button).to_be_visible()
    expect(page.locator("#export-customers input[name=blocked]")).to_have_value("yes")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"exports-list-button-{width}")

    button.click()
    expect(page).to_have_url(re.compile(r"/exports/$"))
    expect(page.locator(".flashes")).to_contain_text("runs in the background")
    job = ExportJob.objects.get()
    row = page.locator(f"#export-job-{job.pk}")
    expect(row.locator("progress")).to_be_visible()
    expect(row).to_contain_text("10 of about")
    expect(page.locator("#export-jobs")).to_have_attribute("data-polling", "yes")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"exports-running-{width}")

    background_worker.set()
    download_button = page.locator(f"#export-download-{job.pk}")
    expect(download_button).to_be_visible()  # the 2 s poll brings it without a reload
    expect(row).to_contain_text("45 rows")
    expect(page.locator("#export-jobs")).to_have_attribute("data-polling", "no")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"exports-done-{width}")

    with page.expect_download() as info:
        download_button.click()
    download = info.value
    assert download.suggested_filename.startswith(f"teller-customers-{merchant.slug}-")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text())))
    assert rows[0][0] == "customer_id"
    assert [r[0] for r in rows[1:]] == [c.public_id for c in blocked]
    assert rows[1][1] == "'=HYPERLINK(1)"
