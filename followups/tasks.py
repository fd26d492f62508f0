"""Celery tasks of the follow-ups: each takes ids or nothing, calls one service of
followups.reminders, followups.digests or followups.services. Beat sends them
(config/schedule.py).

What makes them safe to run twice, at once, or after a crash is in the services (rows
claimed in transactions, unique keys); a task whose worker died is delivered again
(acks_late with reject_on_worker_lost, settings). The emails they write are sent by the
outbox's tasks (outbox/tasks.py).
"""

from celery import shared_task

from followups import digests, reminders, services


@shared_task(name="followups.tasks.reminders_scan")
def reminders_scan() -> dict:
    return reminders.reminders_scan().as_dict()


@shared_task(name="followups.tasks.escalations_send")
def escalations_send() -> dict:
    return reminders.escalations_send().as_dict()


@shared_task(name="followups.tasks.digests_send")
def digests_send() -> int:
    return digests.digests_send()


@shared_task(name="followups.tasks.periodic_updates_schedule")
def periodic_updates_schedule() -> dict:
    return services.periodic_updates_schedule()


@shared_task(name="followups.tasks.chase_confirmations_schedule")
def chase_confirmations_schedule() -> int:
    return services.chase_confirmations_schedule()


@shared_task(name="followups.tasks.stay_in_touch_reminders_send")
def stay_in_touch_reminders_send() -> dict:
    return reminders.stay_in_touch_reminders_send().as_dict()
