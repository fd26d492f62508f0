"""core.tasks: every Celery task Warmpath launches is published after commit, by name, under
one policy — nothing on rollback, and a broker that is down never fails the caller.

Real transactions (transaction=True: the test is not wrapped in one that never commits)
and a real task, run in place by Celery's eager mode. The one thing faked is the broker
refusing the connection.
"""

import json
import subprocess
import sys

import pytest
from celery import shared_task
from celery.signals import task_postrun, task_prerun
from django.db import connection, transaction
from kombu.exceptions import OperationalError

from accounts.models import Team
from config.celery_app import app, close_stale_connections
from core.tasks import publish_after_commit, publish_now
from tests.factories import TeamFactory
from trust.processes import REPO_ROOT, child_env

PROBE = "tests.test_publish_after_commit.probe"

# What the probe task saw when it ran: its id, and whether a transaction was still open.
ran: list[tuple[int, bool]] = []


@shared_task(name=PROBE)
def probe(object_id: int) -> None:
    ran.append((object_id, connection.in_atomic_block))


class Refused(Exception):
    pass


@pytest.fixture(autouse=True)
def eager():
    """Tasks run in place, in the test's process (a worker's part, without a worker)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    # Around a real task config.celery_app closes stale connections: here, the test's own.
    task_prerun.disconnect(close_stale_connections)
    task_postrun.disconnect(close_stale_connections)
    ran.clear()
    yield
    task_prerun.connect(close_stale_connections)
    task_postrun.connect(close_stale_connections)
    app.conf.task_always_eager = previous


@pytest.fixture
def broker_down(monkeypatch):
    """The broker refuses every connection: each publish raises, as kombu does."""
    app.conf.task_always_eager = False
    attempts: list[str] = []

    def refuse(self, body, *args, **kwargs):
        attempts.append(kwargs.get("routing_key") or "")
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("kombu.messaging.Producer.publish", refuse)
    return attempts


@pytest.mark.django_db(transaction=True)
def test_a_task_is_published_only_once_its_transaction_has_committed():
    with transaction.atomic():
        team = TeamFactory()
        publish_after_commit(PROBE, [team.pk])
        assert ran == []  # not while the row could still roll back

    assert ran == [(team.pk, False)]


@pytest.mark.django_db(transaction=True)
def test_nothing_is_published_when_the_transaction_rolls_back():
    with pytest.raises(Refused), transaction.atomic():
        team = TeamFactory()
        publish_after_commit(PROBE, [team.pk])
        raise Refused

    assert ran == []
    assert not Team.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_inner_block_rolled_back_publishes_nothing_and_the_outer_commit_the_rest():
    with transaction.atomic():
        publish_after_commit(PROBE, [1])
        with pytest.raises(Refused), transaction.atomic():
            publish_after_commit(PROBE, [2])
            raise Refused
        assert ran == []

    assert ran == [(1, False)]


@pytest.mark.django_db(transaction=True)
def test_one_message_per_id_and_outside_a_transaction_at_once():
    publish_after_commit(PROBE, [3, 4])
    publish_after_commit(PROBE, [])

    assert ran == [(3, False), (4, False)]


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_caller_commits_and_carries_on(broker_down, caplog):
    with transaction.atomic():
        team = TeamFactory()
        publish_after_commit(PROBE, [team.pk, team.pk + 1, team.pk + 2])

    # The write stands, nothing ran, and the caller never saw the error: it is logged.
    assert Team.objects.filter(pk=team.pk).exists()
    assert ran == []
    # One try, not one per message: the rest would fail the same way, each after its timeout.
    assert len(broker_down) == 1
    (record,) = [r for r in caplog.records if r.name == "core.tasks"]
    assert record.levelname == "WARNING"
    assert "3 of 3 tests.test_publish_after_commit.probe message(s) not published" in (
        record.getMessage()
    )


def test_publishing_now_says_how_many_went_and_stops_at_the_first_broker_error(broker_down):
    assert publish_now(PROBE, [1, 2, 3]) == 0
    assert len(broker_down) == 1


def test_publishing_now_with_the_broker_up():
    assert publish_now(PROBE, [5, 6]) == 2
    assert ran == [(5, False), (6, False)]


PUBLISH_BY_NAME_IN_A_FRESH_PROCESS = """
import json, sys
import django
django.setup()
from celery.signals import task_prerun
from core.tasks import publish_now

ran = []
task_prerun.connect(lambda sender=None, args=None, **kw: ran.append([sender.name, list(args)]),
                    weak=False)
imported_before = "outbox.tasks" in sys.modules
published = publish_now("outbox.tasks.outgoing_email_send", [7])
print(json.dumps({"imported_before": imported_before, "published": published, "ran": ran}))
"""


def test_by_name_a_task_nothing_imported_yet_still_runs_in_place_when_eager():
    # A web process imports no task module: the name is found the worker's way, and
    # CELERY_TASK_ALWAYS_EAGER still runs the task itself rather than sending a message.
    completed = subprocess.run(  # noqa: S603 - our own interpreter and code, no shell
        [sys.executable, "-c", PUBLISH_BY_NAME_IN_A_FRESH_PROCESS],
        cwd=REPO_ROOT,
        env=child_env(DJANGO_SETTINGS_MODULE="config.settings.test", CELERY_TASK_ALWAYS_EAGER="1"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])

    assert result == {
        "imported_before": False,
        "published": 1,
        "ran": [["outbox.tasks.outgoing_email_send", [7]]],
    }
