"""The outbox: every email Warmpath sends is an OutgoingEmail row first, then sent by a
worker, exactly once for real. The database is the source of truth, the broker only a
doorbell:

- The row is written in the same transaction as the reason for it (a reminder, a digest,
  a rep's message) and published to the broker after commit (core.tasks), best effort and
  bounded in time: with the broker down it stays ``queued``, and the periodic drain
  publishes it once the broker is back.
- Sending claims the row with a conditional UPDATE (``queued`` → ``sending``), so a task
  delivered twice, or published by both its writer and the drain, sends once. A worker
  killed *while talking to the SMTP server* leaves the row in ``sending``; after
  ``OUTGOING_EMAIL_RECLAIM_AFTER_SECONDS`` the drain hands it out again. That is the one
  at-least-once window left (we cannot know whether the server accepted the message
  before the crash); a resend carries the same Message-ID, which mail clients use to
  show it once.
- An email unique per person and day or week (digest, weekly summary) carries a
  ``dedupe_key``: the unique index makes a second run create nothing.
- A send that fails, for whatever reason, leaves the row with its error: back in the
  queue for a later try (the server or the network), or failed for good when trying again
  cannot help (a refused recipient, a message that cannot be built) or the attempts are
  used up. Never ``sending`` with no error.
- Headers are built in one place (``email_message``), from text made one line
  (core.text.one_line) whatever the row holds: a name with a line break in an old row
  cannot add a header, nor make the message unsendable.

The outbox knows no domain app: its callers render the email and say why it is sent.
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr
from enum import StrEnum

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from core.tasks import publish_after_commit, publish_now
from core.text import fit, fit_field, one_line
from outbox.models import OutgoingEmail

logger = logging.getLogger(__name__)

# The Celery task that sends one email (outbox.tasks), published by its name.
SEND_TASK = "outbox.tasks.outgoing_email_send"

# --- Tunables (settings may override them; tests of real processes shorten the waits) ---

EMAIL_MAX_ATTEMPTS = 6
EMAIL_RECLAIM_AFTER = timedelta(minutes=10)  # a 'sending' row this old: its worker died
EMAIL_DRAIN_AFTER = timedelta(minutes=1)  # queued this long: its after-commit publish was lost
EMAIL_RETRY_SWEEP_AFTER = timedelta(minutes=15)  # a failed try not retried by then: lost retry
DRAIN_LIMIT = 1000

GAVE_UP_STALE = "The worker stopped while sending, {attempts} times; gave up."
GAVE_UP_ATTEMPTS = "Gave up after {attempts} attempts."
LAST_ERROR_MAX_LENGTH = 2000

# Failures that trying again cannot mend: the server refused every recipient, or the
# message itself cannot be built or encoded (BadHeaderError and UnicodeError are
# ValueErrors). Anything else — the server, the network, a backend's own error — is
# retried until the attempts are used up.
PERMANENT_ERRORS = (smtplib.SMTPRecipientsRefused, ValueError, TypeError)


def _seconds_setting(name: str, default: timedelta) -> timedelta:
    value = getattr(settings, name, None)
    return default if value is None else timedelta(seconds=value)


def _max_attempts() -> int:
    return getattr(settings, "OUTGOING_EMAIL_MAX_ATTEMPTS", EMAIL_MAX_ATTEMPTS)


def _reclaim_after() -> timedelta:
    return _seconds_setting("OUTGOING_EMAIL_RECLAIM_AFTER_SECONDS", EMAIL_RECLAIM_AFTER)


def _drain_after() -> timedelta:
    return _seconds_setting("OUTGOING_EMAIL_DRAIN_AFTER_SECONDS", EMAIL_DRAIN_AFTER)


def _retry_sweep_after() -> timedelta:
    return _seconds_setting("OUTGOING_EMAIL_RETRY_SWEEP_AFTER_SECONDS", EMAIL_RETRY_SWEEP_AFTER)


# --- Writing -----------------------------------------------------------------------------


def outgoing_emails_send_after_commit(email_ids: list[int]) -> None:
    """Hand these emails to a worker once the current transaction commits (nothing if it
    rolls back). With the broker down they stay queued for the drain (core.tasks)."""
    publish_after_commit(SEND_TASK, email_ids)


def email_subject(text: str) -> str:
    """The subject as an email row stores it: one line, fitting its column. Every writer
    of an OutgoingEmail passes its subject through here."""
    return fit_field(OutgoingEmail, "subject", one_line(text))


def outgoing_email_create_once(**fields) -> OutgoingEmail | None:
    """Create the email, sent after commit, unless its dedupe_key exists (a concurrent run
    may win the race: the unique index decides, and the loser creates nothing)."""
    try:
        with transaction.atomic():
            email = OutgoingEmail.objects.create(**fields)
    except IntegrityError:
        return None
    outgoing_emails_send_after_commit([email.pk])
    return email


# --- Sending ------------------------------------------------------------------------------


class SendOutcome(StrEnum):
    SENT = "sent"
    NOT_CLAIMED = "not_claimed"  # sent already, being sent, or given up: nothing to do
    RETRY = "retry"  # failed, back in the queue: try again later
    FAILED = "failed"  # failed for good (permanent error or attempts used up)


def message_id(email: OutgoingEmail) -> str:
    """The same for every attempt at one row: a resend after a crash is recognisably the
    same message."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "warmpath"
    return f"<warmpath.{email.pk}.{email.created_at:%Y%m%d%H%M%S}@{domain}>"


