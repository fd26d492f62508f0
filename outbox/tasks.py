"""Celery tasks of the outbox: each takes an id or nothing, calls one service of
outbox.services, and owns its retries. Beat sends the drain (config/schedule.py); the
send is published after commit by its name (outbox.services.SEND_TASK, core.tasks).

What makes them safe to run twice, at once, or after a crash is in the services (rows
claimed by conditional updates); the tasks only add: acks_late with reject_on_worker_lost,
so a send whose worker died is delivered again, and retries with backoff for the send —
countdowns far below the broker's visibility timeout (one hour), so a late-acked task
waiting for its retry is never handed to a second worker meanwhile.
"""

from celery import shared_task
from django.conf import settings

from outbox import services

RETRY_BACKOFF_SECONDS = 30  # 30 s, 1 min, 2 min, 4 min, 8 min
MAX_RETRY_COUNTDOWN = 15 * 60


def retry_countdown(retries: int) -> float:
    """Seconds before the next try of a failed send: doubling from
    OUTGOING_EMAIL_RETRY_BACKOFF_SECONDS (a setting, so `make trust` can wait seconds)."""
    backoff = getattr(settings, "OUTGOING_EMAIL_RETRY_BACKOFF_SECONDS", RETRY_BACKOFF_SECONDS)
    return min(backoff * 2**retries, MAX_RETRY_COUNTDOWN)


@shared_task(name="outbox.tasks.outgoing_emails_drain")
def outgoing_emails_drain() -> dict:
    return services.outgoing_emails_drain().as_dict()


@shared_task(
    bind=True,
    name="outbox.tasks.outgoing_email_send",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=services.EMAIL_MAX_ATTEMPTS - 1,
)
def outgoing_email_send(self, email_id: int) -> str:
    outcome = services.outgoing_email_send(email_id=email_id)
    if outcome == services.SendOutcome.RETRY and self.request.retries < self.max_retries:
        raise self.retry(countdown=retry_countdown(self.request.retries))
    return outcome.value
