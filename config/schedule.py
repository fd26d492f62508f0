"""The periodic work of Warmpath, in one place.

Beat writes it into django-celery-beat's tables each time it starts (config/beat.py), and
`manage.py setup_periodic_tasks` does the same on demand, so a deploy cannot forget it.
Admins may change times or disable entries there: their edits are kept (only what is
missing is written, unless `setup_periodic_tasks --reset`). /health/ names any entry that
is missing or disabled."""

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
    # Reminders (followups/reminders.py). Each job may run twice or late: the database
    # decides what is still to do, so a double tick or a catch-up sends nothing twice.
    Periodic(
        name="Remind due follow-ups",
        task="followups.tasks.reminders_scan",
        every_seconds=120,
        description="Reminds the owner of each follow-up that has come due, once: in the "
        "app and by email.",
    ),
    # The outbox (outbox/services.py): emails whose publish or retry the broker lost.
    Periodic(
        name="Send unsent emails",
        task="outbox.tasks.outgoing_emails_drain",
        every_seconds=120,
        description="Publishes emails the broker lost (e.g. while Redis was down) and "
        "retries interrupted sends; gives up after the last attempt (see the outgoing "
        "email list).",
    ),
    Periodic(
        name="Escalate overdue follow-ups",
        task="followups.tasks.escalations_send",
        every_seconds=900,
        description="Tells the rep's manager, once, about each follow-up overdue by more "
        "than two days.",
    ),
    Periodic(
        name="Schedule periodic updates",
        task="followups.tasks.periodic_updates_schedule",
        crontab={"minute": "35"},
        description="Hourly: open referrals whose referrer now wants weekly or monthly "
        "updates get their next one; those whose referrer no longer wants them get the "
        "pending one skipped.",
    ),
    # Keeping the network warm: unconfirmed asks get a chase, people going cold a reminder.
    Periodic(
        name="Chase unconfirmed asks",
        task="followups.tasks.chase_confirmations_schedule",
        crontab={"minute": "40"},
        description="Hourly: each ask still unconfirmed after the team's setting (default "
        "5 days) gets one follow-up with a gentle reminder to the referrer drafted.",
    ),
    Periodic(
        name="Remind who is going cold",
        task="followups.tasks.stay_in_touch_reminders_send",
        crontab={"minute": "45"},
        description="Hourly: the owner of each person who has just gone past their "
        "stay-in-touch rhythm is reminded once per silence, with a reason to call.",
    ),
    # The morning digest (followups/digests.py), once per person and local day.
    Periodic(
        name="Morning digests",
        task="followups.tasks.digests_send",
        crontab={"minute": "0"},
        description="Hourly: each member whose local time is past 7:00 and who has not "
        "had today's digest gets the follow-ups due today and overdue (none: no email).",
    ),
    # The weekly KPI summary (reporting/weekly_summary.py), run twice or late alike.
    Periodic(
        name="Weekly summary to managers",
        task="reporting.tasks.weekly_summaries_send",
        crontab={"minute": "5"},
        description="Hourly: on Monday from 7:00 in each manager's time zone, last week's "
        "asks, intros, wins and overdue follow-ups of the team against its weekly goal, once.",
    ),
    # The KPI rollups (reporting/rollups.py) against the rows they count.
    Periodic(
        name="Check the KPI rollups",
        task="reporting.tasks.rollups_check",
        crontab={"minute": "23", "hour": "2"},
        description="Every night: compares the KPI rollups with the referrals, follow-ups, "
        "deals and referrals given they count, and logs an error for each difference "
        "(`manage.py rollups_rebuild` counts them afresh).",
    ),
    Periodic(
        name="Delete old exports",
        task="exports.tasks.export_jobs_purge",
        crontab={"minute": "47", "hour": "3"},
        description="Every night: deletes the background CSV exports older than "
        "WARMPATH_EXPORT_KEEP_DAYS (7 days by default), files included.",
    ),
    # Planner statistics (core/database.py): SQLite, the default engine, gathers none by
    # itself; on PostgreSQL it adds to autovacuum's at no real cost.
    Periodic(
        name="Refresh planner statistics",
        task="config.tasks.database_statistics_refresh",
        crontab={"minute": "41", "hour": "3"},
        description="Every night: ANALYZE, so the database keeps choosing the right "
        "indexes as the data grows (on SQLite followed by PRAGMA optimize).",
    ),
    Periodic(
        name="Delete expired idempotency keys",
        task="idempotency.tasks.idempotency_keys_purge",
        crontab={"minute": "53", "hour": "3"},
        description="Every night: deletes the API's Idempotency-Key answers older than "
        "WARMPATH_IDEMPOTENCY_KEY_HOURS (24 hours by default).",
    ),
]
