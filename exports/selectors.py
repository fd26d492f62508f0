"""Reads of the exports app: whose export jobs a user sees, and what an export writes."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from datetime import date

from django.db.models import QuerySet

from accounts.visibility import visible_shared
from contacts.exports import CsvExport, contacts_export, relationships_export
from dashboard.exports import referrals_export
from exports.models import ExportJob

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
    one. Raises KeyError/ValueError for params no page would have made."""
    if kind == ExportJob.Kind.CONTACTS:
        return contacts_export(user=user, team_id=params["team_id"], filters=params["filters"])
    if kind == ExportJob.Kind.RELATIONSHIPS:
        return relationships_export(user=user, team_id=params["team_id"])
    if kind == ExportJob.Kind.REFERRALS:
        return referrals_export(
            user=user,
            team_ids=params["team_ids"],
            start=date.fromisoformat(params["start"]),
            end=date.fromisoformat(params["end"]),
        )
    raise ValueError(f"Unknown export kind {kind!r}")


def export_file_chunks(*, job: ExportJob) -> Iterator[bytes]:
    """The stored CSV of a finished job (loaded with_result), decompressed a chunk at a
    time: a download never holds the whole uncompressed file in memory."""
    with gzip.GzipFile(fileobj=io.BytesIO(bytes(job.result)), mode="rb") as csv_file:
        while chunk := csv_file.read(DOWNLOAD_CHUNK_BYTES):
            yield chunk
