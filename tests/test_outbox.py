"""The outbox: every email is a row first, sent once by a worker. The send and its claim,
retries with backoff and giving up, the drain that publishes what the broker lost, the
admin's list and its retry. Every periodic job is run twice (STYLE.md).

Nothing here reaches a broker: the `published` fixture records what would have been
handed to Celery. The emails the reminders write: tests/test_reminders.py; real workers,
Redis and PostgreSQL: tests/test_reminders_integration.py.
"""

import smtplib
from datetime import timedelta
from email import message_from_bytes

import pytest
from django.core import mail
from django.core.mail import BadHeaderError
from django.utils import timezone

from outbox import services, tasks
from outbox.models import OutgoingEmail
from outbox.services import SendOutcome

pytestmark = [pytest.mark.django_db, pytest.mark.dates]


def make_email(**fields) -> OutgoingEmail:
    defaults = {"to": "alice@example.com", "subject": "Hi", "body": "Body", "purpose": "test"}
    return OutgoingEmail.objects.create(**{**defaults, **fields})


@pytest.fixture(autouse=True)
def published(monkeypatch):
    """Email ids handed to the broker (nothing is really sent to one)."""
    sent: list[int] = []

    def apply_async(args, kwargs=None, **options):
        sent.append(args[0])

    monkeypatch.setattr(tasks.outgoing_email_send, "apply_async", apply_async)
    return sent


@pytest.fixture(autouse=True)
def tasks_keep_the_test_connection():
    """Tasks run eagerly here (task.apply()); around a real task, config.celery_app closes
    a connection in a transaction — which, in a test, is the test's own."""
    from celery.signals import task_postrun, task_prerun

    from config.celery_app import close_stale_connections

    task_prerun.disconnect(close_stale_connections)
    task_postrun.disconnect(close_stale_connections)
    yield
    task_prerun.connect(close_stale_connections)
    task_postrun.connect(close_stale_connections)


# --- Writing -----------------------------------------------------------------------------


def test_an_email_with_a_dedupe_key_is_created_once_and_published_after_commit(
    published, django_capture_on_commit_callbacks
):
    fields = {
        "to": "alice@example.com",
        "subject": "Your follow-ups today",
        "body": "Thank Ann.",
        "purpose": "digest",
        "dedupe_key": "digest:1:2026-11-26",
    }

    with django_capture_on_commit_callbacks(execute=True):
        first = services.outgoing_email_create_once(**fields)
        again = services.outgoing_email_create_once(**fields)
        assert published == []  # not before the commit

    assert again is None
    assert OutgoingEmail.objects.get() == first
    assert published == [first.pk]


# --- Sending -----------------------------------------------------------------------------


def test_sending_claims_the_row_sends_once_and_marks_it_sent(alice):
    email = make_email(subject="Due: thank Ann", body="Thank Ann today.")

    assert services.outgoing_email_send(email_id=email.pk) == SendOutcome.SENT
    assert services.outgoing_email_send(email_id=email.pk) == SendOutcome.NOT_CLAIMED

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert (message.to, message.subject, message.body) == (
        ["alice@example.com"],
        "Due: thank Ann",
        "Thank Ann today.",
    )
    assert message.extra_headers["Message-ID"] == services.message_id(email)
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == ("sent", 1, "")
    assert email.sent_at is not None


def test_a_failed_send_goes_back_to_the_queue_with_its_error(monkeypatch):
    email = make_email()

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)

    assert services.outgoing_email_send(email_id=email.pk) == SendOutcome.RETRY
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("queued", 1)
    assert email.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"


def test_a_send_gives_up_after_its_last_attempt(monkeypatch, settings):
    settings.OUTGOING_EMAIL_MAX_ATTEMPTS = 3
    email = make_email()
    monkeypatch.setattr(
        "django.core.mail.EmailMessage.send",
        lambda self, *a, **k: (_ for _ in ()).throw(TimeoutError("timed out")),
    )

    outcomes = [services.outgoing_email_send(email_id=email.pk) for _ in range(4)]

    assert outcomes == ["retry", "retry", "failed", "not_claimed"]
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", 3)


def test_a_refused_recipient_fails_at_once(monkeypatch):
    email = make_email()

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"alice@example.com": (550, b"No such user")})

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)

    assert services.outgoing_email_send(email_id=email.pk) == SendOutcome.FAILED
    assert OutgoingEmail.objects.get(pk=email.pk).status == "failed"


