"""Reminders exactly once, with real processes: Celery workers started as in production
(`celery -A config worker`), real Redis, and the pytest PostgreSQL database — committed
data (transactional tests), so the workers see it.

1. Two workers running two scans at once: every due follow-up yields exactly one
   reminder and one email actually sent.
2. A worker killed (SIGKILL) in the middle of sending, then a new one: every email is
   sent, none twice — also when the broker hands the killed worker's task out again.
3. The broker down: recording a referral still works and returns fast, the scan claims
   the reminder and its email waits in the queue; with the broker back, the drain sends it.

The workers write each email as a file (tests/email_backends.py) and take tasks only from
a queue of the test's own (tests/reminder_worker_settings.py). Only with DATABASE_URL and
a redis CELERY_BROKER_URL (tests/conftest.py); `bash .ci/run` provides both.
"""

import json
import os
import re
import signal
import subprocess
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from celery.backends.redis import RedisBackend
from celery.result import AsyncResult
from django.db import connection
from django.utils import timezone

from config.celery_app import app as celery_app
from followups import tasks
from followups.models import FollowUp, Notification, Reminder
from outbox import tasks as outbox_tasks
from outbox.models import OutgoingEmail
from referrals.models import Referral
from tests.test_reminders import make_followup
from trust.processes import (
    Processes,
    celery,
    child_env,
    free_port,
    manage,
    signal_group,
    with_path,
)
from trust.servers import MESSAGE_ID