def _claimable(now: datetime) -> Q:
    return Q(status=OutgoingEmail.Status.QUEUED) | Q(
        status=OutgoingEmail.Status.SENDING, claimed_at__lt=now - _reclaim_after()
    )


def outgoing_email_send(*, email_id: int) -> SendOutcome:
    """Send one logged email, at most once per claim. The claim is a conditional UPDATE
    (queued, or 'sending' by a worker that died long ago → sending, now); whoever does
    not win it does nothing. A failure puts the row back in the queue with the error,
    or marks it failed after OUTGOING_EMAIL_MAX_ATTEMPTS claims or a permanent refusal."""
    claimed_at = timezone.now()
    claimed = OutgoingEmail.objects.filter(
        _claimable(claimed_at), pk=email_id, attempts__lt=_max_attempts()
    ).update(
        status=OutgoingEmail.Status.SENDING,
        claimed_at=claimed_at,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return SendOutcome.NOT_CLAIMED
    email = OutgoingEmail.objects.get(pk=email_id)
    try:
        email_message(email).send()
    except Exception as error:  # whatever it is, the row keeps it: never 'sending' for ever
        return _send_failed(email, claimed_at=claimed_at, error=error)
    OutgoingEmail.objects.filter(pk=email_id).update(
        status=OutgoingEmail.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return SendOutcome.SENT


VIA_WARMPATH = "{name} via Warmpath"


def on_behalf_of(user) -> dict:
    """The fields of an OutgoingEmail a rep sends to a client or referrer: their name on
    the From line (Warmpath's address stays the sender: mail servers check it) and their
    address as Reply-To, so an answer reaches them."""
    name = one_line(user.get_full_name() or user.get_username())
    return {
        "from_name": fit_field(OutgoingEmail, "from_name", name),
        "reply_to": user.email or "",
    }


def _from_email(email: OutgoingEmail) -> str:
    if not email.from_name:
        return settings.DEFAULT_FROM_EMAIL
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL
    # formataddr quotes the name (and encodes it when it is not ASCII).
    return formataddr((VIA_WARMPATH.format(name=one_line(email.from_name)), address))


def email_message(email: OutgoingEmail) -> EmailMessage:
    """The message for the row. Every header is one line (core.text.one_line), whatever the
    row holds: the subject written from a name with a line break in an old row, or typed.
    The recipient is not rewritten: an address that is not one fails the send for good.
    A rep's message says "<rep> via Warmpath" and answers go to the rep (on_behalf_of)."""
    return EmailMessage(
        subject=one_line(email.subject),
        body=email.body,
        from_email=_from_email(email),
        to=[email.to],
        reply_to=[one_line(email.reply_to)] if email.reply_to else None,
        headers={
            "Message-ID": one_line(message_id(email)),
            "X-Warmpath-Purpose": one_line(email.purpose),
        },
    )


def _error_text(error: Exception) -> str:
    """What the admin reads of a failure: its class and message, storable whatever they
    hold (no NUL, no lone surrogate: the database would refuse them), never empty."""
    text = f"{type(error).__name__}: {error}".replace("\x00", "")
    text = text.encode("utf-8", "replace").decode("utf-8")
    return fit(text, LAST_ERROR_MAX_LENGTH)


def _send_failed(email: OutgoingEmail, *, claimed_at: datetime, error: Exception) -> SendOutcome:
    """Record a failed try: the row goes back to the queue with its error, or is failed for
    good (PERMANENT_ERRORS, or its last attempt)."""
    email_id, attempts = email.pk, email.attempts
    gave_up = isinstance(error, PERMANENT_ERRORS) or attempts >= _max_attempts()
    # Only if the claim is still ours: a slow send reclaimed by another worker is theirs.
    OutgoingEmail.objects.filter(pk=email_id, claimed_at=claimed_at).update(
        status=OutgoingEmail.Status.FAILED if gave_up else OutgoingEmail.Status.QUEUED,
        last_error=_error_text(error),
    )
    if isinstance(error, smtplib.SMTPException | OSError):
        logger.warning("Email %s not sent (attempt %s): %s", email_id, attempts, error)
    else:  # not the server's doing: the traceback says where it came from
        logger.exception("Email %s not sent (attempt %s)", email_id, attempts)
    return SendOutcome.FAILED if gave_up else SendOutcome.RETRY


# --- The drain and the admin's retry ------------------------------------------------------


@dataclass
class DrainResult:
    published: int = 0
    gave_up: int = 0

    def as_dict(self) -> dict:
        return {"published": self.published, "gave_up": self.gave_up}


def outgoing_emails_to_drain(*, now: datetime) -> QuerySet:
    """Emails that should have gone and have not: queued for a while with no recent try
    (their publish was lost — broker down — or their retry was), and 'sending' rows whose
    worker died."""
    return OutgoingEmail.objects.filter(
        (
            Q(status=OutgoingEmail.Status.QUEUED, created_at__lt=now - _drain_after())
            & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - _retry_sweep_after()))
        )
        | Q(status=OutgoingEmail.Status.SENDING, claimed_at__lt=now - _reclaim_after())
    ).order_by("created_at")