def test_a_send_left_half_way_by_a_dead_worker_is_taken_over_once_stale():
    now = timezone.now()
    fresh = make_email(status="sending", claimed_at=now - timedelta(minutes=1), attempts=1)
    stale = make_email(status="sending", claimed_at=now - timedelta(minutes=11), attempts=1)

    assert services.outgoing_email_send(email_id=fresh.pk) == SendOutcome.NOT_CLAIMED
    assert services.outgoing_email_send(email_id=stale.pk) == SendOutcome.SENT

    assert len(mail.outbox) == 1
    stale.refresh_from_db()
    assert (stale.status, stale.attempts) == ("sent", 2)


def test_the_send_task_retries_with_backoff_then_gives_up(monkeypatch, settings):
    email = make_email()
    monkeypatch.setattr(
        "django.core.mail.EmailMessage.send",
        lambda self, *a, **k: (_ for _ in ()).throw(smtplib.SMTPServerDisconnected("gone")),
    )
    countdowns = []
    original_retry = tasks.outgoing_email_send.retry

    def retry(*args, countdown=None, **kwargs):
        countdowns.append(countdown)
        return original_retry(*args, countdown=countdown, **kwargs)

    monkeypatch.setattr(tasks.outgoing_email_send, "retry", retry)

    tasks.outgoing_email_send.apply(args=[email.pk])

    email.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", services.EMAIL_MAX_ATTEMPTS)
    assert countdowns == [30, 60, 120, 240, 480]
    # Far below the broker's visibility timeout: a waiting retry is never redelivered.
    assert max(countdowns) < settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(
        "visibility_timeout", 3600
    )


def test_the_send_task_sends_and_reports(alice):
    email = make_email()

    result = tasks.outgoing_email_send.apply(args=[email.pk])

    assert result.get() == "sent"
    assert len(mail.outbox) == 1


def test_the_send_tasks_are_late_acked_and_redelivered_if_their_worker_dies():
    task = tasks.outgoing_email_send
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True


# --- A failure of any kind --------------------------------------------------------------

BACKEND_SEND = "django.core.mail.backends.locmem.EmailBackend.send_messages"


class BackendOwnError(Exception):
    """What a third-party email backend (an API client) may raise."""


# (error, given up at once?) — the message cannot be built or encoded, or the server
# refused the recipients: trying again cannot help. Anything else is retried.
FAILURES = {
    "bad-header": (BadHeaderError("Header values can't contain newlines"), True),
    "unicode": (UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"), True),
    "value": (ValueError("bad value"), True),
    "type": (TypeError("unexpected None"), True),
    "recipients-refused": (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"No")}), True),
    "server-gone": (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), False),
    "data-refused": (smtplib.SMTPDataError(451, b"Try again later"), False),
    "timeout": (TimeoutError("timed out"), False),
    "connection-reset": (ConnectionResetError(104, "Connection reset by peer"), False),
    "runtime": (RuntimeError("the backend broke"), False),
    "key": (KeyError("missing"), False),
    "empty-message": (RuntimeError(), False),
    "backend-own": (BackendOwnError("quota exceeded"), False),
}


@pytest.mark.parametrize(("error", "permanent"), FAILURES.values(), ids=FAILURES.keys())
def test_a_failure_of_any_kind_is_recorded_and_follows_the_retry_policy(
    monkeypatch, settings, error, permanent
):
    """Whatever raises inside the send, the row is never left 'sending' with no error:
    back in the queue with the error while attempts remain, failed at once when trying
    again cannot help, failed on its last attempt otherwise."""
    settings.OUTGOING_EMAIL_MAX_ATTEMPTS = 3
    email = make_email()

    def broken(self, messages):
        raise error

    monkeypatch.setattr(BACKEND_SEND, broken)

    outcomes = [services.outgoing_email_send(email_id=email.pk) for _ in range(4)]

    email.refresh_from_db()
    assert email.status == "failed"
    assert email.last_error.startswith(f"{type(error).__name__}: ")
    if permanent:
        assert outcomes == ["failed", "not_claimed", "not_claimed", "not_claimed"]
        assert email.attempts == 1
    else:
        assert outcomes == ["retry", "retry", "failed", "not_claimed"]
        assert email.attempts == 3


@pytest.mark.parametrize("error", [RuntimeError("boom"), BadHeaderError("bad header")])
def test_the_send_task_records_any_failure_and_retries_only_what_may_pass(monkeypatch, error):
    email = make_email()
    monkeypatch.setattr(BACKEND_SEND, lambda self, messages: (_ for _ in ()).throw(error))
    monkeypatch.setattr(tasks, "retry_countdown", lambda retries: 0)

    result = tasks.outgoing_email_send.apply(args=[email.pk])

    email.refresh_from_db()
    assert result.get() == "failed"
    assert email.status == "failed"
    assert email.last_error == f"{type(error).__name__}: {error}"
    expected_attempts = 1 if isinstance(error, ValueError) else services.EMAIL_MAX_ATTEMPTS
    assert email.attempts == expected_attempts


