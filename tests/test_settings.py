"""Start-up under each environment, as a fresh process would see it: production passes
Django's deployment checklist, and a missing secret or a malformed value stops start-up
with a message that names the variable instead of quietly meaning something else."""

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from trust.processes import child_env

REPO_ROOT = Path(__file__).resolve().parent.parent
# `check` never connects, so any PostgreSQL URL will do.
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def production_env(**overrides: str | None) -> dict[str, str]:
    # Without the settings a developer, CI or pytest-django may have exported
    # (DJANGO_SETTINGS_MODULE would bypass DJANGO_ENV): trust.processes.child_env.
    env = child_env()
    env.update(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="warmpath.example.com",
        DATABASE_URL=POSTGRES_URL,
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - a fixed argv of our own, no shell
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_passes_the_deployment_checklist():
    result = manage("check", "--deploy", env=production_env())

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues" in output
    assert "WARNINGS" not in output


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", env=production_env(DJANGO_SECRET_KEY=None))

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_an_empty_secret_key():
    result = manage("check", env=production_env(DJANGO_SECRET_KEY="  "))

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = manage("check", env=production_env(DJANGO_ALLOWED_HOSTS=None))

    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_a_malformed_boolean_stops_start_up_naming_the_variable():
    result = manage("check", env=production_env(DJANGO_SECURE_SSL_REDIRECT="maybe"))

    assert result.returncode != 0
    assert "DJANGO_SECURE_SSL_REDIRECT='maybe' is not a boolean" in result.stderr


def test_an_unknown_environment_name_stops_start_up():
    result = manage("check", env=production_env(DJANGO_ENV="nonsense"))

    assert result.returncode != 0
    assert "DJANGO_ENV='nonsense' is not one of: local, production, test" in result.stderr


@pytest.mark.parametrize(
    "database_url",
    [None, "sqlite:////tmp/warmpath-production.sqlite3"],
    ids=["no DATABASE_URL", "SQLite DATABASE_URL"],
)
def test_production_refuses_sqlite(database_url):
    result = manage("check", env=production_env(DATABASE_URL=database_url))

    assert result.returncode != 0
    assert "Production needs DATABASE_URL pointing at PostgreSQL" in result.stderr