def outgoing_emails_drain(*, now: datetime | None = None, limit: int = DRAIN_LIMIT) -> DrainResult:
    """Publish again what the broker lost, and give up on rows that used their attempts.
    Publishing twice is harmless: the send claims the row."""
    now = now or timezone.now()
    result = DrainResult()
    exhausted = outgoing_emails_to_drain(now=now).filter(attempts__gte=_max_attempts())
    result.gave_up += exhausted.filter(status=OutgoingEmail.Status.SENDING).update(
        status=OutgoingEmail.Status.FAILED,
        last_error=GAVE_UP_STALE.format(attempts=_max_attempts()),
    )
    result.gave_up += exhausted.filter(status=OutgoingEmail.Status.QUEUED).update(
        status=OutgoingEmail.Status.FAILED,
        last_error=GAVE_UP_ATTEMPTS.format(attempts=_max_attempts()),
    )
    ids = list(outgoing_emails_to_drain(now=now).values_list("pk", flat=True)[:limit])
    # The rows are committed already: published now, under the same policy (core.tasks).
    result.published = publish_now(SEND_TASK, ids)
    return result


def outgoing_emails_retry(*, email_ids: list[int]) -> int:
    """An admin's "retry": failed emails go back to the queue with fresh attempts."""
    with transaction.atomic():
        ids = list(
            OutgoingEmail.objects.select_for_update()
            .filter(pk__in=email_ids, status=OutgoingEmail.Status.FAILED)
            .values_list("pk", flat=True)
        )
        OutgoingEmail.objects.filter(pk__in=ids).update(
            status=OutgoingEmail.Status.QUEUED, attempts=0, claimed_at=None
        )
        outgoing_emails_send_after_commit(ids)
    return len(ids)