def test_a_row_with_a_line_break_in_its_subject_is_sent_on_one_line():
    """A row written before subjects were made one line (or by any other way): sent, with
    no header and no recipient added by the name in it."""
    email = make_email(
        subject="Due: thank Ref\nBcc: someone@example.com\r\nX-Evil: 1",
        purpose="reminder\nBcc: other@example.com",
    )

    assert services.outgoing_email_send(email_id=email.pk) == SendOutcome.SENT

    (message,) = mail.outbox
    assert message.recipients() == ["alice@example.com"]
    parsed = message_from_bytes(message.message().as_bytes())
    assert parsed["Subject"] == "Due: thank Ref Bcc: someone@example.com X-Evil: 1"
    assert parsed.get_all("Bcc") is None and parsed.get_all("X-Evil") is None


def test_an_address_that_is_not_one_fails_at_once_with_its_error():
    email = make_email(to="alice@example.com\nBcc: someone@example.com")

    assert services.outgoing_email_send(email_id=email.pk) == SendOutcome.FAILED

    email.refresh_from_db()
    assert email.status == "failed"
    assert email.last_error.startswith("BadHeaderError: ")
    assert mail.outbox == []


def test_email_subjects_are_written_on_one_line_and_fit():
    subject = services.email_subject("Due: thank\n" + "Bartholomew " * 40)
    assert "\n" not in subject
    assert len(subject) <= OutgoingEmail._meta.get_field("subject").max_length
    assert subject.endswith("…")


# --- The drain ---------------------------------------------------------------------------


def test_the_drain_publishes_what_the_broker_lost_and_nothing_else(published):
    now = timezone.now()
    lost = make_email()
    fresh = make_email()
    retried_long_ago = make_email(attempts=1, claimed_at=now - timedelta(minutes=20))
    retried_lately = make_email(attempts=1, claimed_at=now - timedelta(minutes=5))
    dead_worker = make_email(status="sending", attempts=1, claimed_at=now - timedelta(minutes=11))
    busy_worker = make_email(status="sending", attempts=1, claimed_at=now - timedelta(minutes=1))
    make_email(status="sent", sent_at=now)
    make_email(status="failed", attempts=6)
    old = now - timedelta(minutes=30)
    OutgoingEmail.objects.exclude(pk=fresh.pk).update(created_at=old)

    result = services.outgoing_emails_drain(now=now)

    assert sorted(published) == sorted([lost.pk, retried_long_ago.pk, dead_worker.pk])
    assert result.published == 3
    assert {retried_lately.pk, busy_worker.pk, fresh.pk}.isdisjoint(published)


def test_the_drain_gives_up_on_a_send_that_kept_dying(published, settings):
    settings.OUTGOING_EMAIL_MAX_ATTEMPTS = 2
    now = timezone.now()
    email = make_email(status="sending", attempts=2, claimed_at=now - timedelta(minutes=11))

    result = services.outgoing_emails_drain(now=now)

    email.refresh_from_db()
    assert (result.gave_up, result.published, email.status) == (1, 0, "failed")
    assert email.last_error == services.GAVE_UP_STALE.format(attempts=2)


def test_draining_twice_publishes_twice_and_still_sends_once(published):
    email = make_email()
    later = timezone.now() + timedelta(minutes=2)

    services.outgoing_emails_drain(now=later)
    services.outgoing_emails_drain(now=later)
    for email_id in published:
        tasks.outgoing_email_send.apply(args=[email_id])

    assert published == [email.pk, email.pk]
    assert len(mail.outbox) == 1


def test_retrying_failed_emails_queues_them_again(published, django_capture_on_commit_callbacks):
    failed = make_email(status="failed", attempts=6, last_error="Boom")
    sent = make_email(status="sent")

    with django_capture_on_commit_callbacks(execute=True):
        assert services.outgoing_emails_retry(email_ids=[failed.pk, sent.pk]) == 1

    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("queued", 0)
    assert OutgoingEmail.objects.get(pk=sent.pk).status == "sent"
    assert published == [failed.pk]


# --- Admin -------------------------------------------------------------------------------


def test_the_admin_retries_failed_emails(admin_client_, published):
    failed = make_email(status="failed", attempts=6, last_error="SMTPServerDisconnected")

    response = admin_client_.post(
        "/admin/outbox/outgoingemail/",
        {"action": "retry_failed", "_selected_action": [failed.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert OutgoingEmail.objects.get(pk=failed.pk).status == "queued"
    assert "1 failed email(s) queued again." in response.content.decode()


def test_the_admin_shows_no_add_button_for_the_logs(admin_client_):
    assert admin_client_.get("/admin/outbox/outgoingemail/add/").status_code == 403
