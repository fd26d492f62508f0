"""The periodic work of Warmpath, in one place. `manage.py setup_periodic_tasks` writes
it into django-celery-beat's tables, where admins can change times or disable entries
(their edits are kept: the command only creates what is missing, unless --reset)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    name: str  # shown in the admin; also the key that makes the command idempotent
    task: str
    description: str
    every_seconds: int | None = None
    crontab: dict[str, str] | None = None  # minute, hour, day_of_week, … in the beat timezone


PERIODIC_TASKS = [
    Periodic(
        name="Worker heartbeat",
        task="config.health.heartbeat",
        every_seconds=60,
        description="Proves beat and the worker are alive; /health/ shows the last beat.",
    ),
    Periodic(
        name="Clear expired sessions",
        task="accounts.tasks.sessions_clear_expired",
        crontab={"minute": "17", "hour": "3"},
        description="Removes expired login sessions from the database every night.",
    ),
]
