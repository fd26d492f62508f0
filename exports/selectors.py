"""Reads of the exports app: whose export jobs a user sees, and what an export writes."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator

from django.db.models import QuerySet

from accounts.visibility import visible_shared
from exports import registry
from exports.models import ExportJob
from exports.registry import CsvExport

# Bytes of CSV handed to the response at a time when a stored export is downloaded.
DOWNLOAD_CHUNK_BYTES = 64 * 1024


def export_jobs_for_user(*, user, with_result: bool = False) -> QuerySet[ExportJob]:
    """The user's own exports, and only those: a teammate's or a manager's request for
    someone else's file finds nothing (404). The file itself (up to megabytes) is left
    out unless asked for. Also scoped to the user's teams, as records are: someone who
    left a team no longer downloads what they exported from it (staff: every team)."""
    if not user.is_authenticated:
        return ExportJob.objects.none()
    jobs = visible_shared(ExportJob.objects.filter(owner=user), user)
    return jobs if with_result else jobs.defer("result")


def export_for(*, kind: str, user, params: dict) -> CsvExport:
    """What an export of this kind with these params writes, as `user` sees it: the same
    call for the page that streams a small export and for the worker that writes a large
    one (exports.registry). Raises UnknownExportKind for a kind no app registers, and
    KeyError/ValueError for params no page would have made."""
    return registry.kind_get(kind).build(user=user, params=params)


def export_file_chunks(*, job: ExportJob) -> Iterator[bytes]:
    """The stored CSV of a finished job (loaded with_result), decompressed a chunk at a
    time: a download never holds the whole uncompressed file in memory."""
    with gzip.GzipFile(fileobj=io.BytesIO(bytes(job.result)), mode="rb") as csv_file:
        while chunk := csv_file.read(DOWNLOAD_CHUNK_BYTES):
            yield chunk
