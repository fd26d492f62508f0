"""`Idempotency-Key` on every POST of the JSON API (/api/v1/), in one place.

A client that sends a POST with an `Idempotency-Key: <key>` header may send it again (after
a timeout, a lost connection, a double click in its own UI) and get the first answer again,
without the work being done twice. The rules:

- A key is 1 to 255 visible ASCII characters (a UUID suits); another value is a 400.
- Keys are per user: two users may use the same key. They apply to requests of a signed-in
  user (token or session) to an API view that authenticates; the token endpoint, an
  anonymous request and methods other than POST ignore the header.
- The same key with the same request (method, path and query, content type and body,
  byte for byte) replays the stored answer — same status and body, with the header
  `Idempotent-Replayed: true` — and does nothing else.
- The same key with a different request is refused with 422 (KEY_REUSED): nothing is done.
- Only a successful answer (2xx) is stored. Any other answer changed nothing (every write
  is atomic), so the key stays free and the request may be retried as is, or corrected.
- Two requests with the same key at once: the second waits for the first (on PostgreSQL,
  the database's unique index makes it wait), then replays its answer, or does the work
  itself if the first failed. If the first takes longer than
  settings.WARMPATH_IDEMPOTENCY_WAIT_SECONDS, the second gets 409 (KEY_IN_PROGRESS) and
  may retry later.
- A key is kept settings.WARMPATH_IDEMPOTENCY_KEY_HOURS (24 h by default); after that it
  is forgotten (the request is done again), and the nightly purge deletes it.

How: the request's work and the key's row are one transaction. The row is inserted first
(the unique (user, key) index serialises two requests with one key), the view runs, and
its answer is stored in the row before the commit. A committed row therefore always
holds the answer of work that committed; there is no half-done state to recover from.
"""

import hashlib
import re
from contextlib import contextmanager

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.views import APIView

from core.problems import problem_response
from idempotency.models import IdempotencyKey
from idempotency.services import keys_expire_before

API_PREFIX = "/api/v1/"
HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = r"^[!-~]{1,255}$"
MAX_KEY_LENGTH = 255

BAD_KEY = "An Idempotency-Key is 1 to 255 visible ASCII characters, without spaces (a UUID suits)."
KEY_REUSED = (
    "This Idempotency-Key was already used for another request (another body, path or "
    "method). Send a new key with a new request."
)
KEY_IN_PROGRESS = (
    "A request with this Idempotency-Key is still being processed. Try again in a moment: "
    "you will get its answer."
)

# PostgreSQL's "lock_not_available": waited longer than lock_timeout.
LOCK_NOT_AVAILABLE = "55P03"

_KEY = re.compile(KEY_PATTERN)


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        view_class = _api_view_class(request)
        if view_class is None or not view_class.authentication_classes:
            # Not an API view (its 404 is the view's), or one that serves anonymous
            # callers (the token endpoint): no user to keep keys for.
            return self.get_response(request)
        if not _KEY.match(key):
            return _problem(BAD_KEY, 400)
        # Read before anything parses the body, so the view can still parse it.
        fingerprint = _fingerprint(request)
        user = _authenticated_user(request, view_class)
        if user is None:
            return self.get_response(request)  # the view answers 401 or 403
        return self._once(request, user=user, key=key, fingerprint=fingerprint)

    def _once(self, request, *, user, key: str, fingerprint: str):
        with transaction.atomic():
            # A key past its time is forgotten, even before the nightly purge.
            IdempotencyKey.objects.filter(
                user=user, key=key, created_at__lt=keys_expire_before()
            ).delete()
            try:
                with (
                    _lock_wait_at_most(settings.WARMPATH_IDEMPOTENCY_WAIT_SECONDS),
                    transaction.atomic(),
                ):
                    record = IdempotencyKey.objects.create(
                        user=user,
                        key=key,
                        method=request.method,
                        path=request.get_full_path(),
                        fingerprint=fingerprint,
                        response_status=0,
                        response_body=b"",
                    )
            except IntegrityError:
                # Another request with this key committed first (on PostgreSQL, after
                # this one waited for it): its answer is ours.
                stored = IdempotencyKey.objects.filter(user=user, key=key).first()
                if stored is None:  # purged in between: rare, and retrying is safe
                    return _problem(KEY_IN_PROGRESS, 409)
                return _replay(stored, fingerprint)
            except OperationalError as error:
                if getattr(error.__cause__, "pgcode", None) != LOCK_NOT_AVAILABLE:
                    raise
                return _problem(KEY_IN_PROGRESS, 409)
            response = self.get_response(request)
            if 200 <= response.status_code < 300 and not response.streaming:
                record.response_status = response.status_code
                record.response_content_type = response.get("Content-Type", "")
                record.response_location = response.get("Location", "")
                record.response_body = response.content
                record.save(
                    update_fields=[
                        "response_status",
                        "response_content_type",
                        "response_location",
                        "response_body",
                    ]
                )
            elif response.status_code >= 500:
                # Nothing of a failed request is kept (the view's writes included).
                transaction.set_rollback(True)
            else:
                # Refused, so nothing was done: the key stays free for a retry.
                record.delete()
            return response


def _api_view_class(request) -> type[APIView] | None:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    view_class = getattr(match.func, "cls", None)
    if view_class is None or not issubclass(view_class, APIView):
        return None
    return view_class


def _authenticated_user(request, view_class: type[APIView]):
    """The user the view will authenticate (the same classes, in the same order), or
    None when it will refuse the request."""
    authenticators = [authenticator() for authenticator in view_class.authentication_classes]
    # The view's parsers too: the session's CSRF check reads the body through them.
    parsers = [parser() for parser in view_class.parser_classes]
    try:
        user = Request(request, parsers=parsers, authenticators=authenticators).user
    except APIException:
        return None
    return user if user is not None and user.is_authenticated else None


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    for part in (
        request.method.encode(),
        request.get_full_path().encode(),
        request.content_type.encode(),
    ):
        digest.update(part + b"\n")
    digest.update(request.body)
    return digest.hexdigest()


def _replay(stored: IdempotencyKey, fingerprint: str):
    if stored.fingerprint != fingerprint:
        return _problem(KEY_REUSED, 422)
    response = HttpResponse(
        bytes(stored.response_body),
        status=stored.response_status,
        content_type=stored.response_content_type or None,
    )
    if stored.response_location:
        response["Location"] = stored.response_location
    response[REPLAYED_HEADER] = "true"
    return response


def _problem(detail: str, status: int):
    code = {400: "invalid", 409: "key_in_progress", 422: "key_reused"}[status]
    errors = {HEADER: [detail]} if status == 400 else None
    return problem_response(status, detail, code=code, errors=errors)


@contextmanager
def _lock_wait_at_most(seconds: float):
    """On PostgreSQL, waiting for another transaction's lock (the same key being inserted
    by a request still running) gives up after `seconds`; elsewhere, nothing changes."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        (previous,) = cursor.fetchone()
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, true)", [f"{max(1, round(seconds * 1000))}ms"]
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])
