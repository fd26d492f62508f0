"""Real processes against real PostgreSQL and Redis: a Celery worker that executes what the
app sends, and the docker-compose services (migrate, web, worker, beat) run natively with
production settings, proving that beat's schedule reaches the worker and /health/ sees it.

Only with DATABASE_URL and a redis CELERY_BROKER_URL (see conftest.py); `bash .ci/run`
provides both.
"""

import json
import os
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import environ
import psycopg2
import pytest
import redis
from celery.backends.redis import RedisBackend
from celery.result import AsyncResult
from django.db import connection

from config.celery_app import app as celery_app
from config.health import heartbeat
from trust.processes import (
    Processes,
    celery,
    child_env,
    free_port,
    gunicorn,
    http_get,
    manage,
    wait_for,
    with_path,
)

pytestmark = [pytest.mark.services, pytest.mark.slow]

# Redis databases of their own, so these tests never read or flush anybody else's keys.
RESULTS_REDIS_DB = 15
COMPOSE_CACHE_REDIS_DB = 14
COMPOSE_BROKER_REDIS_DB = 13
COMPOSE_DATABASE = "warmpath_compose_smoke"
HEARTBEAT_EVERY_SECONDS = 2


# --- a. a real worker ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_real_worker_executes_a_task_the_app_sends(tmp_path):
    broker_url = os.environ["CELERY_BROKER_URL"]
    results_url = with_path(broker_url, str(RESULTS_REDIS_DB))
    # A queue nobody else listens to: a stray worker elsewhere cannot take the task.
    queue = f"warmpath-test-{uuid.uuid4().hex}"
    env = child_env(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=with_path(os.environ["DATABASE_URL"], connection.settings_dict["NAME"]),
        CELERY_BROKER_URL=broker_url,
        CELERY_RESULT_BACKEND=results_url,
    )
    results = RedisBackend(app=celery_app, url=results_url)

    with Processes(tmp_path) as processes:
        processes.start(
            "worker",
            celery(
                "worker",
                f"--queues={queue}",
                f"--hostname={queue}@%h",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ),
            env,
        )
        # Sent by the application's own Celery app, as the code sends tasks; the result
        # is read from the worker's result backend (the app itself keeps none).
        sent = heartbeat.apply_async(queue=queue, ignore_result=False)
        result = AsyncResult(sent.id, app=celery_app, backend=results)
        try:
            beat_at = result.get(timeout=60)
        finally:
            result.forget()

    assert abs(datetime.fromisoformat(beat_at) - datetime.now(UTC)) < timedelta(minutes=1)


# --- b. the docker-compose services, natively -----------------------------------------


@pytest.fixture
def compose_database():
    """A fresh PostgreSQL database for the compose services, dropped afterwards."""
    server = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    admin = psycopg2.connect(
        dbname="postgres",
        user=server["USER"] or None,
        password=server["PASSWORD"] or None,
        host=server["HOST"] or None,
        port=server["PORT"] or None,
    )
    admin.autocommit = True
    # WITH (FORCE): sessions left by an interrupted earlier run must not block the drop.
    drop = f'DROP DATABASE IF EXISTS "{COMPOSE_DATABASE}" WITH (FORCE)'
    try:
        with admin.cursor() as cursor:
            cursor.execute(drop)
            cursor.execute(f'CREATE DATABASE "{COMPOSE_DATABASE}"')
        yield with_path(os.environ["DATABASE_URL"], COMPOSE_DATABASE)
        with admin.cursor() as cursor:
            cursor.execute(drop)
    finally:
        admin.close()


@pytest.fixture
def compose_redis():
    """Empty Redis databases for the compose services' broker and cache, emptied again
    afterwards: no stale heartbeat can pass for a new one, no queued task outlives the test."""
    urls = {
        "broker": with_path(os.environ["CELERY_BROKER_URL"], str(COMPOSE_BROKER_REDIS_DB)),
        "cache": with_path(os.environ["CELERY_BROKER_URL"], str(COMPOSE_CACHE_REDIS_DB)),
    }
    clients = [redis.Redis.from_url(url) for url in urls.values()]
    try:
        for client in clients:
            client.flushdb()
        yield urls
        for client in clients:
            client.flushdb()
    finally:
        for client in clients:
            client.close()


def shorten_heartbeat_interval(database_url: str, seconds: int) -> None:
    """What an admin does in django-celery-beat's admin: give "Worker heartbeat" another
    interval. Beat is not running yet, so it reads the new interval when it starts."""
    with psycopg2.connect(database_url) as database, database.cursor() as cursor:
        cursor.execute(
            "INSERT INTO django_celery_beat_intervalschedule (every, period)"
            " VALUES (%s, 'seconds') RETURNING id",
            [seconds],
        )
        (interval_id,) = cursor.fetchone()
        cursor.execute(
            "UPDATE django_celery_beat_periodictask SET interval_id = %s WHERE name = %s",
            [interval_id, "Worker heartbeat"],
        )
        assert cursor.rowcount == 1, "setup_periodic_tasks did not create 'Worker heartbeat'"
    database.close()


def test_the_compose_services_run_natively_and_beat_reaches_the_worker(
    tmp_path, compose_database, compose_redis
):
    port = free_port()
    var_dir = tmp_path / "var"
    env = child_env(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",  # this test talks plain HTTP to gunicorn
        DATABASE_URL=compose_database,
        CELERY_BROKER_URL=compose_redis["broker"],
        CACHE_URL=compose_redis["cache"],
        WARMPATH_VAR_DIR=str(var_dir),  # STATIC_ROOT is var/staticfiles
        PORT=str(port),
        WARMPATH_HOST="127.0.0.1",
        WEB_CONCURRENCY="1",
    )
    base_url = f"http://127.0.0.1:{port}"

    with Processes(tmp_path) as processes:
        # What the image build and the compose `migrate` service do.
        processes.run("collectstatic", manage("collectstatic", "--noinput"), env)
        processes.run("migrate", manage("migrate", "--noinput"), env)
        processes.run("setup_periodic_tasks", manage("setup_periodic_tasks"), env)
        shorten_heartbeat_interval(compose_database, HEARTBEAT_EVERY_SECONDS)

        # What the web, worker and beat services run.
        started_at = datetime.now(UTC)
        processes.start("web", gunicorn(), env)
        processes.start(
            "worker",
            celery(
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "--without-gossip",
                "--without-mingle",
            ),
            env,
        )
        processes.start("beat", celery("beat", "--loglevel=INFO"), env)

        status, login_page = wait_for(
            "the login page", lambda: http_get(f"{base_url}/login/"), processes, 30
        )
        assert status == 200
        assert 'name="username"' in login_page
        assert 'name="password"' in login_page
        assert "csrfmiddlewaretoken" in login_page
        # The page's stylesheets come from the collected, hashed files through whitenoise.
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', login_page)
        assert stylesheet, "the login page links no stylesheet"
        assert http_get(f"{base_url}{stylesheet.group(1)}")[0] == 200

        def heartbeat_seen():
            status, body = http_get(f"{base_url}/health/")
            health = json.loads(body)
            if status == 200 and health["worker_heartbeat"]:
                return health

        health = wait_for("a worker heartbeat on /health/", heartbeat_seen, processes, 60)

    assert health["database"] == "ok"
    assert health["cache"] == "ok"
    assert health["status"] == "ok"
    # Written by this run's worker, not left over in the cache.
    assert datetime.fromisoformat(health["worker_heartbeat"]) >= started_at - timedelta(seconds=1)
