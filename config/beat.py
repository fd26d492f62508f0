"""Writing Warmpath's periodic work (config/schedule.py) into django-celery-beat's tables.

The tables may hold anything besides ours: beat's own entries (`celery.backend_cleanup`,
whose `0 4 * * *` crontab shares a minute with ours), an admin's extra entries and edits,
the rows of an earlier run stopped half-way. So entries are found by their unique name only,
and schedules through django-celery-beat's own `from_schedule` lookups (which tolerate
duplicate schedule rows), never by a hand-written filter. Writing is idempotent: a second
run changes nothing, and an admin's edit is kept unless `reset` asks for the defaults.

`Scheduler` is the beat scheduler (CELERY_BEAT_SCHEDULER): it writes the schedule each time
beat starts, so a deploy that forgets `setup_periodic_tasks` still sends reminders.
"""

import json
import logging
from datetime import timedelta

from celery import current_app, schedules
from django.db import transaction
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry

from config.schedule import PERIODIC_TASKS, Periodic

logger = logging.getLogger(__name__)

CREATED, KEPT, RENAMED, RESET = "created", "kept", "renamed", "reset"


def _celery_schedule(entry: Periodic):
    if entry.every_seconds is not None:
        return schedules.schedule(run_every=timedelta(seconds=entry.every_seconds))
    return schedules.crontab(**entry.crontab, app=current_app)


def _defaults(entry: Periodic) -> dict:
    model_schedule, field = ModelEntry.to_model_schedule(_celery_schedule(entry))
    return {
        "task": entry.task,
        "description": entry.description,
        "kwargs": json.dumps({}),
        "interval": None,
        "crontab": None,
        field: model_schedule,
    }


def periodic_tasks_sync(*, reset: bool = False) -> dict[str, str]:
    """Make every entry of PERIODIC_TASKS present; return what happened to each, by name.

    A missing entry is created enabled with its default schedule; an existing one is kept
    as the admin left it (times, enabled or not), unless `reset` puts it back to its
    default and enables it. The task an entry sends is code, not an admin's choice: when
    the code has moved a task (a new name), the entry follows it, so beat never sends a
    name no worker knows."""
    outcome = {}
    with transaction.atomic():
        for entry in PERIODIC_TASKS:
            # get_or_create: a second beat starting at the same moment finds the row the
            # first one wrote instead of failing on the unique name.
            defaults = _defaults(entry)
            task, created = PeriodicTask.objects.get_or_create(name=entry.name, defaults=defaults)
            if created:
                outcome[entry.name] = CREATED
            elif reset:
                for field, value in defaults.items():
                    setattr(task, field, value)
                task.enabled = True
                task.save()
                outcome[entry.name] = RESET
            elif task.task != entry.task:
                task.task = entry.task
                task.save(update_fields=["task"])
                outcome[entry.name] = RENAMED
            else:
                outcome[entry.name] = KEPT
    return outcome


def periodic_tasks_missing() -> list[str]:
    """The names of our entries that are not in the tables at all: beat has never started
    on this database, and nothing wrote the schedule (no reminder would ever go out)."""
    present = set(
        PeriodicTask.objects.filter(name__in=[entry.name for entry in PERIODIC_TASKS]).values_list(
            "name", flat=True
        )
    )
    return [entry.name for entry in PERIODIC_TASKS if entry.name not in present]


def periodic_tasks_disabled() -> list[str]:
    """The names of our entries an admin has turned off: their choice, shown, not an error."""
    return list(
        PeriodicTask.objects.filter(
            name__in=[entry.name for entry in PERIODIC_TASKS], enabled=False
        ).values_list("name", flat=True)
    )


class Scheduler(DatabaseScheduler):
    """django-celery-beat's database scheduler, which first writes Warmpath's schedule."""

    def setup_schedule(self):
        created = [name for name, what in periodic_tasks_sync().items() if what == CREATED]
        if created:
            logger.info("Wrote the missing periodic tasks: %s", ", ".join(created))
        super().setup_schedule()
