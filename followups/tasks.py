"""Celery tasks of the follow-ups: each takes ids or nothing, calls one service of
followups.reminders, and owns its retries. Beat sends the periodic ones (config/schedule.py).

What makes them safe to run twice, at once, or after a crash is in the services (rows
claimed in transactions, unique keys); the tasks only add: acks_late with
reject_on_worker_lost (settings), so a task whose worker died is delivered again, and
retries with backoff for the email send — countdowns far below the broker's visibility
timeout (one hour), so a late-acked task waiting for its retry is never handed to a
second worker meanwhile.
"""

import logging

from celery import shared_task
from django.conf import settings

from followups import reminders, services

logger = logging.getLogger(__name__)

RETRY_BACKOFF_SECONDS = 30  # 30 s, 1 min, 2 min, 4 min, 8 min
MAX_RETRY_COUNTDOWN = 15 * 60


def retry_countdown(retries: int) -> float:
    """Seconds before the next try of a failed send: doubling from
    OUTGOING_EMAIL_RETRY_BACKOFF_SECONDS (a setting, so `make trust` can wait seconds)."""
    backoff = getattr(settings, "OUTGOING_EMAIL_RETRY_BACKOFF_SECONDS", RETRY_BACKOFF_SECONDS)
    return min(backoff * 2**retries, MAX_RETRY_COUNTDOWN)


@shared_task(name="followups.tasks.reminders_scan")
def reminders_scan() -> dict:
    return reminders.reminders_scan().as_dict()


@shared_task(name="followups.tasks.escalations_send")
def escalations_send() -> dict:
    return reminders.escalations_send().as_dict()


@shared_task(name="followups.tasks.digests_send")
def digests_send() -> int:
    return reminders.digests_send()


@shared_task(name="followups.tasks.weekly_summaries_send")
def weekly_summaries_send() -> int:
    return reminders.weekly_summaries_send()


@shared_task(name="followups.tasks.periodic_updates_schedule")
def periodic_updates_schedule() -> dict:
    return services.periodic_updates_schedule()


@shared_task(name="followups.tasks.outgoing_emails_drain")
def outgoing_emails_drain() -> dict:
    return reminders.outgoing_emails_drain().as_dict()


@shared_task(
    bind=True,
    name="followups.tasks.send_outgoing_email",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=reminders.EMAIL_MAX_ATTEMPTS - 1,
)
def send_outgoing_email(self, email_id: int) -> str:
    outcome = reminders.outgoing_email_send(email_id=email_id)
    if outcome == reminders.SendOutcome.RETRY and self.request.retries < self.max_retries:
        raise self.retry(countdown=retry_countdown(self.request.retries))
    return outcome.value


def outgoing_emails_publish(email_ids: list[int]) -> int:
    """Hand emails to the broker: best effort, never blocking for long. Called after
    commit (the rows exist when the worker looks) and by the drain. At the first broker
    error it stops — the rest would fail the same way — and the rows stay 'queued' for
    the drain to publish once the broker is back. Returns how many were published."""
    published = 0
    for email_id in email_ids:
        try:
            # No publish retries: the broker's short socket timeouts bound the wait.
            send_outgoing_email.apply_async((email_id,), retry=False)
        except Exception:  # whatever the transport raises, the database keeps the truth
            logger.warning(
                "Broker unavailable; %s email(s) stay queued for the drain.",
                len(email_ids) - published,
                exc_info=True,
            )
            break
        published += 1
    return published
