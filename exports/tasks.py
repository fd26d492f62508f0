"""Background work of the exports app. Each task takes an id (or nothing), loads and calls
one service. Acknowledged late (CELERY_TASK_ACKS_LATE, as every task): a worker killed in
the middle of an export gets its message delivered again, and the service takes over the
job it left running once it has stopped reporting progress (until then the message comes
back later to look again); a message delivered again after the export was done does
nothing."""

from celery import shared_task

from exports import services

# A message for a job another worker is writing comes back this much later to look again
# (far below the broker's visibility timeout), up to BUSY_RECHECKS times: enough for any
# export to finish, or for its worker, if it died, to be taken as dead (STALE_AFTER).
BUSY_RECHECK_SECONDS = services.STALE_AFTER.total_seconds() + 30
BUSY_RECHECKS = 12


@shared_task(
    bind=True, name="exports.tasks.export_job_run", ignore_result=True, max_retries=BUSY_RECHECKS
)
def export_job_run(self, job_id: int) -> None:
    outcome = services.export_job_run(job_id=job_id)
    if outcome is services.RunOutcome.BUSY and self.request.retries < self.max_retries:
        raise self.retry(countdown=BUSY_RECHECK_SECONDS)


@shared_task(name="exports.tasks.export_jobs_purge", ignore_result=True)
def export_jobs_purge() -> int:
    return services.export_jobs_purge()
