"""The periodic schedule (config/schedule.py, written by config/beat.py): present by
construction, idempotent whatever else django-celery-beat's tables hold, and loud on
/health/ when an entry is missing."""

from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from config.beat import CREATED, KEPT, RENAMED, RESET, Scheduler, periodic_tasks_sync
from config.celery_app import app
from config.schedule import PERIODIC_TASKS

# Calendar-sensitive: .ci/run also runs these at hostile moments (tests/clock.py).
pytestmark = pytest.mark.dates

UTC = ZoneInfo("UTC")


def setup_periodic_tasks(*args: str) -> str:
    out = StringIO()
    call_command("setup_periodic_tasks", *args, stdout=out, no_color=True)
    return out.getvalue()


def ours() -> dict[str, PeriodicTask]:
    return {
        task.name: task
        for task in PeriodicTask.objects.select_related("interval", "crontab").filter(
            name__in=[entry.name for entry in PERIODIC_TASKS]
        )
    }


def an_interval_entry():
    return next(entry for entry in PERIODIC_TASKS if entry.every_seconds is not None)


def a_crontab_entry():
    return next(entry for entry in PERIODIC_TASKS if entry.crontab is not None)


def assert_the_default_schedule():
    scheduled = ours()
    assert set(scheduled) == {entry.name for entry in PERIODIC_TASKS}
    for entry in PERIODIC_TASKS:
        task = scheduled[entry.name]
        assert task.task == entry.task
        assert task.enabled
        if entry.every_seconds is not None:
            assert task.interval.every == entry.every_seconds
            assert task.interval.period == IntervalSchedule.SECONDS
            assert task.crontab is None
        else:
            assert task.interval is None
            for field, value in entry.crontab.items():
                assert getattr(task.crontab, field) == value


def test_the_command_writes_the_schedule(db):
    output = setup_periodic_tasks()

    assert_the_default_schedule()
    assert output.count(f": {CREATED}") == len(PERIODIC_TASKS)


def test_every_scheduled_task_exists_in_the_celery_app(db):
    app.loader.import_default_modules()

    for entry in PERIODIC_TASKS:
        assert entry.task in app.tasks, f"beat would send {entry.task}, which no worker knows"


def test_the_command_twice_in_a_row_changes_nothing(db):
    setup_periodic_tasks()
    counts = (
        PeriodicTask.objects.count(),
        IntervalSchedule.objects.count(),
        CrontabSchedule.objects.count(),
    )

    output = setup_periodic_tasks()

    assert (
        PeriodicTask.objects.count(),
        IntervalSchedule.objects.count(),
        CrontabSchedule.objects.count(),
    ) == counts
    assert output.count(f": {KEPT}") == len(PERIODIC_TASKS)


def test_the_command_after_beats_own_entries_and_duplicate_schedules(db):
    # What a first `make run` leaves: beat's own cleanup entry at 04:00 (minute 0, like our
    # hourly digests), and schedule rows that match ours twice over (an admin's copy, a
    # run stopped half-way). Lookups by hand once stopped here with MultipleObjectsReturned.
    cleanup_time = CrontabSchedule.objects.create(minute="0", hour="4", timezone=UTC)
    PeriodicTask.objects.create(
        name="celery.backend_cleanup", task="celery.backend_cleanup", crontab=cleanup_time
    )
    for entry in PERIODIC_TASKS:
        for _ in range(2):
            if entry.crontab is not None:
                CrontabSchedule.objects.create(timezone=UTC, **entry.crontab)
            else:
                IntervalSchedule.objects.create(
                    every=entry.every_seconds, period=IntervalSchedule.SECONDS
                )

    setup_periodic_tasks()
    setup_periodic_tasks()

    assert_the_default_schedule()
    assert PeriodicTask.objects.get(name="celery.backend_cleanup").crontab == cleanup_time


