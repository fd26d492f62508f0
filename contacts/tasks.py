"""Background work of the contacts app: large CSV imports.

A task takes an id, loads, and calls one service (contacts.imports.import_job_run), which
claims the job with a conditional update and commits it in one transaction. A message
delivered twice (a worker killed after the commit, before the ack) finds the job done
and does nothing; one delivered after a crash mid-import finds nothing written and runs
it again.
"""

from celery import shared_task

from contacts import imports


@shared_task(name="contacts.tasks.import_job_run", ignore_result=True)
def import_job_run(job_id: int) -> None:
    imports.import_job_run(job_id=job_id)
