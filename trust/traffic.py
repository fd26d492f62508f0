"""HTTP as a rep's browser and a rep's script speak it, against gunicorn on loopback, with
every request recorded: what was asked, when, how long it took, what came back.

A Browser holds one rep's logged-in session (made in the database beforehand, as
bench/load.py does: no login POSTs, so the login lockout never counts), a CSRF cookie
with its form token, and an API token. One connection per request: gunicorn's sync
workers close each connection after the answer anyway.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import statistics
import string
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

REQUEST_TIMEOUT = 30.0  # gunicorn's own worker timeout: nothing legitimate takes longer
REFERRAL_PATH = re.compile(r"/referrals/(\d+)/$")


@dataclass
class Outcome:
    name: str
    method: str
    path: str
    started: float  # time.monotonic() when the request was sent
    seconds: float
    status: int | None  # None: no HTTP answer at all (refused, reset, timed out)
    error: str = ""  # the exception when there was no answer
    location: str = ""
    body: bytes = b""
    content_type: str = ""
    retry_after: str = ""

    @property
    def finished(self) -> float:
        return self.started + self.seconds


@dataclass
class Recorder:
    """Every outcome of a run, from any thread; `unexpected` are the errors."""

    outcomes: list[Outcome] = field(default_factory=list)
    unexpected: list[tuple[Outcome, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: Outcome, expected: tuple[int, ...] | None = None) -> Outcome:
        with self.lock:
            self.outcomes.append(outcome)
            if expected is not None and outcome.status not in expected:
                why = outcome.error or f"HTTP {outcome.status}"
                self.unexpected.append((outcome, why))
        return outcome

    def summary(self) -> dict:
        with self.lock:
            outcomes = list(self.outcomes)
            errors = len(self.unexpected)
            kinds = sorted({f"{o.name}: {why}" for o, why in self.unexpected})
        return {"requests": len(outcomes), "errors": errors, "error_kinds": kinds[:8]} | (
            latency(outcomes)
        )


def latency(outcomes: list[Outcome]) -> dict:
    times = sorted(outcome.seconds * 1000 for outcome in outcomes)
    if not times:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None}
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "max_ms": round(times[-1], 1),
    }


def session_key_for(user) -> str:
    """A logged-in session in the database, as a browser would hold after logging in."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def api_token_for(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key


class Browser:
    def __init__(self, port: int, *, session_key: str, api_token: str = "", recorder=None):
        self.port = port
        self.api_token = api_token
        self.recorder = recorder or Recorder()
        # Django accepts an unmasked 32-character secret as the form's token when it
        # matches the cookie — what a browser would send after loading a form.
        self.csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in "x" * 32)
        self.cookie = f"sessionid={session_key}; csrftoken={self.csrf}"

    def request(
        self,
        name: str,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict | None = None,
        expected: tuple[int, ...] | None = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> Outcome:
        headers = {"Host": "127.0.0.1", **(headers or {})}
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            outcome = Outcome(
                name,
                method,
                path,
                started,
                time.monotonic() - started,
                response.status,
                location=response.getheader("Location", ""),
                body=content,
                content_type=response.getheader("Content-Type", ""),
                retry_after=response.getheader("Retry-After", ""),
            )
        except (OSError, http.client.HTTPException) as error:
            outcome = Outcome(
                name,
                method,
                path,
                started,
                time.monotonic() - started,
                None,
                error=type(error).__name__,
            )
        finally:
            connection.close()
        return self.recorder.add(outcome, expected)

    def get(self, name: str, path: str, expected=(200,), **options) -> Outcome:
        return self.request(
            name, "GET", path, headers={"Cookie": self.cookie}, expected=expected, **options
        )

    def post_form(self, name: str, path: str, fields: dict, expected=(302,), **options):
        body = urlencode({**fields, "csrfmiddlewaretoken": self.csrf}).encode()
        headers = {
            "Cookie": self.cookie,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return self.request(
            name, "POST", path, body=body, headers=headers, expected=expected, **options
        )

    def api(self, name: str, method: str, path: str, payload=None, expected=(200,), **options):
        headers = {"Authorization": f"Token {self.api_token}", "Accept": "application/json"}
        body = None
        if payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        return self.request(
            name, method, path, body=body, headers=headers, expected=expected, **options
        )


def referral_id_from(outcome: Outcome) -> int | None:
    """The new referral's id: the web form redirects to its page, the API answers it."""
    if outcome.status == 302:
        match = REFERRAL_PATH.search(outcome.location)
        return int(match.group(1)) if match else None
    if outcome.status == 201:
        return json.loads(outcome.body)["id"]
    return None
