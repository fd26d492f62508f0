"""The life of a background CSV export: created by an export URL whose rows are too many to
stream while the user waits, published to a worker after commit, written by the worker as
its owner sees the rows, kept compressed in the database for a few days, then purged."""

from __future__ import annotations

import csv
import enum
import gzip
import io
import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from core.csv_safety import Echo
from core.tasks import publish_after_commit
from core.text import fit_file_name
from exports import registry
from exports.models import STALE_AFTER, ExportJob
from exports.registry import EXPORT_CHUNK_ROWS
from exports.selectors import export_for

logger = logging.getLogger(__name__)

EXPORT_FAILED = (
    "The export stopped on an unexpected error. Try again; if it happens again, tell your "
    "administrator."
)
CANNOT_RESTART = "This export is already running or finished; there is nothing to start again."


class RunOutcome(enum.Enum):
    DONE = "done"  # written (or failed, with the job saying why)
    NOTHING_TO_DO = "nothing to do"  # finished already, or deleted
    BUSY = "busy"  # another worker is writing it and still reporting progress


# Unfinished jobs of the user compared with a new request for the same export.
SAME_EXPORT_LOOKBACK = 20

# The Celery task that writes a job (exports.tasks), published by its name after commit:
# with the broker down the job stays queued, and its page offers to start it again.
RUN_TASK = "exports.tasks.export_job_run"


class ExportRefused(Exception):
    """A request on an export job that its state does not allow, with the reason."""


# --- Creating and publishing ---------------------------------------------------------------


def export_job_create(
    *, owner, team_id: int | None, kind: str, params: dict, file_name: str
) -> ExportJob:
    """Queue a background export and publish it to a worker once committed. The same
    export asked again while it is still waiting or running (a reload, a double click)
    gives the job already under way rather than a second one. A kind no app registers
    raises UnknownExportKind."""
    registry.kind_get(kind)
    unfinished = (
        ExportJob.objects.filter(
            owner=owner, kind=kind, status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING]
        )
        .defer("result")
        .order_by("-created_at", "-pk")[:SAME_EXPORT_LOOKBACK]
    )
    for job in unfinished:
        if job.params == params and job.team_id == team_id:
            return job
    job = ExportJob.objects.create(
        owner=owner,
        team_id=team_id,
        kind=kind,
        params=params,
        file_name=fit_file_name(file_name, ExportJob._meta.get_field("file_name").max_length),
    )
    publish_after_commit(RUN_TASK, [job.pk])
    return job


def export_job_restart(*, job: ExportJob, now=None) -> None:
    """Start a job again: one still waiting (its message was lost — the broker was down
    when it was created), one that failed, or one whose worker stopped reporting progress
    (STALE_AFTER) without finishing. Anything else, or a kind no app registers any more,
    raises ExportRefused."""
    try:
        registry.kind_get(job.kind)
    except registry.UnknownExportKind:
        raise ExportRefused(registry.UNKNOWN_KIND) from None
    now = now or timezone.now()
    restarted = ExportJob.objects.filter(
        Q(status__in=[ExportJob.Status.QUEUED, ExportJob.Status.FAILED])
        | Q(status=ExportJob.Status.RUNNING, progress_at__lt=now - STALE_AFTER),
        pk=job.pk,
    ).update(status=ExportJob.Status.QUEUED, error="", rows_done=0, finished_at=None)
    if not restarted:
        raise ExportRefused(CANNOT_RESTART)
    publish_after_commit(RUN_TASK, [job.pk])


# --- The worker's part ---------------------------------------------------------------------


def export_job_run(*, job_id: int) -> RunOutcome:
    """Write the job's CSV: claim it (queued → running, or running but abandoned by a
    dead worker), compute the rows as its owner sees them now, report the progress every
    chunk of rows, then store the compressed file and mark it done. A message delivered
    again for a job done, failed or deleted does nothing; for a job another worker is
    still writing it says BUSY (the task looks again later: that worker may have been
    killed and its message given back at once, reject_on_worker_lost). An unexpected error
    marks the job failed with a message for its owner; nothing is retried on its own."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(
        Q(status=ExportJob.Status.QUEUED)
        | Q(status=ExportJob.Status.RUNNING, progress_at__lt=now - STALE_AFTER),
        pk=job_id,
    ).update(status=ExportJob.Status.RUNNING, started_at=now, progress_at=now, rows_done=0)
    if not claimed:
        running = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING)
        return RunOutcome.BUSY if running.exists() else RunOutcome.NOTHING_TO_DO
    job = ExportJob.objects.defer("result").select_related("owner").get(pk=job_id)
    try:
        export = export_for(kind=job.kind, user=job.owner, params=job.params)
        total = export.records.count()
        ExportJob.objects.filter(pk=job_id).update(rows_total=total)
        compressed, csv_size, rows = _write(job_id, export)
    except Exception as failure:
        logger.exception("Export %s failed", job_id)
        unknown = isinstance(failure, registry.UnknownExportKind)
        ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(
            status=ExportJob.Status.FAILED,
            error=registry.UNKNOWN_KIND if unknown else EXPORT_FAILED,
            finished_at=timezone.now(),
        )
        return RunOutcome.DONE
    finished = timezone.now()
    ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(
        status=ExportJob.Status.DONE,
        result=compressed,
        csv_size=csv_size,
        rows_done=rows,
        rows_total=rows,
        error="",
        progress_at=finished,
        finished_at=finished,
    )
    return RunOutcome.DONE


def _write(job_id: int, export) -> tuple[bytes, int, int]:
    """The export's CSV, gzip-compressed in memory, as (bytes, CSV size, data rows). The
    lines are written exactly as the page streams them (csv.writer's own line ends)."""
    writer = csv.writer(Echo())
    buffer = io.BytesIO()
    csv_size = rows = 0
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed:
        lines: list[str] = []
        for row in export.rows():
            lines.append(writer.writerow(row))
            if len(lines) >= EXPORT_CHUNK_ROWS:
                csv_size += _flush(compressed, lines)
                rows += len(lines)
                _report_progress(job_id, rows - 1)  # the header is not a row of data
                lines = []
        csv_size += _flush(compressed, lines)
        rows += len(lines)
    return buffer.getvalue(), csv_size, rows - 1


def _flush(compressed: gzip.GzipFile, lines: list[str]) -> int:
    data = "".join(lines).encode("utf-8")
    compressed.write(data)
    return len(data)


def _report_progress(job_id: int, rows_done: int) -> None:
    # A plain UPDATE outside any transaction: the progress bar's poll sees it at once.
    ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(
        rows_done=rows_done, progress_at=timezone.now()
    )


# --- Keeping ----------------------------------------------------------------------------------


def export_jobs_purge(*, now=None) -> int:
    """Delete the exports older than settings.WARMPATH_EXPORT_KEEP_DAYS, whatever their
    state; returns how many. Run twice, the second run finds nothing to delete."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WARMPATH_EXPORT_KEEP_DAYS)
    # Without reading the files: deleting must not load megabytes per row into memory.
    deleted, _ = ExportJob.objects.filter(created_at__lt=cutoff).defer("result").delete()
    return deleted
