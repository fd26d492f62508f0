"""The installation `make trust` runs its scenarios against, built and torn down in one
place: a throwaway PostgreSQL cluster, a throwaway Redis and a local SMTP server
(trust/servers.py), one database migrated and seeded once, and Warmpath's own processes
— gunicorn, Celery workers, Celery beat — started exactly as production starts them
(the commands of docker-compose.yml and the Procfile), with the settings trust.settings
(production's, shorter waits).

    with Stack(log_dir) as stack:
        stack.prepare()             # migrate, schedule, seed, collect static files
        port = stack.start_web()    # gunicorn, 2 workers
        stack.start_worker("worker")
        stack.start_beat("beat")

Leaving the block stops every process, both servers and the SMTP server, and removes the
temporary folder — on success, failure, Ctrl-C or SIGTERM alike. Each process's output is
kept in log_dir.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import tempfile
import time
from pathlib import Path

from trust.processes import (
    Processes,
    celery,
    child_env,
    free_port,
    gunicorn,
    http_get,
    manage,
    wait_for,
)
from trust.servers import SmtpSink, ThrowawayPostgres, ThrowawayRedis

DATABASE = "warmpath_trust"
SETTINGS = "trust.settings"
BROKER_DB = 0
CACHE_DB = 1
# The data: DESIGN.md's "large" shape (5 teams of 10 reps and a manager) at 1% of its
# rows — 2,000 contacts, 3,000 referrals — written by the project's own seed command.
SEED_ARGS = ("seed", "--size", "large", "--scale", "0.01", "--seed", "7")
# Periodic tasks the scenarios watch (beat sends them every few seconds here); every
# other one but the heartbeat is switched off, so each email is one a scenario counts.
SCENARIO_TASKS = ("Remind due follow-ups", "Send unsent emails")
KEPT_TASKS = (*SCENARIO_TASKS, "Worker heartbeat")


class Stack:
    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.folder = Path(tempfile.mkdtemp(prefix="warmpath-trust-"))
        # PostgreSQL runs as its own user and must reach its folder inside this one.
        self.folder.chmod(0o755)
        self.postgres = ThrowawayPostgres(self.folder / "postgres")
        self.redis = ThrowawayRedis(self.folder / "redis")
        self.smtp = SmtpSink()
        self.processes = Processes(log_dir)
        self.database_url = ""
        self.secret_key = secrets.token_urlsafe(50)
        self.web_port = 0

    # --- servers -----------------------------------------------------------------------

    def __enter__(self) -> Stack:
        self._previous_sigterm = signal.signal(signal.SIGTERM, _sigterm_as_exit)
        try:
            self.postgres.init()
            self.postgres.start()
            self.database_url = self.postgres.create_database(DATABASE)
            self.redis.start()
            self.smtp.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.processes.stop_all()
        finally:
            for server in (self.smtp, self.redis, self.postgres):
                with contextlib.suppress(Exception):
                    server.destroy()
            shutil.rmtree(self.folder, ignore_errors=True)
            signal.signal(signal.SIGTERM, self._previous_sigterm)

    def env(self, **values: str) -> dict[str, str]:
        """What every process of the installation gets (the driver included)."""
        return child_env(
            **{
                "DJANGO_SETTINGS_MODULE": SETTINGS,
                "DJANGO_SECRET_KEY": self.secret_key,
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                # Plain HTTP on loopback: no TLS proxy in front here.
                "DJANGO_SECURE_SSL_REDIRECT": "false",
                "DATABASE_URL": self.database_url,
                "CELERY_BROKER_URL": f"{self.redis.url}/{BROKER_DB}",
                "CACHE_URL": f"{self.redis.url}/{CACHE_DB}",
                "EMAIL_URL": self.smtp.url,
                "WARMPATH_VAR_DIR": str(self.folder / "var"),
                "LOG_LEVEL": "WARNING",
                **values,
            }
        )

    # --- the database ------------------------------------------------------------------

    def prepare(self) -> dict[str, float]:
        """Static files, schema, schedule and data, as a deployment does; then Django in
        this process, on the same database. Returns seconds per step."""
        env = self.env()
        timings = {}
        for name, argv, timeout in (
            ("collectstatic", manage("collectstatic", "--noinput"), 300),
            ("migrate", manage("migrate", "--noinput"), 300),
            ("setup_periodic_tasks", manage("setup_periodic_tasks"), 60),
            ("seed", manage(*SEED_ARGS), 600),
        ):
            started = time.monotonic()
            self.processes.run(name, argv, env, timeout=timeout)
            timings[name] = time.monotonic() - started
        os.environ.update(env)
        import django

        django.setup()
        return timings

    def schedule_every(self, seconds: int) -> None:
        """What an admin does in the beat schedule's admin: the reminder scan and the
        email drain every `seconds`; digests, summaries, escalations and the rest off, so
        every email of a scenario is one it counts. Beat reads it when it starts."""
        from django_celery_beat.models import IntervalSchedule, PeriodicTask

        interval, _ = IntervalSchedule.objects.get_or_create(
            every=seconds, period=IntervalSchedule.SECONDS
        )
        updated = PeriodicTask.objects.filter(name__in=SCENARIO_TASKS).update(
            interval=interval, crontab=None, enabled=True
        )
        if updated != len(SCENARIO_TASKS):
            raise RuntimeError("setup_periodic_tasks did not create the reminder tasks")
        PeriodicTask.objects.exclude(name__in=KEPT_TASKS).update(enabled=False)
        PeriodicTask.objects.update(last_run_at=None)
        # django-celery-beat notices schedule edits through this row.
        from django_celery_beat.models import PeriodicTasks

        PeriodicTasks.update_changed()

    # --- Warmpath's processes ------------------------------------------------------------

    def start_web(self, name: str = "web", workers: int = 2) -> int:
        """gunicorn as production runs it (gunicorn.conf.py), on a free port."""
        port = free_port()
        self.processes.start(
            name,
            gunicorn(),
            self.env(PORT=str(port), WARMPATH_HOST="127.0.0.1", WEB_CONCURRENCY=str(workers)),
        )
        wait_for(
            f"{name} answering",
            lambda: http_get(f"http://127.0.0.1:{port}/login/")[0] == 200,
            self.processes,
            60,
            every=0.2,
        )
        self.web_port = port
        return port

    def start_worker(self, name: str, concurrency: int = 2) -> None:
        """`celery -A config worker` as in the Procfile and docker-compose.yml; returns
        when it is ready to take tasks."""
        self.processes.start(
            name,
            celery(
                "worker",
                "--loglevel=INFO",
                f"--concurrency={concurrency}",
                "--without-gossip",
                "--without-mingle",
                f"--hostname={name}@%h",
            ),
            self.env(LOG_LEVEL="INFO"),
        )
        wait_for(f"{name} ready", lambda: "ready." in self.log(name), self.processes, 60, 0.2)

    def start_beat(self, name: str) -> None:
        self.processes.start(name, celery("beat", "--loglevel=INFO"), self.env(LOG_LEVEL="INFO"))
        wait_for(
            f"{name} started",
            lambda: "beat: Starting" in self.log(name),
            self.processes,
            60,
            0.2,
        )

    def restore(self) -> None:
        """After a scenario, whatever it left behind: its processes stopped, both servers
        running, the SMTP server accepting — the next scenario starts from a whole stack."""
        self.processes.stop_all()
        if not self.postgres.running():
            self.postgres.start()
        if self.redis.process is None:
            self.redis.start()
        self.smtp.mode = "accept"
        from django.db import connections

        connections.close_all()

    def stop(self, name: str, signal_number: int = signal.SIGTERM) -> None:
        self.processes.stop(name, signal_number)

    def stop_all(self) -> None:
        self.processes.stop_all()

    def log(self, name: str) -> str:
        return self.processes.log(name)


def _sigterm_as_exit(signal_number, frame) -> None:
    # `kill <pid>` of the run: unwind like Ctrl-C, so every server is torn down.
    raise SystemExit(128 + signal_number)
