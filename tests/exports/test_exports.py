"""CSV exports of the lists: the same rows as the filtered list (all pages), formula cells defused, tenant
and role checks, hostile filters refused with a message, background jobs with progress, download, expiry."""

import csv
import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from exports import services
from exports.models import ExportJob
from tests import factories

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(raw.decode())))


def _export(client, kind, data=None, **kwargs):
    return client.post(reverse("exports:start", args=[kind]), data or {}, **kwargs)


# --- Each list: header and rows are the filtered list's, every page of it -----------------------------------


def test_customers_export_is_the_filtered_list_across_every_page(owner_client, merchant, other_merchant):
    now = timezone.now()
    blocked = [
        factories.CustomerFactory(
            merchant=merchant, is_blocked=True, first_purchase_at=now - timedelta(hours=i)
        )
        for i in range(30)
    ]
    factories.CustomerFactory(merchant=merchant, is_blocked=False)
    factories.CustomerFactory(merchant=other_merchant, is_blocked=True, name="Other Merchant Person")

    listed = owner_client.get(reverse("customers:list"), {"blocked": "yes"}).context["page"].items
    response = _export(owner_client, "customers", {"blocked": "yes"})

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == [
        "customer_id",
        "name",
        "email",
        "provider_customer_id",
        "providers",
        "blocked",
        "used_access_code",
        "customer_since",
    ]
    ids = [r[0] for r in rows[1:]]
    assert ids == [c.public_id for c in blocked]  # newest first, like the list; all 30, the list pages 25
    assert ids[: len(listed)] == [c.public_id for c in listed] and len(listed) == 25
    assert (
        "Other Merchant Person" not in response.getvalue().decode() if hasattr(response, "getvalue") else True
    )


def test_customers_sorted_oldest_first_export_in_that_order(owner_client, merchant):
    now = timezone.now()
    made = [
        factories.CustomerFactory(merchant=merchant, first_purchase_at=now - timedelta(days=i))
        for i in range(3)
    ]

    rows = _csv(_export(owner_client, "customers", {"sort": "oldest"}))

    assert [r[0] for r in rows[1:]] == [c.public_id for c in reversed(made)]


def test_transactions_export_matches_the_filtered_table(owner_client, merchant):
    customer = factories.CustomerFactory(merchant=merchant, email="ada@example.org")
    now = timezone.now()
    refunds = [
        factories.TransactionFactory(customer=customer, refund=True, occurred_at=now - timedelta(minutes=i))
        for i in range(35)
    ]
    factories.TransactionFactory(customer=customer)  # a charge: filtered out

    params = {"type": "REFUND", "q": "ada@example.org"}
    listed = owner_client.get(reverse("transactions:list"), params).context["page"].items
    rows = _csv(_export(owner_client, "transactions", params))

    assert rows[0][:6] == ["occurred_at", "transaction_id", "type", "status", "amount", "currency"]
    assert [r[1] for r in rows[1:]] == [t.provider_id for t in refunds]
    assert [r[1] for r in rows[1 : len(listed) + 1]] == [t.provider_id for t in listed]
    assert rows[1][4] == "19.99" and rows[1][5] == "EUR" and rows[1][8] == "ada@example.org"


def test_disputes_export_keeps_the_open_default_and_the_status_filter(owner_client, merchant):
    customer = factories.CustomerFactory(merchant=merchant)
    now = timezone.now()
    open_ones = [
        factories.DisputeFactory(
            transaction__customer=customer,
            status="NEEDS_RESPONSE",
            due_by=now + timedelta(days=i + 1),
        )
        for i in range(3)
    ]
    won = factories.DisputeFactory(transaction__customer=customer, status="WON")

    rows = _csv(_export(owner_client, "disputes"))
    listed = owner_client.get(reverse("transactions:disputes")).context["page"].items

    assert rows[0][:3] == ["dispute_id", "status", "reason"]
    assert [r[0] for r in rows[1:]] == [d.provider_id for d in open_ones] == [d.provider_id for d in listed]
    assert [r[0] for r in _csv(_export(owner_client, "disputes", {"status": "WON"}))[1:]] == [won.provider_id]


