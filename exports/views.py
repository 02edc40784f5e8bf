"""Exports: start an export of a list (POST, the list's filters in the body), the Exports page, downloads.

Thin: what is selected and written is in exports/services.py, what each list exports in exports/kinds.py.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from merchants.guards import get_for_merchant, merchant_required
from merchants.permissions import has_permission

from . import services
from .kinds import KINDS
from .models import ExportJob

TEMPLATE = "exports/export_list.html"
JOBS_SHOWN = 50


def _kind(request, slug):
    kind = KINDS.get(slug)
    if kind is None:
        raise Http404("No such export.")
    if not has_permission(request.membership, kind.permission):
        raise PermissionDenied("Your role does not allow exporting this list.")
    return kind


def _visible_kinds(request) -> list[str]:
    return [k.kind for k in KINDS.values() if has_permission(request.membership, k.permission)]


def _refused(request, kind, error: services.ExportRefused, status: int):
    context = {"error": error, "kind": kind, "list_url": kind.list_url if kind else "exports:list"}
    return render(request, "exports/export_refused.html", context, status=status)


@merchant_required("export")
@require_POST
def export_start(request, kind):
    """Small: the CSV streams back at once. Large: a background job, and the Exports page."""
    kind = _kind(request, kind)
    now = timezone.now()
    try:
        selection = services.select(kind=kind, merchant=request.merchant, params=request.POST, now=now)
    except services.ExportRefused as error:
        return _refused(request, kind, error, 400)
    if services.is_large(selection.queryset):
        job = services.export_start(
            actor=request.user, merchant=request.merchant, selection=selection, now=now
        )
        messages.success(
            request,
            f"More than {services.background_threshold():,} rows: the {job.get_kind_display().lower()} "
            "export runs in the background. It appears here when it is ready.",
        )
        return redirect("exports:list")
    lines = services.export_stream(
        actor=request.user, merchant=request.merchant, selection=selection, now=now
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    name = services.download_name(kind, request.merchant, timezone.localtime(now))
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def _jobs(request):
    return (
        ExportJob.objects.for_merchant(request.merchant)
        .filter(kind__in=_visible_kinds(request))
        .select_related("requested_by")
        .order_by("-created_at", "-id")
    )


@merchant_required("export")
def export_list(request):
    jobs = list(_jobs(request)[:JOBS_SHOWN])
    context = {
        "jobs": jobs,
        "polling": any(job.is_active for job in jobs),
        "threshold": services.background_threshold(),
    }
    return render(request, f"{TEMPLATE}#jobs" if request.htmx else TEMPLATE, context)


@merchant_required("export")
@require_POST
def export_download(request, pk):
    job = get_for_merchant(_jobs(request), request, pk=pk)  # another merchant's (or kind's) job: 404
    now = timezone.now()
    try:
        handle = services.export_download(actor=request.user, job=job, now=now)
    except services.ExportGone as error:
        return _refused(request, None, error, 410)
    except services.ExportRefused as error:
        return _refused(request, None, error, 409)
    name = services.download_name(job, request.merchant, timezone.localtime(job.created_at))
    response = FileResponse(handle, as_attachment=True, filename=name, content_type="text/csv; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
