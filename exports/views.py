"""Pages of the background CSV exports, and the one answer every export URL gives.

An export URL (each app's, for a kind of export it registers in exports.registry) calls
export_answer: a small export streams at once, as it always has; a large one becomes an
ExportJob that a worker writes, and the user is sent to its page (a progress bar, then a
download link).
An export job is its owner's alone: anyone else — a teammate, their manager, another
team — gets a 404, as for a record they cannot see.
"""

import csv

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from accounts.visibility import get_visible_or_404
from core.csv_safety import Echo
from core.text import one_line
from exports import registry, selectors, services
from exports.models import ExportJob
from exports.registry import CsvExport

PAGE_SIZE = 25
EXPORT_QUEUED = (
    "This export has more than {limit:,} rows, so it is written in the background. You can "
    "leave this page: the file stays under Your exports for {days} days."
)
EXPORT_RESTARTED = "The export was started again."
EXPORT_NOT_READY = "This export is not ready yet."


def attachment(file_name: str) -> str:
    """The Content-Disposition of a download: its name on one line (core.text.one_line),
    quoted or encoded as RFC 6266 says, whatever the name holds."""
    return content_disposition_header(True, one_line(file_name))


def csv_response(export: CsvExport, *, file_name: str) -> StreamingHttpResponse:
    """The export streamed row by row while it is read from the database."""
    writer = csv.writer(Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in export.rows()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = attachment(file_name)
    return response


def export_answer(request, *, kind: str, params: dict, team_id: int | None, file_name: str):
    """What an export URL answers: the CSV itself when it has at most
    settings.WARMPATH_EXPORT_INLINE_MAX_ROWS rows (one bounded COUNT tells), otherwise a
    background job and a redirect to its progress page. `params` define the rows (see
    exports.selectors.export_for); the worker computes them again as this user. A kind
    no app registers is a 404, never a server error."""
    try:
        export = selectors.export_for(kind=kind, user=request.user, params=params)
    except registry.UnknownExportKind:
        raise Http404(registry.UNKNOWN_KIND) from None
    limit = settings.WARMPATH_EXPORT_INLINE_MAX_ROWS
    if export.count_up_to(limit) <= limit:
        return csv_response(export, file_name=file_name)
    job = services.export_job_create(
        owner=request.user, team_id=team_id, kind=kind, params=params, file_name=file_name
    )
    messages.info(
        request, EXPORT_QUEUED.format(limit=limit, days=settings.WARMPATH_EXPORT_KEEP_DAYS)
    )
    return redirect("exports:detail", pk=job.pk)


@require_GET
def export_list(request):
    # Queries: session, user, visibility memberships, the count, the page of jobs
    # (without their files); the context processors' own.
    jobs = selectors.export_jobs_for_user(user=request.user)
    page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "exports/export_list.html",
        {"page": page, "keep_days": settings.WARMPATH_EXPORT_KEEP_DAYS},
    )


@require_GET
def export_detail(request, pk: int):
    job = get_visible_or_404(selectors.export_jobs_for_user(user=request.user), pk=pk)
    return render(
        request,
        "exports/export_detail.html",
        {"job": job, "keep_days": settings.WARMPATH_EXPORT_KEEP_DAYS},
    )


@require_GET
def export_status(request, pk: int):
    """The progress bar, polled every second by htmx while a worker writes the file; once
    the export has ended, the whole page reloads to show the download link or the error."""
    job = get_visible_or_404(selectors.export_jobs_for_user(user=request.user), pk=pk)
    if job.is_finished and request.htmx:
        return HttpResponseClientRefresh()
    return render(request, "exports/_export_status.html", {"job": job})


@require_GET
def export_download(request, pk: int):
    job = get_visible_or_404(
        selectors.export_jobs_for_user(user=request.user, with_result=True), pk=pk
    )
    if job.status != ExportJob.Status.DONE:
        messages.info(request, EXPORT_NOT_READY)
        return redirect("exports:detail", pk=job.pk)
    response = StreamingHttpResponse(
        selectors.export_file_chunks(job=job), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = attachment(job.file_name)
    response["Content-Length"] = str(job.csv_size)
    return response


@require_POST
def export_restart(request, pk: int):
    job = get_visible_or_404(selectors.export_jobs_for_user(user=request.user), pk=pk)
    try:
        services.export_job_restart(job=job)
    except services.ExportRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, EXPORT_RESTARTED)
    return redirect("exports:detail", pk=job.pk)