def test_access_codes_export_matches_the_status_filter(owner_client, merchant):
    customer = factories.CustomerFactory(merchant=merchant)
    unused = [factories.AccessCodeFactory(merchant=merchant, batch="b-1") for _ in range(3)]
    factories.AccessCodeFactory(merchant=merchant, redeemed_by=customer, redeemed_at=timezone.now())

    listed = list(
        owner_client.get(reverse("purchases:access-codes"), {"status": "UNUSED"}).context["page_obj"]
    )
    rows = _csv(_export(owner_client, "access-codes", {"status": "UNUSED"}))

    assert rows[0] == [
        "code",
        "products",
        "duration",
        "batch",
        "status",
        "redeemed_by",
        "redeemed_at",
        "created_at",
    ]
    assert [r[0] for r in rows[1:]] == [c.code for c in listed]
    assert {r[0] for r in rows[1:]} == {c.code for c in unused} and {r[4] for r in rows[1:]} == {"UNUSED"}


def test_audit_export_uses_the_audit_filters_and_defuses_formulas(owner_client, merchant, owner):
    customer = factories.CustomerFactory(merchant=merchant, name='=HYPERLINK("http://evil")')
    audit_record(
        merchant=merchant,
        actor=owner,
        action="note.add",
        target=customer,
        customer=customer,
        now=timezone.now(),
    )
    audit_record(merchant=merchant, actor=owner, action="credit.create", target=merchant, now=timezone.now())

    rows = _csv(_export(owner_client, "audit", {"action": "note.add"}))

    assert rows[0][:3] == ["time", "actor", "action"]
    assert len(rows) == 2 and rows[1][2] == "note.add" and rows[1][1] == owner.email
    assert rows[1][5].startswith("'=")


def test_formula_cells_are_defused_in_every_cell(owner_client, merchant):
    factories.CustomerFactory(merchant=merchant, name="=1+2", email="+cmd@example.org")

    row = _csv(_export(owner_client, "customers"))[1]

    assert row[1] == "'=1+2" and row[2] == "'+cmd@example.org"


def test_the_list_button_carries_the_filters_the_list_applied(owner_client, merchant):
    body = owner_client.get(reverse("customers:list"), {"blocked": "yes", "q": "ada", "after": "x~1"}).text

    assert f'action="{reverse("exports:start", args=["customers"])}"' in body
    assert '<input type="hidden" name="blocked" value="yes">' in body
    assert '<input type="hidden" name="q" value="ada">' in body
    assert 'name="after"' not in body.split('id="export-customers"')[1].split("</form>")[0]


def test_a_filter_the_list_ignored_is_not_carried_into_the_button(owner_client, merchant):
    body = owner_client.get(reverse("customers:list"), {"blocked": "maybe"}).text
    form = body.split('id="export-customers"')[1].split("</form>")[0]

    assert 'name="blocked"' not in form


# --- Every export is audited --------------------------------------------------------------------------------


def test_a_streamed_export_writes_an_audit_event_with_kind_and_filters(owner_client, merchant, owner):
    _export(owner_client, "transactions", {"status": "SUCCEEDED", "after": "ignored"})

    event = AuditEvent.objects.get(action="export.stream")
    assert event.actor == owner and event.merchant == merchant
    assert event.data == {"kind": "TRANSACTIONS", "filters": {"status": ["SUCCEEDED"]}, "mode": "stream"}


# --- Tenants and roles --------------------------------------------------------------------------------------


def test_another_merchants_rows_are_never_exported(owner_client, merchant, other_merchant):
    factories.CustomerFactory(merchant=merchant, name="Mine")
    factories.CustomerFactory(merchant=other_merchant, name="Theirs")

    names = [r[1] for r in _csv(_export(owner_client, "customers"))[1:]]

    assert names == ["Mine"]


def test_another_merchants_job_is_a_404(owner_client, other_merchant):
    job = factories.ExportJobFactory(merchant=other_merchant)

    assert owner_client.post(reverse("exports:download", args=[job.pk])).status_code == 404
    assert f"export-job-{job.pk}" not in owner_client.get(reverse("exports:list")).text


def test_support_exports_the_lists_it_sees_but_not_the_audit(support_client, merchant):
    factories.CustomerFactory(merchant=merchant)

    assert _export(support_client, "customers").status_code == 200
    assert _export(support_client, "disputes").status_code == 200
    assert _export(support_client, "audit").status_code == 403
    assert not AuditEvent.objects.filter(data__kind="AUDIT").exists()


