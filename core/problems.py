"""The API's one error shape: problem details (RFC 9457), `application/problem+json`.

Every answer of 400 or more under /api/ has it, whoever produced it — a serializer, a
service's rule, the idempotency keys, Django itself (an unknown URL, a CSRF failure, a
body too large), the database out of reach, an unexpected error:

    {"type": "about:blank", "title": "Bad Request", "status": 400,
     "detail": "first_name: This field may not be blank.", "code": "invalid",
     "errors": {"first_name": ["This field may not be blank."]}}

- `title` is the status's name and `detail` a sentence for a person; `code` is the same
  kind of error as a word a program can test (DRF's codes: invalid, not_found,
  permission_denied, not_authenticated, throttled, conflict…).
- `errors` (400 only) holds the messages per field, as the fields are named in the request;
  the messages that belong to no one field are under `non_field_errors`.
- Extension members add what a client needs to act, e.g. `existing_referral` on the 409 of a
  second open ask (the one already there).

The shape is described once (ProblemSerializer) and documented on every operation
(config.api_schema). config.api turns exceptions into problems; ApiProblemMiddleware
(below) turns any other error answer under /api/ into one, so none escapes the shape.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from django.http import JsonResponse
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

PROBLEM_CONTENT_TYPE = "application/problem+json"
API_PREFIX = "/api/"
ABOUT_BLANK = "about:blank"
NON_FIELD_ERRORS = "non_field_errors"

# A word per status for answers that did not come with one of DRF's codes.
CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "throttled",
    500: "server_error",
    503: "unavailable",
}
DETAILS = {
    400: "The request is malformed.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    405: "This method is not allowed here.",
    413: "The request is too large.",
    500: "Something went wrong on our side. It has been logged; please try again later.",
    503: "Warmpath is unavailable for a moment. Please try again in a minute.",
}


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX)


def title_of(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem(
    status: int,
    detail: str | None = None,
    *,
    code: str | None = None,
    errors: dict | None = None,
    **members,
) -> dict:
    """The body of a problem answer."""
    body = {
        "type": ABOUT_BLANK,
        "title": title_of(status),
        "status": status,
        "detail": detail or DETAILS.get(status) or title_of(status),
        "code": code or CODES.get(status, "error"),
    }
    if errors:
        body["errors"] = errors
    body.update(members)
    return body


def problem_response(status: int, detail: str | None = None, **kwargs) -> JsonResponse:
    """A problem answer outside REST framework's views (middleware, Django's handlers)."""
    return JsonResponse(
        problem(status, detail, **kwargs), status=status, content_type=PROBLEM_CONTENT_TYPE
    )


def summary_of(errors: dict) -> str:
    """One sentence naming what was wrong, for `detail`: the first message of each field."""
    parts = []
    for field, messages in errors.items():
        first = _first_message(messages)
        if first is None:
            continue
        parts.append(first if field == NON_FIELD_ERRORS else f"{field}: {first}")
    return " ".join(_sentence(part) for part in parts) or DETAILS[400]


def _first_message(messages) -> str | None:
    if isinstance(messages, str):
        return messages
    if isinstance(messages, dict):
        for value in messages.values():
            found = _first_message(value)
            if found is not None:
                return found
        return None
    if isinstance(messages, list | tuple):
        for value in messages:
            found = _first_message(value)
            if found is not None:
                return found
        return None
    return str(messages)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


class ProblemSerializer(serializers.Serializer):
    """The schema of a problem (RFC 9457); other members may follow (`existing_referral`…)."""

    type = serializers.CharField(help_text='"about:blank": the status says what it is.')
    title = serializers.CharField(help_text="The status's name, e.g. Bad Request.")
    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    code = serializers.CharField(
        help_text="The kind of error, for a program: invalid, not_found, conflict, "
        "permission_denied, not_authenticated, throttled…"
    )
    errors = serializers.DictField(
        required=False,
        child=serializers.JSONField(),
        help_text="400 only: the messages per field of the request "
        f"(`{NON_FIELD_ERRORS}`: those of no one field).",
    )


def problem_doc(description: str) -> OpenApiResponse:
    """A documented error answer of an operation, for extend_schema(responses=…)."""
    return OpenApiResponse(response=ProblemSerializer, description=description)


# Headers of the answer being replaced that a client still needs.
KEPT_HEADERS = ("Retry-After", "WWW-Authenticate", "Allow", "Vary")


class ApiProblemMiddleware:
    """The last word on every error answer under /api/: one not already a problem (Django's
    own 404 of an unknown URL, 403 of a failed CSRF check, 400 of a body too large, the
    login lockout's 429, a 500 page) is replaced by one with the same status and headers
    a client needs. A JSON body's `detail`, when it has one, is kept. Outermost in
    MIDDLEWARE, so it sees what every other layer answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or not is_api_path(request.path_info):
            return response
        if response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
            return response
        replacement = problem_response(response.status_code, _detail_of(response))
        for header in KEPT_HEADERS:
            if header in response:
                replacement[header] = response[header]
        return replacement


def _detail_of(response) -> str | None:
    if response.streaming or not response.get("Content-Type", "").startswith("application/json"):
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) else None
