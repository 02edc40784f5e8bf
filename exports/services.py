"""Starting, running, downloading and expiring CSV exports (keyword-only, `actor` and `now`).

Small exports stream at once; an export of more than `TELLER_EXPORT_BACKGROUND_ROWS` rows becomes an
`ExportJob` a Celery task writes to the default storage. "More than" is decided by counting at most
threshold + 1 ids (a LIMIT subquery), never a full COUNT of a 10M-row list. Every export and every download
writes an audit event with the kind and the filters.
"""

from __future__ import annotations

import json
import logging
import secrets
import tempfile
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connections, transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record
from common.csv import csv_stream

from .kinds import BY_KIND, Kind, filter_data
from .models import ExportJob

logger = logging.getLogger(__name__)

FILE_LIFETIME = timedelta(days=1)
PROGRESS_EVERY = 1000  # rows between two progress writes (each one is also the job's heartbeat)
STALLED_AFTER = timedelta(minutes=10)  # a RUNNING job without a heartbeat for this long lost its worker


class ExportRefused(Exception):
    def __init__(self, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.message, self.errors = message, errors or []


@dataclass
class Selection:
    kind: Kind
    data: QueryDict  # the filters as the list reads them
    queryset: QuerySet
    summary: str = ""  # the filters in words ("Blocked: Blocked; Product: VIP channel")

    @property
    def filters(self) -> dict[str, list[str]]:
        return {name: self.data.getlist(name) for name in self.data}


def select(*, kind: Kind, merchant, params, now: datetime) -> Selection:
    """The rows the list shows for these filters. A filter the list would ignore with a note is refused
    here instead: an export must not silently differ from what the person asked for."""
    data = filter_data(kind, params)
    bound = kind.bind(data, merchant)
    form = kind.form_of(bound)
    if form.is_bound and form.errors:
        errors = [
            f"{form.fields[name].label or name if name in form.fields else name}: {' '.join(messages)}"
            for name, messages in form.errors.items()
        ]
        raise ExportRefused("The export was not started: some filters are not valid.", errors)
    return Selection(
        kind=kind, data=data, queryset=kind.rows(bound, merchant, now), summary=describe(form, data)
    )


def describe(form, data: QueryDict) -> str:
    """The filters as the list's form labels them, for the Exports page (read once, when the job starts)."""
    if not form.is_bound or not form.is_valid():
        return ""
    parts = []
    for name in data:
        field, value = form.fields.get(name), form.cleaned_data.get(name)
        if field is None or value in (None, ""):
            continue
        choices = dict(getattr(field, "choices", None) or []) if not hasattr(field, "queryset") else {}
        shown = choices.get(value, value) if choices else value
        parts.append(f"{field.label or name}: {shown}")
    return "; ".join(parts)[:500]


def background_threshold() -> int:
    return max(0, int(settings.TELLER_EXPORT_BACKGROUND_ROWS))


def is_large(queryset: QuerySet, threshold: int | None = None) -> bool:
    """More than `threshold` rows? Counts ids up to threshold + 1 only (a LIMIT subquery)."""
    threshold = background_threshold() if threshold is None else threshold
    return queryset.order_by().values("pk")[: threshold + 1].count() > threshold


def _audit_data(selection: Selection, mode: str) -> dict:
    return {"kind": selection.kind.kind, "filters": selection.filters, "mode": mode}


def export_stream(*, actor, merchant, selection: Selection, now: datetime) -> Iterator[str]:
    """Audit the export, then hand back the CSV lines, read in chunks (never every row in memory)."""
    with transaction.atomic():
        audit_record(
            merchant=merchant,
            actor=actor,
            action=AuditAction.EXPORT_STREAM,
            target=merchant,
            now=now,
            data=_audit_data(selection, "stream"),
        )
    return csv_stream(selection.kind.header, selection.kind.csv_rows(selection.queryset))


def export_start(*, actor, merchant, selection: Selection, now: datetime) -> ExportJob:
    """An ExportJob for the background worker (enqueued once the job row is committed)."""
    from .tasks import run_export  # late: tasks.py imports this module (its task runs the export)

    with transaction.atomic():
        job = ExportJob.objects.create(
            merchant=merchant,
            requested_by=actor if getattr(actor, "is_authenticated", False) else None,
            kind=selection.kind.kind,
            filters=selection.filters,
            summary=selection.summary,
            status=ExportJob.Status.QUEUED,
            created_at=now,
            expires_at=now + FILE_LIFETIME,
        )
        audit_record(
            merchant=merchant,
            actor=actor,
            action=AuditAction.EXPORT_START,
            target=job,
            now=now,
            data=_audit_data(selection, "background"),
        )
        transaction.on_commit(lambda: run_export.delay(job.pk))
    return job


def export_download(*, actor, job: ExportJob, now: datetime):
    """The job's file, opened, after auditing the download; ExportRefused when it is not (or no longer)
    there. `gone` on the error says the file existed and has expired (410)."""
    if job.status == ExportJob.Status.EXPIRED or (
        job.status == ExportJob.Status.DONE and job.expires_at <= now
    ):
        raise ExportGone("This export has expired: its file was deleted a day after it was made.")
    if job.status != ExportJob.Status.DONE:
        raise ExportRefused("This export is not ready yet." if job.is_active else "This export failed.")
    try:
        handle = default_storage.open(job.file.name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise ExportGone("This export's file is no longer there.") from exc
    with transaction.atomic():
        audit_record(
            merchant=job.merchant,
            actor=actor,
            action=AuditAction.EXPORT_DOWNLOAD,
            target=job,
            now=now,
            data={"kind": job.kind, "filters": job.filters, "rows": job.rows_done},
        )
    return handle


class ExportGone(ExportRefused):
    pass


def download_name(job_or_kind, merchant, at: datetime) -> str:
    kind = BY_KIND[job_or_kind.kind] if isinstance(job_or_kind, ExportJob) else job_or_kind
    return f"teller-{kind.slug}-{merchant.slug}-{at:%Y%m%d-%H%M}.csv"


def new_file_name() -> str:
    """Unguessable: 192 random bits. The file is never served by its name, only by the checked view."""
    return f"exports/{secrets.token_urlsafe(24)}.csv"


def estimate_rows(queryset: QuerySet) -> int:
    """The planner's row estimate on PostgreSQL (no COUNT over millions of rows); an exact count elsewhere."""
    conn = connections[queryset.db]
    if conn.vendor != "postgresql":
        return queryset.order_by().count()
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with conn.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return max(0, int(plan[0]["Plan"]["Plan Rows"]))


def export_job_run(*, job_id: int, now_fn=timezone.now) -> ExportJob | None:
    """Claim a QUEUED job (a second delivery finds it claimed and does nothing), write its CSV to a
    temporary file with progress every PROGRESS_EVERY rows, store it under a random name, mark it DONE."""
    started = now_fn()
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, started_at=started, heartbeat_at=started, rows_done=0
    )
    if not claimed:
        return None
    job = ExportJob.objects.select_related("merchant").get(pk=job_id)
    kind = BY_KIND[job.kind]
    params = QueryDict(mutable=True)
    for name, values in (job.filters or {}).items():
        if isinstance(values, list):
            params.setlist(name, [str(v) for v in values])
    try:
        with timezone.override(zoneinfo.ZoneInfo(job.merchant.time_zone or "UTC")):
            selection = select(kind=kind, merchant=job.merchant, params=params, now=job.created_at)
        # The job exists because the list had more rows than the threshold: the estimate is at least that.
        total = max(estimate_rows(selection.queryset), background_threshold() + 1)
        ExportJob.objects.filter(pk=job.pk).update(rows_total=total)
        done = 0
        with tempfile.TemporaryFile() as tmp:
            lines = csv_stream(kind.header, kind.csv_rows(selection.queryset))
            tmp.write(next(lines).encode())
            for line in lines:
                tmp.write(line.encode())
                done += 1
                if done % PROGRESS_EVERY == 0:
                    report_progress(job.pk, done)
            tmp.seek(0)
            name = default_storage.save(new_file_name(), File(tmp))
        finished = now_fn()
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.DONE,
            rows_done=done,
            rows_total=done,
            file=name,
            finished_at=finished,
            expires_at=finished + FILE_LIFETIME,
        )
    except ExportRefused as exc:
        _fail(job.pk, exc.message + " " + " ".join(exc.errors), now_fn())
    except Exception as exc:
        logger.exception("export %s failed", job.pk)
        _fail(job.pk, f"The export failed ({type(exc).__name__}). Start it again.", now_fn())
    job.refresh_from_db()
    return job