def test_support_neither_sees_nor_downloads_an_audit_export_job(support_client, merchant):
    job = factories.ExportJobFactory(merchant=merchant, kind="AUDIT")
    mine = factories.ExportJobFactory(merchant=merchant, kind="CUSTOMERS")

    page = support_client.get(reverse("exports:list")).text
    assert f"export-job-{mine.pk}" in page and f"export-job-{job.pk}" not in page
    assert support_client.post(reverse("exports:download", args=[job.pk])).status_code == 404


def test_managers_export_the_audit(manager_client):
    assert _export(manager_client, "audit").status_code == 200


def test_an_unknown_list_is_a_404_and_get_is_not_allowed(owner_client):
    assert _export(owner_client, "payroll").status_code == 404
    assert owner_client.get(reverse("exports:start", args=["customers"])).status_code == 405


# --- Hostile filters ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("customers", {"q": "A" * 100_000}),
        ("customers", {"product": "99999999999999999999"}),
        ("customers", {"blocked": "a\x00b"}),
        ("transactions", {"date_from": "2026-02-30"}),
        ("transactions", {"status": "²"}),
        ("disputes", {"status": "DROP TABLE"}),
        ("access-codes", {"batch": "a/b"}),
        ("audit", {"actor": "99999999999999999999"}),
    ],
)
def test_hostile_filters_are_refused_with_a_message_and_nothing_is_written(owner_client, kind, data):
    response = _export(owner_client, kind, data)

    assert response.status_code == 400
    assert 'role="alert"' in response.text and "not valid" in response.text
    assert not AuditEvent.objects.exists() and not ExportJob.objects.exists()


# --- Background jobs ----------------------------------------------------------------------------------------


@pytest.fixture
def low_threshold(settings):
    settings.TELLER_EXPORT_BACKGROUND_ROWS = 2


def test_large_is_decided_by_a_limited_count_never_a_full_one(merchant):
    for _ in range(4):
        factories.CustomerFactory(merchant=merchant)
    qs = services.select(kind=services.BY_KIND["CUSTOMERS"], merchant=merchant, params={}, now=timezone.now())

    with CaptureQueriesContext(connection) as queries:
        assert services.is_large(qs.queryset, threshold=2)
        assert not services.is_large(qs.queryset, threshold=4)

    assert all("LIMIT" in q["sql"] for q in queries.captured_queries)


def test_a_large_export_runs_in_the_background_and_downloads(
    owner_client, merchant, owner, low_threshold, django_capture_on_commit_callbacks
):
    made = [factories.CustomerFactory(merchant=merchant, name=f"=Person {i}") for i in range(3)]

    with django_capture_on_commit_callbacks(execute=True):
        response = _export(owner_client, "customers", {"blocked": "no"})

    assert response.status_code == 302 and response["Location"] == reverse("exports:list")
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.DONE and job.rows_done == 3 and job.requested_by == owner
    assert job.filters == {"blocked": ["no"]} and job.kind == "CUSTOMERS"
    assert job.summary == "Blocked: Not blocked"
    assert job.file.name.startswith("exports/") and len(job.file.name) > 40  # random, unguessable
    assert job.expires_at > timezone.now() + timedelta(hours=23)
    page = owner_client.get(reverse("exports:list")).text
    assert f'id="export-download-{job.pk}"' in page and 'hx-trigger="every 2s"' not in page
    assert "Blocked: Not blocked" in page

    download = owner_client.post(reverse("exports:download", args=[job.pk]))

    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    rows = _csv(download)
    assert {r[0] for r in rows[1:]} == {c.public_id for c in made}
    assert all(r[1].startswith("'=") for r in rows[1:])
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["export.start", "export.download"]
    assert AuditEvent.objects.get(action="export.start").data["filters"] == {"blocked": ["no"]}


