"""Celery tasks of reporting: each calls one service. Beat sends them (config/schedule.py).
The names are explicit, so they stay the same wherever the code moves: the schedule's
rows in django-celery-beat's tables, and messages already queued, name them."""

from celery import shared_task

from reporting import rollups, weekly_summary


@shared_task(name="reporting.tasks.weekly_summaries_send")
def weekly_summaries_send() -> int:
    return weekly_summary.weekly_summaries_send()


@shared_task(name="reporting.tasks.rollups_check")
def rollups_check() -> int:
    """The nightly comparison of the KPI rollups with their source rows: logs every cell
    that differs (an error, for the logs' alerting) and returns how many did."""
    return rollups.rollups_check_and_log()
