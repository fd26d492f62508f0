"""What people get while a server Warmpath depends on is down (make trust runs the real
outages; these are the cheap parts of them that every test run keeps):

- the database out of reach: 503 with Retry-After, JSON on the API, a page for people;
- the broker (Redis) down: handing a task to it from a web request fails within a
  fraction of a second, not after kombu's default 2 s wait before reconnecting, and the
  email stays queued for the drain;
- the cache (Redis) down: a script still gets its API token (the rate limit cannot be
  counted), and password guessing is still locked out (counted in the database).
"""

import json
import subprocess
import sys
import time

import pytest
from django.db.utils import ConnectionHandler, OperationalError
from django.test import RequestFactory

from config.unavailable import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, server_error
from tests.api_errors import problem_of
from trust.processes import REPO_ROOT, child_env, free_port


def _answer_while_unreachable(path: str, tmp_path):
    """Django's 500 handler as it runs for a request whose database connection failed
    for real: a SQLite file in a folder that does not exist cannot be opened."""
    unreachable = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(tmp_path / "missing" / "warmpath.sqlite3"),
            }
        }
    )["default"]
    request = RequestFactory().get(path)
    try:
        unreachable.cursor()
    except OperationalError:
        return server_error(request)
    finally:
        unreachable.close()
    raise AssertionError("the connection did not fail")


@pytest.mark.django_db
def test_a_page_without_its_database_says_so_with_503_and_retry_after(tmp_path):
    response = _answer_while_unreachable("/week/", tmp_path)

    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith("text/html")
    assert DATABASE_UNAVAILABLE in response.content.decode()


@pytest.mark.django_db
def test_the_api_without_its_database_answers_json_503(tmp_path):
    response = _answer_while_unreachable("/api/v1/referrals/", tmp_path)

    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    body = problem_of(response)
    assert (body["code"], body["detail"]) == ("unavailable", DATABASE_UNAVAILABLE)


def test_any_other_error_is_still_a_500():
    request = RequestFactory().get("/week/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)

    assert response.status_code == 500


PUBLISH_WITH_BROKER_DOWN = """
import json, time
import django
django.setup()
from core.tasks import publish_now

started = time.monotonic()
published = publish_now("outbox.tasks.outgoing_email_send", [1, 2, 3])
emails_in = time.monotonic() - started
started = time.monotonic()
published += publish_now("contacts.tasks.import_job_run", [1])
import_in = time.monotonic() - started
print(json.dumps({"published": published, "emails_in": emails_in, "import_in": import_in}))
"""


def test_with_the_broker_down_publishing_from_a_request_gives_up_at_once():
    # A real Redis URL where nothing listens, in a fresh process: the settings' Redis
    # branch (transport options, publish retry policy) is what is measured.
    env = child_env(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0",
    )
    started = time.monotonic()
    completed = subprocess.run(  # noqa: S603 - our own interpreter and code, no shell
        [sys.executable, "-c", PUBLISH_WITH_BROKER_DOWN],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])

    # The rows stay queued: the outbox's drain publishes the emails later, and the import's
    # page offers to start it again.
    assert result["published"] == 0
    # Before: 2.1 s for the emails (kombu waited 2 s before its one reconnection), 0.7 s
    # for the import (the publish retry policy's three tries).
    assert result["emails_in"] < 0.5, result
    assert result["import_in"] < 0.5, result
    assert time.monotonic() - started < 30


def test_with_the_cache_down_the_token_endpoint_answers_and_still_locks_out(alice, settings):
    from tests.factories import TEST_PASSWORD
    from tests.test_security_auth import LIMIT, token_request

    # A real Redis cache where nothing listens (what the web sees while Redis is down).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/1",
        }
    }

    started = time.monotonic()
    assert token_request("alice", TEST_PASSWORD).status_code == 200  # was a 500
    assert time.monotonic() - started < 1

    guesses = [token_request("alice", "wrong").status_code for _ in range(LIMIT)]
    assert guesses == [400] * (LIMIT - 1) + [429]
    assert token_request("alice", TEST_PASSWORD).status_code == 429
