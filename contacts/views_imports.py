"""Pages of the CSV imports and the relationships export.

Upload → preview (what each row will do, and the column mapping of a contacts CSV) →
import, at once for a small file or by a worker with a progress bar for a large one.
The rules live in contacts.imports; these views fetch the job for this user, validate a
form and call it. An import job is the rep's own record (accounts.visibility.visible_owned):
a teammate or an outsider gets a 404, a manager may look but only the owner imports.
"""

from django import forms
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from accounts.visibility import get_visible_or_404, working_team, working_team_or_none
from contacts import imports
from contacts.exports import RELATIONSHIPS_KIND
from contacts.models import ImportJob
from exports.views import export_answer

CHOOSE_A_FILE = "Choose the CSV file to import."
IMPORT_DONE = "Import done: {create:,} created, {update:,} updated, {skip:,} skipped."
IMPORT_QUEUED = "Importing {rows:,} rows in the background. You can leave this page."
MAPPING_SAVED = "Columns saved; the preview below uses them."
# Multipart boundaries and the other form fields, on top of the file itself.
UPLOAD_OVERHEAD_BYTES = 64 * 1024
RECENT_JOBS = 10


# --- Forms --------------------------------------------------------------------------------------


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="What is in the file?",
        choices=ImportJob.Kind.choices,
        initial=ImportJob.Kind.LINKEDIN,
        widget=forms.RadioSelect,
    )
    # Not required at the field level: an upload stopped at the size limit arrives without
    # its file, and deserves the size message rather than "this field is required".
    file = forms.FileField(label="CSV file", required=False, allow_empty_file=True)

    def __init__(self, *args, too_large: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.too_large = too_large
        limits = imports.import_limits()
        self.fields["file"].help_text = (
            f"A .csv file of up to {filesizeformat(limits.max_bytes)}, {limits.max_rows:,} "
            f"rows and {limits.max_columns:,} columns. "
            "You will see what it does before anything is saved."
        )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if self.too_large:
            max_bytes = imports.import_limits().max_bytes
            raise forms.ValidationError(
                imports.FILE_TOO_LARGE.format(limit=filesizeformat(max_bytes))
            )
        if not upload:
            raise forms.ValidationError(CHOOSE_A_FILE)
        return upload


class ColumnMappingForm(forms.Form):
    """One choice per column of a contacts CSV: the contact field it feeds, or nothing."""

    def __init__(self, *args, columns: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Not imported")] + [
            (target.name, target.label) for target in imports.CONTACT_TARGETS
        ]
        self.target_choices = choices  # the page renders the selects itself
        for column in columns:
            self.fields[f"column_{column['position']}"] = forms.ChoiceField(
                label=column["header"],
                choices=choices,
                required=False,
                initial=column["target"],
            )

    def mapping(self) -> dict[str, str]:
        return {
            name.removeprefix("column_"): target
            for name, target in self.cleaned_data.items()
            if target
        }


class _UploadLimit(FileUploadHandler):
    """Stops taking an uploaded file as soon as it passes the size limit: the rest of it
    is read off the connection and dropped, never kept in memory or on disk."""

    def __init__(self, request, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.received = 0
        self.too_large = False

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) builds the file


# --- Upload -------------------------------------------------------------------------------------


# The CSRF check runs in _import_upload: the size limit must be in place before anything
# reads the request body, and the CSRF middleware would read it first.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def import_start(request):
    team = working_team(request)
    limit = None
    if request.method == "POST":
        max_bytes = imports.import_limits().max_bytes
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > max_bytes + UPLOAD_OVERHEAD_BYTES:
            # Refused on its declared size before a byte of the body is read. Nothing is
            # saved, so there is nothing for a CSRF check to protect.
            form = ImportUploadForm({"kind": ImportJob.Kind.LINKEDIN}, too_large=True)
            form.is_valid()
            return _render_start(request, form)
        limit = _UploadLimit(request, max_bytes)
        request.upload_handlers.insert(0, limit)
    return _import_upload(request, team=team, limit=limit)


@csrf_protect
def _import_upload(request, *, team, limit: _UploadLimit | None):
    form = ImportUploadForm(
        request.POST or None, request.FILES or None, too_large=bool(limit and limit.too_large)
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = imports.import_job_create(
                team=team,
                owner=request.user,
                kind=form.cleaned_data["kind"],
                file_name=upload.name,
                data=b"".join(upload.chunks()),
            )
        except imports.FileRefused as refusal:
            form.add_error("file", refusal.messages)
        else:
            return redirect("contacts:import-preview", pk=job.pk)
    return _render_start(request, form)


def _render_start(request, form):
    # Queries: the membership, the user's last jobs (without their text).
    recent = imports.import_jobs_for_user(user=request.user).filter(owner=request.user)
    return render(
        request,
        "contacts/import_start.html",
        {"form": form, "recent": list(recent[:RECENT_JOBS])},
        status=400 if form.is_bound and form.errors else 200,
    )


# --- Preview, mapping, commit, progress ---------------------------------------------------------


@require_http_methods(["GET", "POST"])
def import_preview(request, pk: int):
    # The file's text is read only when the preview is planned (again), not on a reload.
    job = get_visible_or_404(
        imports.import_jobs_for_user(user=request.user, with_preview=True), pk=pk
    )
    is_owner = job.owner_id == request.user.pk
    if request.method == "POST" and not is_owner:
        raise Http404("Only the person who uploaded the file can change its columns.")
    context = {"job": job, "is_owner": is_owner, "preview": None, "refusal": None}
    if job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        context["progress"] = _progress(job)
        return render(request, "contacts/import_preview.html", context)
    if job.status == ImportJob.Status.DONE:
        return render(request, "contacts/import_preview.html", context)
    preview = imports.import_job_preview(job=job)
    if "refusal" in preview:
        context["refusal"] = preview["refusal"]
        return render(request, "contacts/import_preview.html", context)
    mapping_form = None
    if job.kind == ImportJob.Kind.CONTACTS:
        mapping_form = ColumnMappingForm(request.POST or None, columns=preview["columns"])
        if request.method == "POST" and mapping_form.is_valid():
            imports.import_job_set_mapping(job=job, mapping=mapping_form.mapping())
            messages.success(request, MAPPING_SAVED)
            return redirect("contacts:import-preview", pk=job.pk)
    context.update(
        preview=preview,
        summary=preview["summary"],
        mapping_form=mapping_form,
        columns=preview["columns"],
    )
    return render(request, "contacts/import_preview.html", context)


@require_POST
def import_commit(request, pk: int):
    job = get_visible_or_404(
        imports.import_jobs_for_user(user=request.user).filter(owner=request.user), pk=pk
    )
    try:
        done = imports.import_job_start(job=job)
    except imports.FileRefused as refusal:
        messages.error(request, " ".join(refusal.messages))
        return redirect("contacts:import-preview", pk=job.pk)
    job.refresh_from_db()
    if done:
        messages.success(request, IMPORT_DONE.format(**job.result))
    else:
        messages.info(request, IMPORT_QUEUED.format(rows=job.row_count))
    return redirect("contacts:import-preview", pk=job.pk)


def _progress(job: ImportJob) -> dict:
    done, total = imports.import_progress(job=job)
    return {"done": done, "total": total, "percent": min(100, done * 100 // max(total, 1))}


@require_GET
def import_status(request, pk: int):
    """The progress bar, polled every second by htmx while a worker imports; once the
    import has ended, the whole page reloads to show the result."""
    job = get_visible_or_404(imports.import_jobs_for_user(user=request.user), pk=pk)
    if job.is_finished and request.htmx:
        return HttpResponseClientRefresh()
    return render(request, "contacts/_import_status.html", {"job": job, "progress": _progress(job)})


# --- Relationships export -----------------------------------------------------------------------


@require_GET
def relationship_export(request) -> HttpResponse:
    """Who knows whom in the team, as CSV re-importable as a relationships file: streamed
    at once when small, by a worker with a progress page when large (a team's 200,000 ties
    take seconds; exports.views.export_answer)."""
    team = working_team_or_none(request)
    team_id = team.pk if team else None
    stamp = timezone.localdate().isoformat()
    return export_answer(
        request,
        kind=RELATIONSHIPS_KIND,
        params={"team_id": team_id},
        team_id=team_id,
        file_name=f"relationships-{stamp}.csv",
    )