def report_progress(job_id: int, done: int) -> None:
    ExportJob.objects.filter(pk=job_id).update(rows_done=done, heartbeat_at=timezone.now())


def _fail(job_id: int, message: str, now: datetime) -> None:
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportJob.Status.FAILED, error=message[:1000], finished_at=now
    )


def exports_resume_stalled(*, now: datetime) -> int:
    """RUNNING jobs whose worker died (no heartbeat for STALLED_AFTER) are queued again and re-sent; the
    file is written from the start, so nothing is duplicated. Returns how many."""
    from .tasks import run_export  # late: tasks.py imports this module (its task runs the export)

    stalled = list(
        ExportJob.objects.filter(
            status=ExportJob.Status.RUNNING, heartbeat_at__lt=now - STALLED_AFTER, expires_at__gt=now
        ).values_list("pk", flat=True)[:100]
    )
    for pk in stalled:
        with transaction.atomic():
            moved = ExportJob.objects.filter(pk=pk, status=ExportJob.Status.RUNNING).update(
                status=ExportJob.Status.QUEUED
            )
            if moved:
                transaction.on_commit(lambda pk=pk: run_export.delay(pk))
    return len(stalled)


def exports_expire(*, now: datetime) -> int:
    """Every job past its expiry: its file deleted, the job EXPIRED (kept as history). Returns how many."""
    expired = 0
    due = ExportJob.objects.filter(expires_at__lte=now).exclude(status=ExportJob.Status.EXPIRED)
    for job in due.order_by("expires_at", "id").iterator(chunk_size=200):
        if job.file:
            try:
                default_storage.delete(job.file.name)
            except OSError:
                logger.warning("export %s: could not delete %s", job.pk, job.file.name)
                continue
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.EXPIRED, file="")
        expired += 1
    return expired
