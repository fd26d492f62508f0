"""Committing a plan in one transaction with bulk writes, reporting its progress, and the
life of an ImportJob: created from an upload, its columns chosen, started (at once for a
small file, by a Celery worker for a large one), run by the worker."""

from __future__ import annotations

import json
import logging
from functools import partial

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, OuterRef, QuerySet, Subquery
from django.utils import timezone

from accounts.visibility import visible_owned
from contacts.fit import fit_score
from contacts.imports.files import (
    FileRefused,
    check_required_columns,
    mapping_guess,
    read_table,
    read_upload,
)
from contacts.imports.planning import BATCH_SIZE, ImportPlan, Progress, import_preview
from contacts.models import (
    Activity,
    Company,
    Contact,
    IdealClientProfile,
    ImportJob,
    Relationship,
)
from contacts.services import contact_for_user_ensure
from core.database import statistics_refresh
from core.tasks import publish_after_commit
from core.text import fit_field, fit_file_name

logger = logging.getLogger(__name__)

# The Celery task that runs a large import (contacts.tasks).
RUN_TASK = "contacts.tasks.import_job_run"

# Files up to this many rows are imported while the user waits; bigger ones by a worker.
INLINE_COMMIT_MAX_ROWS = 1000

COMMIT_CONFLICT = (
    "Someone changed the same contacts while this import ran, so nothing was imported. "
    "Open the preview again and import once more."
)
COMMIT_FAILED = (
    "The import stopped on an unexpected error and nothing was imported. Try again; if it "
    "happens again, tell your administrator."
)
ALREADY_STARTED = "This import has already been started."
# An import of at least this many rows refreshes the planner statistics of the tables it
# wrote once it commits (core/database.py): the first big LinkedIn export can multiply a
# team's contacts, and SQLite would otherwise plan with the figures of the empty database
# until the nightly refresh.
STATISTICS_MIN_ROWS = 200
IMPORTED_TABLES = tuple(
    model._meta.db_table for model in (Company, Contact, Relationship, Activity)
)
# The states whose page shows the preview (and whose columns may still be chosen).
PREVIEWED = (ImportJob.Status.PREVIEW, ImportJob.Status.FAILED)

# --- The commit ----------------------------------------------------------------------------------


def _apply(plan: ImportPlan, *, team, user, file_name: str, progress: Progress) -> None:
    """Write the plan with bulk operations, in the caller's transaction."""
    now = timezone.now()
    sizes = (
        len(plan.companies),
        len(plan.new_people),
        len(plan.changed_people),
        len(plan.new_relationships),
        len(plan.changed_relationships),
        len(plan.activities),
    )
    total, done = sum(sizes) or 1, 0

    def step(count: int) -> None:
        nonlocal done
        done += count
        progress(done, total)

    Company.objects.bulk_create(plan.companies, batch_size=BATCH_SIZE)
    step(len(plan.companies))
    if plan.me is not None and plan.me.pk is None:
        plan.me.pk = contact_for_user_ensure(user=user, team=team).pk

    # Fit scores are computed before the rows are written (the same rule as
    # contacts.services.contact_fit_scores_refresh), which needs each contact's company.
    profile = IdealClientProfile.objects.filter(team=team).first()
    changed_contacts = _load_changed_contacts(plan, now=now)
    if profile is not None:
        _attach_companies([person.new for person in plan.new_people] + changed_contacts)
    new_contacts = [person.new for person in plan.new_people]
    for contact in new_contacts + changed_contacts:
        contact.fit_score = fit_score(profile, contact)
    for start in range(0, len(new_contacts), BATCH_SIZE):
        batch = new_contacts[start : start + BATCH_SIZE]
        Contact.objects.bulk_create(batch)
        step(len(batch))
    for person in plan.new_people:
        person.pk = person.new.pk
    Contact.objects.bulk_update(
        changed_contacts,
        ["email", "linkedin_url", "company", "title", "phone", "notes", "fit_score", "updated_at"],
        batch_size=500,
    )
    step(len(changed_contacts))

    relationships = []
    for one, other, tie in plan.new_relationships:
        low, high = sorted((one.pk, other.pk))
        relationships.append(Relationship(team=team, contact_a_id=low, contact_b_id=high, **tie))
    for start in range(0, len(relationships), BATCH_SIZE):
        batch = relationships[start : start + BATCH_SIZE]
        Relationship.objects.bulk_create(batch)
        step(len(batch))
    # Grouped by the fields that change: bulk_update writes every listed field of every row.
    by_fields: dict[tuple[str, ...], list[Relationship]] = {}
    for pk, changes in plan.changed_relationships:
        by_fields.setdefault(tuple(sorted(changes)), []).append(
            Relationship(pk=pk, updated_at=now, **changes)
        )
    for names, batch in by_fields.items():
        Relationship.objects.bulk_update(batch, [*names, "updated_at"], batch_size=500)
    step(len(plan.changed_relationships))

    activities = [
        Activity(
            team=team,
            actor=user,
            contact_id=person.pk,
            verb=verb,
            description=fit_field(Activity, "description", description),
            occurred_at=now,
        )
        for person, verb, description in plan.activities
    ]
    if plan.me is not None and plan.new_relationships:
        activities.append(
            Activity(
                team=team,
                actor=user,
                contact_id=plan.me.pk,
                verb="imported",
                description=fit_field(
                    Activity,
                    "description",
                    f"Imported {len(plan.new_relationships):,} LinkedIn connections"
                    f" from {file_name or 'a file'}",
                ),
                occurred_at=now,
            )
        )
    Activity.objects.bulk_create(activities, batch_size=BATCH_SIZE)
    step(len(plan.activities))