def test_the_job_reports_progress_as_it_writes(merchant, owner, monkeypatch, low_threshold):
    for _ in range(5):
        factories.CustomerFactory(merchant=merchant)
    seen = []
    real = services.report_progress

    def spy(job_id, done):
        real(job_id, done)
        job = ExportJob.objects.get(pk=job_id)
        seen.append((job.status, job.rows_done, job.rows_total))

    monkeypatch.setattr(services, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(services, "report_progress", spy)
    job = factories.ExportJobFactory(merchant=merchant, queued=True)

    services.export_job_run(job_id=job.pk)

    # rows_total is an estimate (PostgreSQL's planner; exact on SQLite), never below the threshold + 1
    assert [(status, done) for status, done, _ in seen] == [("RUNNING", 2), ("RUNNING", 4)]
    assert all(3 <= total <= 5 or connection.vendor == "postgresql" and total >= 3 for *_, total in seen)
    job.refresh_from_db()
    assert job.status == "DONE" and job.rows_done == 5 and job.percent == 100
    assert services.export_job_run(job_id=job.pk) is None  # a second delivery finds it claimed


def test_the_exports_page_polls_while_a_job_runs(owner_client, merchant):
    job = factories.ExportJobFactory(merchant=merchant, queued=True)

    page = owner_client.get(reverse("exports:list")).text
    assert 'hx-trigger="every 2s"' in page and "Waiting for a worker" in page

    ExportJob.objects.filter(pk=job.pk).update(status="RUNNING", rows_done=40, rows_total=100)
    fragment = owner_client.get(reverse("exports:list"), headers={"HX-Request": "true"}).text
    assert "<html" not in fragment and 'value="40"' in fragment and "40 of about 100 rows" in fragment
    assert owner_client.post(reverse("exports:download", args=[job.pk])).status_code == 409


def test_a_job_whose_filters_no_longer_validate_fails_with_a_message(merchant):
    job = factories.ExportJobFactory(merchant=merchant, queued=True, filters={"blocked": ["maybe"]})

    services.export_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == "FAILED" and "Blocked" in job.error and not job.file


# --- Expiry -------------------------------------------------------------------------------------------------


def test_the_sweep_deletes_expired_files_and_downloads_are_gone(owner_client, merchant):
    old = factories.ExportJobFactory(merchant=merchant, expires_at=timezone.now() - timedelta(minutes=1))
    fresh = factories.ExportJobFactory(merchant=merchant)
    name = old.file.name
    assert default_storage.exists(name)

    assert owner_client.post(reverse("exports:download", args=[old.pk])).status_code == 410
    assert services.exports_expire(now=timezone.now()) == 1

    old.refresh_from_db()
    assert old.status == "EXPIRED" and not old.file and not default_storage.exists(name)
    assert default_storage.exists(fresh.file.name)
    response = owner_client.post(reverse("exports:download", args=[old.pk]))
    assert response.status_code == 410 and "expired" in response.text
    assert not AuditEvent.objects.filter(action="export.download").exists()


def test_the_expiry_sweep_is_scheduled_and_run_sweeps_runs_it(merchant, monkeypatch):
    from django.core.management import call_command

    from config.celery import app

    app.loader.import_default_modules()
    entries = [e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "exports.tasks.expire_exports" in entries and "exports.tasks.run_export" in app.tasks
    old = factories.ExportJobFactory(merchant=merchant, expires_at=timezone.now() - timedelta(seconds=1))

    call_command("run_sweeps", "--once", stdout=io.StringIO())

    old.refresh_from_db()
    assert old.status == "EXPIRED" and not default_storage.exists(old.file.name or "missing")


def test_a_job_that_lost_its_worker_is_queued_again_and_finishes(
    merchant, django_capture_on_commit_callbacks
):
    factories.CustomerFactory(merchant=merchant)
    long_ago = timezone.now() - timedelta(minutes=30)
    job = factories.ExportJobFactory(merchant=merchant, queued=True)
    ExportJob.objects.filter(pk=job.pk).update(status="RUNNING", rows_done=7, heartbeat_at=long_ago)
    alive = factories.ExportJobFactory(merchant=merchant, queued=True)
    ExportJob.objects.filter(pk=alive.pk).update(status="RUNNING", heartbeat_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        assert services.exports_resume_stalled(now=timezone.now()) == 1

    job.refresh_from_db()
    alive.refresh_from_db()
    assert job.status == "DONE" and job.rows_done == 1 and alive.status == "RUNNING"
