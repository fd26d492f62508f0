from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from core import dates
from exports import registry

# A running job whose worker has reported nothing for this long is taken to have died
# with it (a chunk of rows takes well under a second): the next delivery of its message
# takes it over, and its owner may start it again.
STALE_AFTER = timedelta(minutes=5)


class ExportJob(models.Model):
    """A CSV export too large to stream while the user waits, written by a Celery worker.

    `params` are what defines the rows (the list's filters, the team, the period), so the
    worker computes exactly the rows the page would have streamed, as the owner sees them.
    The finished CSV is kept *in the database*, gzip-compressed, not in a file: the web
    and the worker run in separate containers (docker-compose) and web processes are
    stateless behind a load balancer (DESIGN.md), so a file the worker wrote on its own
    disk would not be there for the web process that serves the download. Every list
    query defers `result`; only the download reads it. Exports are deleted after
    settings.WARMPATH_EXPORT_KEEP_DAYS (exports.tasks.export_jobs_purge).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Exporting"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    # Null for an export of every team (staff only): the referrals of all teams at once.
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs"
    )
    # A kind registered in exports.registry by the app that writes its rows (no choices
    # here: the exports app knows no app's kinds).
    kind = models.CharField(max_length=registry.KIND_MAX_LENGTH)
    params = models.JSONField(default=dict, blank=True)
    file_name = models.CharField(max_length=255)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    result = models.BinaryField(default=b"", help_text="The CSV, gzip-compressed.")
    csv_size = models.PositiveBigIntegerField(default=0, help_text="The CSV's size, in bytes.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = dates.DateTimeField(null=True, blank=True)
    # The worker's last sign of life (set with each chunk of rows): a job left running by
    # a worker that died is taken over by the next delivery once this is old.
    progress_at = dates.DateTimeField(null=True, blank=True)
    finished_at = dates.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The user's exports, newest first, in index order (the list's whole order).
            models.Index(fields=["owner", "-created_at", "-id"], name="exports_owner_recent"),
            models.Index(fields=["created_at"], name="exports_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind_label}: {self.file_name} ({self.get_status_display()})"

    @property
    def kind_label(self) -> str:
        return registry.label_of(self.kind)

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def is_stalled(self) -> bool:
        """Running, but its worker has reported nothing for a while: it has most likely
        died, and the owner may start the export again."""
        return (
            self.status == self.Status.RUNNING
            and self.progress_at is not None
            and self.progress_at < timezone.now() - STALE_AFTER
        )

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, self.rows_done * 100 // max(self.rows_total, 1))