def _load_changed_contacts(plan: ImportPlan, *, now) -> list[Contact]:
    """The existing contacts the plan completes, loaded and changed in memory."""
    changes = {person.pk: person.changes for person in plan.changed_people}
    pks = sorted(changes)
    contacts: list[Contact] = []
    for start in range(0, len(pks), 500):
        contacts.extend(Contact.objects.filter(pk__in=pks[start : start + 500]))
    for contact in contacts:
        for name, value in changes[contact.pk].items():
            if isinstance(value, Company):
                contact.company = value
            elif name == "company":
                contact.company_id = value
            else:
                setattr(contact, name, value)
        contact.updated_at = now
    return contacts


def _attach_companies(contacts: list[Contact]) -> None:
    """Give each contact its company object, one query per 500 companies rather than one
    per contact (fit scores read the company's industry, region and size)."""
    wanted = sorted(
        {
            contact.company_id
            for contact in contacts
            if contact.company_id and not Contact.company.is_cached(contact)
        }
    )
    companies: dict[int, Company] = {}
    for start in range(0, len(wanted), 500):
        companies.update(Company.objects.in_bulk(wanted[start : start + 500]))
    for contact in contacts:
        if contact.company_id in companies and not Contact.company.is_cached(contact):
            contact.company = companies[contact.company_id]


def _set_progress(job_id: int, done: int, total: int) -> None:
    try:
        cache.set(_progress_key(job_id), (done, total), 60 * 60)
    except Exception:  # progress is a nicety: a cache outage must not fail the import
        logger.warning("Could not record the progress of import %s", job_id, exc_info=True)


def _progress_key(job_id: int) -> str:
    return f"warmpath:import:{job_id}:progress"


def import_progress(*, job: ImportJob) -> tuple[int, int]:
    """(done, total) of a running import, as its worker last reported it."""
    if job.is_finished:
        return job.progress_total, job.progress_total
    try:
        value = cache.get(_progress_key(job.pk))
    except Exception:  # a cache outage shows no progress rather than an error page
        value = None
    return tuple(value) if value else (job.progress_done, job.progress_total or 1)


