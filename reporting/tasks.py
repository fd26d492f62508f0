"""Celery tasks of reporting: each calls one service. Beat sends them (config/schedule.py).
The names are explicit, so they stay the same wherever the code moves: the schedule's
rows in django-celery-beat's tables, and messages already queued, name them."""

from celery import shared_task

from reporting import weekly_summary


@shared_task(name="reporting.tasks.weekly_summaries_send")
def weekly_summaries_send() -> int:
    return weekly_summary.weekly_summaries_send()