def test_a_half_written_schedule_is_completed(db):
    first, *rest = PERIODIC_TASKS
    periodic_tasks_sync()
    PeriodicTask.objects.exclude(name=first.name).delete()

    outcome = periodic_tasks_sync()

    assert outcome[first.name] == KEPT
    assert {outcome[entry.name] for entry in rest} == {CREATED}
    assert_the_default_schedule()


def test_an_admins_edit_is_kept_until_reset(db):
    entry = an_interval_entry()
    setup_periodic_tasks()
    # An admin slows the task down and disables it in the admin.
    slower, _ = IntervalSchedule.objects.get_or_create(every=600, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(name=entry.name).update(interval=slower, enabled=False)

    setup_periodic_tasks()

    task = ours()[entry.name]
    assert task.interval.every == 600
    assert not task.enabled

    output = setup_periodic_tasks("--reset")

    assert f"{entry.name}: {RESET}" in output
    assert_the_default_schedule()


def test_an_admin_may_move_a_crontab_entry_to_an_interval_and_reset_brings_it_back(db):
    entry = a_crontab_entry()
    setup_periodic_tasks()
    hourly, _ = IntervalSchedule.objects.get_or_create(every=3600, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(name=entry.name).update(interval=hourly, crontab=None)

    setup_periodic_tasks()
    assert ours()[entry.name].interval == hourly

    setup_periodic_tasks("--reset")
    assert_the_default_schedule()


# Beat's scheduler closes "old" database connections as it reads the schedule, which inside a
# test's transaction would be the test's own: these two run outside one, as beat does.
@pytest.mark.django_db(transaction=True)
def test_beat_writes_the_schedule_when_it_starts():
    # A deploy that never ran setup_periodic_tasks: starting beat is enough.
    assert PeriodicTask.objects.count() == 0

    scheduler = Scheduler(app=app, lazy=True)
    scheduler.setup_schedule()

    assert_the_default_schedule()


@pytest.mark.django_db(transaction=True)
def test_beat_starting_again_keeps_an_admins_edit():
    entry = an_interval_entry()
    periodic_tasks_sync()
    PeriodicTask.objects.filter(name=entry.name).update(enabled=False)

    Scheduler(app=app, lazy=True).setup_schedule()

    assert not ours()[entry.name].enabled


def test_health_names_a_missing_entry_and_is_unhealthy(client, db):
    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["schedule"] == {
        "missing": [entry.name for entry in PERIODIC_TASKS],
        "disabled": [],
    }
    assert response.json()["status"] == "degraded"


def test_health_lists_an_entry_an_admin_turned_off_but_stays_healthy(client, db):
    periodic_tasks_sync()
    first = PERIODIC_TASKS[0]
    PeriodicTask.objects.filter(name=first.name).update(enabled=False)

    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json()["schedule"] == {"missing": [], "disabled": [first.name]}


def test_health_is_ok_once_the_schedule_is_written(client, db):
    periodic_tasks_sync()

    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json()["schedule"] == "ok"


@pytest.mark.parametrize("entry", PERIODIC_TASKS, ids=lambda entry: entry.name)
def test_each_entry_has_exactly_one_schedule(entry):
    assert (entry.every_seconds is None) != (entry.crontab is None)


def test_an_entry_follows_its_task_when_the_code_renames_it(db):
    # An installation written before a task moved (followups -> reporting) keeps its
    # times, but beat must send the name a worker knows today.
    entry = a_crontab_entry()
    periodic_tasks_sync()
    PeriodicTask.objects.filter(name=entry.name).update(task="followups.tasks.old_name")
    hourly, _ = IntervalSchedule.objects.get_or_create(every=3600, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(name=entry.name).update(interval=hourly, crontab=None)

    outcome = periodic_tasks_sync()

    assert outcome[entry.name] == RENAMED
    task = ours()[entry.name]
    assert task.task == entry.task
    assert task.interval == hourly  # the admin's timing is kept