pytestmark = [
    pytest.mark.services,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

BROKER_REDIS_DB = 12  # the tests' own Redis database; each test has its own queue in it
RESULTS_REDIS_DB = 15


class Workers:
    """Celery workers on one queue of this test, and the emails they sent."""

    def __init__(self, processes: Processes, tmp_path: Path):
        self.processes = processes
        self.queue = f"warmpath-reminders-{uuid.uuid4().hex}"
        self.email_dir = tmp_path / "emails"
        self.email_dir.mkdir()
        self.broker_url = with_path(os.environ["CELERY_BROKER_URL"], str(BROKER_REDIS_DB))
        self.results_url = with_path(os.environ["CELERY_BROKER_URL"], str(RESULTS_REDIS_DB))
        self.results = RedisBackend(app=celery_app, url=self.results_url)

    def env(self, **values: str) -> dict[str, str]:
        return child_env(
            **{
                "DJANGO_SETTINGS_MODULE": "tests.reminder_worker_settings",
                "DATABASE_URL": with_path(
                    os.environ["DATABASE_URL"], connection.settings_dict["NAME"]
                ),
                "CELERY_BROKER_URL": self.broker_url,
                "CELERY_RESULT_BACKEND": self.results_url,
                "WARMPATH_TEST_QUEUE": self.queue,
                "WARMPATH_TEST_EMAIL_DIR": str(self.email_dir),
                **values,
            }
        )

    def start(self, name: str, **env: str) -> subprocess.Popen:
        process = self.processes.start(
            name,
            celery(
                "worker",
                f"--queues={self.queue}",
                f"--hostname={name}-{self.queue}@%h",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ),
            self.env(**env),
        )
        self.wait_for(f"{name} ready", lambda: "ready." in self.log(name), 60)
        return process

    def log(self, name: str) -> str:
        path = self.processes.log_files.get(name)
        return path.read_text(errors="replace") if path and path.exists() else ""

    def send(self, task, *args):
        """Publish a task to this test's queue, as beat would; its result can be read."""
        with celery_app.connection_for_write(self.broker_url) as broker:
            sent = task.apply_async(
                args=args, queue=self.queue, connection=broker, ignore_result=False
            )
        return AsyncResult(sent.id, app=celery_app, backend=self.results)

    def emails_sent(self) -> Counter:
        """Email id → how many messages the workers wrote for it."""
        sent = Counter()
        for path in self.email_dir.glob("*.eml"):
            match = MESSAGE_ID.search(path.read_bytes())
            assert match, f"{path.name} has no Warmpath Message-ID"
            sent[int(match.group(1))] += 1
        return sent

    def wait_for(self, what: str, check, seconds: float):
        deadline = time.monotonic() + seconds
        while not (outcome := check()):
            self.processes.assert_running()
            assert time.monotonic() < deadline, f"gave up waiting for {what} after {seconds} s"
            time.sleep(0.2)
        return outcome

    def cleanup(self) -> None:
        """Remove this queue and the messages Redis keeps for it (a killed worker's
        unacknowledged task would otherwise come back into it in an hour)."""
        client = redis.Redis.from_url(self.broker_url)
        try:
            client.delete(self.queue)
            for tag, raw in client.hgetall("unacked").items():
                if json.loads(raw)[2] == self.queue:
                    client.hdel("unacked", tag)
                    client.zrem("unacked_index", tag)
        finally:
            client.close()


@pytest.fixture
def workers(tmp_path, request):
    failed_before = request.session.testsfailed
    with Processes(tmp_path) as processes:
        workers = Workers(processes, tmp_path)
        try:
            yield workers
        finally:
            processes.stop_all()
            workers.cleanup()
            if request.session.testsfailed > failed_before:
                print(processes.logs())  # pytest shows it under the failure


def _all_sent(count: int):
    return lambda: OutgoingEmail.objects.filter(status="sent").count() == count


def report(**figures) -> None:
    print("\n" + json.dumps(figures))


# --- 1. two workers, two scans at once ------------------------------------------------------


def test_two_workers_scanning_at_once_send_each_reminder_exactly_once(workers, alice, bob):
    now = timezone.now()
    followups = [
        make_followup(owner, due_at=now - timedelta(minutes=n))
        for n, owner in enumerate([alice, bob] * 25)
    ]
    workers.start("worker-1")
    workers.start("worker-2")

    # Beat ticking twice, or two beats: two scans at the same moment, one per worker.
    scans = [workers.send(tasks.reminders_scan), workers.send(tasks.reminders_scan)]
    results = [scan.get(timeout=60) for scan in scans]
    workers.wait_for("50 emails sent", _all_sent(50), 60)
    time.sleep(2)  # room for a duplicate to show up, if there were one
    # Again, later: nothing more.
    assert workers.send(tasks.reminders_scan).get(timeout=30)["reminded"] == 0

    sent = workers.emails_sent()
    emails = set(OutgoingEmail.objects.values_list("pk", flat=True))
    duplicates = sum(copies - 1 for copies in sent.values())
    lost = len(emails - set(sent))
    report(
        test="two workers, two scans",
        followups_due=len(followups),
        reminded_by_each_scan=[result["reminded"] for result in results],
        reminders=Reminder.objects.count(),
        emails_sent=sum(sent.values()),
        duplicates=duplicates,
        lost=lost,
    )
    assert sum(result["reminded"] for result in results) == 50
    assert Reminder.objects.count() == Notification.objects.count() == 50
    assert len(emails) == 50
    assert sum(sent.values()) == 50
    assert (duplicates, lost) == (0, 0)
    assert not FollowUp.objects.filter(reminded_at__isnull=True).exists()


# --- 2. a worker killed mid-send ---------------------------------------------------------


def test_a_worker_killed_while_sending_loses_nothing_and_sends_nothing_twice(workers, alice):
    now = timezone.now()
    for n in range(6):
        make_followup(alice, due_at=now - timedelta(minutes=n))
    # A worker whose mail server answers slowly: each send takes 60 s.
    doomed = workers.start("worker-killed", WARMPATH_TEST_EMAIL_DELAY="60")
    workers.send(tasks.reminders_scan)

    # The scan has run (six emails logged) and the first send is under way.
    workers.wait_for("six emails logged", lambda: OutgoingEmail.objects.count() == 6, 30)
    workers.wait_for("a send under way", lambda: list(workers.email_dir.glob("sending-*")), 30)
    interrupted = OutgoingEmail.objects.get(status="sending")
    signal_group(doomed, signal.SIGKILL)
    doomed.wait()
    del workers.processes.started["worker-killed"]
    assert not workers.emails_sent()  # it died before the message went out

    # A new worker; the broker hands out the killed worker's task again after 10 s (its
    # visibility timeout here: an hour in production), and the drain sees the interrupted
    # send as abandoned after 3 s.
    workers.start(
        "worker-new", WARMPATH_TEST_VISIBILITY_TIMEOUT="10", WARMPATH_TEST_RECLAIM_AFTER="3"
    )
    workers.wait_for("the five others sent", _all_sent(5), 60)
    time.sleep(3)
    drained = workers.send(outbox_tasks.outgoing_emails_drain).get(timeout=30)
    workers.wait_for("all six sent", _all_sent(6), 60)
    # Let the redelivery of the killed worker's task happen: it must find nothing to do.
    task_lines = re.compile(r"outgoing_email_send\[[0-9a-f-]+\] received")
    workers.wait_for(
        "the killed worker's task delivered again",
        lambda: len(task_lines.findall(workers.log("worker-new"))) >= 7,
        45,
    )
    time.sleep(1)

    sent = workers.emails_sent()
    duplicates = sum(copies - 1 for copies in sent.values())
    lost = OutgoingEmail.objects.count() - len(sent)
    interrupted.refresh_from_db()
    report(
        test="worker killed mid-send",
        followups_due=6,
        reminders=Reminder.objects.count(),
        emails_sent=sum(sent.values()),
        duplicates=duplicates,
        lost=lost,
        drained=drained,
        interrupted_email_attempts=interrupted.attempts,
        deliveries_to_new_worker=len(task_lines.findall(workers.log("worker-new"))),
    )
    assert Reminder.objects.count() == 6
    assert sum(sent.values()) == 6
    assert (duplicates, lost) == (0, 0)
    assert drained["published"] == 1
    assert (interrupted.status, interrupted.attempts) == ("sent", 2)
    assert "not_claimed" in workers.log("worker-new")


# --- 3. the broker down ------------------------------------------------------------------

RECORD_WITH_BROKER_DOWN = """
import json, time
from datetime import timedelta
from django.utils import timezone
from accounts.models import User
from contacts.models import Contact
from followups.models import FollowUp
from followups.reminders import reminders_scan
from outbox.models import OutgoingEmail
from referrals.services import referral_create

alice = User.objects.get(username="alice")
team = alice.memberships.get().team
referrer = Contact.objects.get(team=team, last_name="Referrer")
prospect = Contact.objects.get(team=team, last_name="Prospect")

started = time.monotonic()
referral = referral_create(
    owner=alice, team=team, referrer=referrer, prospect=prospect,
    asked_at=timezone.now() - timedelta(days=2), reason="Opening an office in Lyon.",
)
recorded_in = time.monotonic() - started

started = time.monotonic()
scan = reminders_scan()
scanned_in = time.monotonic() - started
print("RESULT " + json.dumps({
    "referral": referral.pk,
    "followups": FollowUp.objects.filter(referral=referral).count(),
    "recorded_in": recorded_in,
    "scan": scan.as_dict(),
    "scanned_in": scanned_in,
    "emails": list(OutgoingEmail.objects.values_list("status", flat=True)),
}))
"""


def test_with_the_broker_down_referrals_are_recorded_and_reminders_go_out_later(
    workers, alice, acme, tmp_path
):
    from tests.factories import ClientFactory, ContactFactory

    ClientFactory(team=acme, owner=alice, last_name="Referrer")
    ContactFactory(team=acme, owner=alice, last_name="Prospect")
    dead_broker = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there

    # The web side, with Redis unreachable: record an ask made two days ago (its
    # thank-the-referrer follow-up is due already), then a scan.
    env = workers.env(CELERY_BROKER_URL=dead_broker)
    output = subprocess.run(  # noqa: S603 - a fixed argv of our own, no shell
        manage("shell", "-c", RECORD_WITH_BROKER_DOWN),
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert output.returncode == 0, output.stderr
    result = json.loads(output.stdout.split("RESULT ", 1)[1])
    assert result["recorded_in"] < 3
    assert result["scanned_in"] < 5  # the publish after commit gives up at once
    assert result["followups"] >= 1
    assert result["scan"]["reminded"] == 1
    assert result["emails"] == ["queued"]
    assert Referral.objects.filter(pk=result["referral"]).exists()

    # The broker is back: a worker, and the drain's next tick.
    workers.start("worker")
    drained = workers.send(outbox_tasks.outgoing_emails_drain).get(timeout=30)
    workers.wait_for("the reminder sent", _all_sent(1), 60)
    time.sleep(1)

    sent = workers.emails_sent()
    report(
        test="broker down",
        referral_recorded_in_seconds=round(result["recorded_in"], 3),
        scan_with_broker_down_in_seconds=round(result["scanned_in"], 3),
        followups_due=1,
        reminders=Reminder.objects.count(),
        emails_sent=sum(sent.values()),
        drained=drained,
        duplicates=sum(copies - 1 for copies in sent.values()),
        lost=OutgoingEmail.objects.count() - len(sent),
    )
    assert sum(sent.values()) == 1
    assert drained["published"] == 1
    assert Reminder.objects.count() == 1
