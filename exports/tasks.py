"""Background work of the exports app. Each task takes an id (or nothing), loads and calls
one service. Acknowledged late (CELERY_TASK_ACKS_LATE, as every task): a worker killed in
the middle of an export gets its message delivered again, and the service takes over the
job it left running; a message delivered again after the export was done does nothing."""

from celery import shared_task

from exports import services


@shared_task(name="exports.tasks.export_job_run", ignore_result=True)
def export_job_run(job_id: int) -> None:
    services.export_job_run(job_id=job_id)


@shared_task(name="exports.tasks.export_jobs_purge", ignore_result=True)
def export_jobs_purge() -> int:
    return services.export_jobs_purge()