def import_commit(*, job: ImportJob) -> dict:
    """Import the job's file, all or nothing, and return what was done (the preview's
    summary, now true). Refusals (FileRefused) and unexpected failures are recorded on the
    job as FAILED, with nothing else written, and raised. Running it twice imports once."""
    try:
        with transaction.atomic():
            locked = (
                ImportJob.objects.select_for_update().select_related("team", "owner").get(pk=job.pk)
            )
            if locked.status == ImportJob.Status.DONE:
                return locked.result
            half = max(locked.row_count, 1)

            def planning(done: int, total: int) -> None:
                _set_progress(job.pk, done * half // max(total, 1), 2 * half)

            def saving(done: int, total: int) -> None:
                _set_progress(job.pk, half + done * half // max(total, 1), 2 * half)

            plan = import_preview(
                team=locked.team,
                user=locked.owner,
                kind=locked.kind,
                text=locked.content,
                mapping=locked.mapping,
                progress=planning,
            )
            if not plan.ready:
                raise FileRefused(plan.mapping_errors)
            try:
                with transaction.atomic():
                    _apply(
                        plan,
                        team=locked.team,
                        user=locked.owner,
                        file_name=locked.file_name,
                        progress=saving,
                    )
            except IntegrityError:
                logger.warning("Import %s lost a race with another write", job.pk, exc_info=True)
                raise FileRefused(COMMIT_CONFLICT) from None
            result = plan.summary()
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJob.Status.DONE,
                result=result,
                content="",
                preview={},
                error="",
                progress_done=2 * half,
                progress_total=2 * half,
                finished_at=timezone.now(),
            )
            if locked.row_count >= STATISTICS_MIN_ROWS:
                transaction.on_commit(partial(statistics_refresh, tables=IMPORTED_TABLES))
    except FileRefused as refusal:
        _fail(job, " ".join(refusal.messages))
        raise
    except Exception:
        logger.exception("Import %s failed", job.pk)
        _fail(job, COMMIT_FAILED)
        raise
    job.refresh_from_db()
    return result


def _fail(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED, error=message, finished_at=timezone.now()
    )


# --- Reads -------------------------------------------------------------------------------------


def import_jobs_for_user(
    *, user, with_content: bool = False, with_preview: bool = False
) -> QuerySet[ImportJob]:
    """The import jobs the user may see: a rep their own, a manager their team's. Without
    the file's text (up to the size limit) or its preview unless asked for."""
    jobs = visible_owned(ImportJob.objects.all(), user).select_related("owner", "team")
    deferred = [
        name
        for name, wanted in (("content", with_content), ("preview", with_preview))
        if not wanted
    ]
    return jobs.defer(*deferred) if deferred else jobs


# --- The preview, planned once ------------------------------------------------------------------


def _preview_stamp(job: ImportJob) -> str:
    """What a job's preview is planned from besides its file (which never changes): its
    columns, and the team's contacts, companies and relationships as their number and last
    change tell (one query)."""
    stamps = {}
    for name, model in (("contacts", Contact), ("companies", Company), ("ties", Relationship)):
        rows = model.objects.filter(team_id=OuterRef("team_id")).order_by().values("team_id")
        stamps[f"{name}_count"] = Subquery(rows.annotate(count=Count("pk")).values("count"))
        stamps[f"{name}_last"] = Subquery(rows.annotate(last=Max("updated_at")).values("last"))
    team_data = ImportJob.objects.filter(pk=job.pk).values(**stamps).first()
    return json.dumps([job.mapping, team_data], sort_keys=True, default=str)


def import_job_preview(*, job: ImportJob) -> dict:
    """The job's preview (ImportPlan.preview, or {"refusal": messages} for a file that
    cannot be imported as it is): planned once and kept on the job, planned again only when
    its columns or the team's data have changed since. A reload costs one query, not a
    plan; a plan's cost is bounded by the import limits."""
    stamp = _preview_stamp(job)
    if job.preview.get("stamp") == stamp:
        return job.preview
    try:
        preview = import_preview(
            team=job.team, user=job.owner, kind=job.kind, text=job.content, mapping=job.mapping
        ).preview()
    except FileRefused as refusal:
        preview = {"refusal": refusal.messages}
    preview["stamp"] = stamp
    ImportJob.objects.filter(pk=job.pk, status__in=PREVIEWED).update(preview=preview)
    job.preview = preview
    return preview


# --- The job's life -----------------------------------------------------------------------------


def import_job_create(*, team, owner, kind: str, file_name: str, data: bytes) -> ImportJob:
    """Read and check an upload and keep it for its preview. Raises FileRefused (nothing
    stored) for a file that cannot be imported whatever the mapping."""
    decoded = read_upload(data)
    table = read_table(decoded.text, kind=kind)
    if kind != ImportJob.Kind.CONTACTS:
        check_required_columns(kind=kind, table=table, mapping=mapping_guess(table.header, kind))
    return ImportJob.objects.create(
        team=team,
        owner=owner,
        kind=kind,
        file_name=fit_file_name(file_name, ImportJob._meta.get_field("file_name").max_length),
        encoding=decoded.encoding,
        content=decoded.text,
        row_count=len(table.rows),
        mapping=mapping_guess(table.header, kind),
    )


RESTARTABLE = (ImportJob.Status.PREVIEW, ImportJob.Status.QUEUED, ImportJob.Status.FAILED)


def import_job_set_mapping(*, job: ImportJob, mapping: dict[str, str]) -> ImportJob:
    if job.status not in PREVIEWED:
        raise FileRefused(ALREADY_STARTED)
    job.mapping = {position: target for position, target in mapping.items() if target}
    job.save(update_fields=["mapping"])
    return job


def import_job_start(*, job: ImportJob) -> bool:
    """Start the import: at once for a small file (True when done), by a worker for a
    large one (False; the job is QUEUED and its page shows the progress). A job still
    QUEUED (the broker was down) or FAILED (nothing was written) may be started again."""
    claimed = ImportJob.objects.filter(pk=job.pk, status__in=RESTARTABLE).update(
        status=ImportJob.Status.QUEUED, started_at=timezone.now()
    )
    if not claimed:
        raise FileRefused(ALREADY_STARTED)
    if job.row_count <= INLINE_COMMIT_MAX_ROWS:
        import_commit(job=job)
        return True
    # Published by its name after commit (contacts.tasks imports this module): with the
    # broker down the job stays QUEUED, and its page offers to start it again.
    publish_after_commit(RUN_TASK, [job.pk])
    job.refresh_from_db()
    return False


def import_job_run(*, job_id: int) -> None:
    """The worker's part: mark the job running (so its page says so), then commit."""
    updated = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).update(status=ImportJob.Status.RUNNING)
    if not updated:
        return  # done already (a redelivered message), or gone
    job = ImportJob.objects.get(pk=job_id)
    try:
        import_commit(job=job)
    except FileRefused:
        return  # recorded on the job for its owner to read; nothing to retry
