"""Shared pieces of the JSON API: pagination, error shape, and the token endpoint."""

import logging

from django.core.exceptions import NON_FIELD_ERRORS as NON_FIELD_ERRORS_DJANGO
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.pagination import PageNumberPagination
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.visibility import NoWorkingTeam
from core.errors import StateConflict
from core.integrity import unique_violation_error
from core.problems import NON_FIELD_ERRORS, PROBLEM_CONTENT_TYPE, problem, summary_of

logger = logging.getLogger(__name__)


class Pagination(PageNumberPagination):
    """Pages of 50 rows, `page_size` up to 500. A `page` or `page_size` that is not a whole
    number in range is a 400 that says so (it was silently the default size, or a 404); a
    page past the last one stays a 404, as REST framework has it."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        self._whole_number(request, self.page_query_param, maximum=None)
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        size = self._whole_number(request, self.page_size_query_param, maximum=self.max_page_size)
        return size or self.page_size

    def _whole_number(self, request, name: str, *, maximum: int | None) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        limit = maximum or MAX_PAGE
        whole = raw.isascii() and raw.isdigit() and len(raw) <= len(str(limit))
        if not whole or not 1 <= int(raw) <= limit:
            raise exceptions.ValidationError({name: [f"A whole number from 1 to {limit}."]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            maximum = (
                self.max_page_size if parameter["name"] == self.page_size_query_param else MAX_PAGE
            )
            parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": maximum}
        return parameters


# More pages than any list of Warmpath will have; a larger number is refused before it
# reaches a query's OFFSET.
MAX_PAGE = 1_000_000


def exception_handler(exc, context):
    """Every exception a view raises, as problem details (core.problems): DRF's own, plus
    the services' errors — StateConflict a 409 (with its `api_members`, such as the open
    ask in the way), Django's ValidationError a 400 with the field errors, a unique rule
    the database enforced after validation passed (a race, core.integrity) a 400 with the
    rule's message, a user of no team (accounts.visibility.NoWorkingTeam, a 404 on pages)
    a 400 saying so — so a rule broken deep in a service never surfaces as a 500.
    Anything else is left to Django's 500 handler, which answers a problem too
    (ApiProblemMiddleware)."""
    if isinstance(exc, IntegrityError):
        converted = unique_violation_error(exc)
        if converted is not None:
            exc = converted
    members, code = {}, None
    if isinstance(exc, NoWorkingTeam):
        exc, code = exceptions.ValidationError({NON_FIELD_ERRORS: [str(exc)]}), "no_team"
    elif isinstance(exc, StateConflict):
        members = exc.api_members or {}
        exc = Conflict(" ".join(exc.messages))
    elif isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(_field_errors(exc.message_dict))
        else:
            exc = exceptions.ValidationError({NON_FIELD_ERRORS: exc.messages})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    response.data = _problem_of(exc, response.status_code, response.data, code, members)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The record's current state refuses this change."
    default_code = "conflict"


def _field_errors(message_dict: dict) -> dict:
    """Django's own name for the messages of no one field is `__all__`; the API's is
    DRF's."""
    return {
        (NON_FIELD_ERRORS if field == NON_FIELD_ERRORS_DJANGO else field): messages
        for field, messages in message_dict.items()
    }


def _problem_of(exc, status_code: int, data, code: str | None, members: dict) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        errors = data if isinstance(data, dict) else {NON_FIELD_ERRORS: data}
        return problem(
            status_code, summary_of(errors), code=code or "invalid", errors=errors, **members
        )
    detail = data.get("detail") if isinstance(data, dict) else None
    if isinstance(getattr(exc, "detail", None), exceptions.ErrorDetail):
        code = code or exc.detail.code
    code = code or getattr(exc, "default_code", None)
    return problem(status_code, str(detail) if detail else None, code=code, **members)


class TokenRateThrottle(ScopedRateThrottle):
    """The token endpoint's rate per client address. Its counts live in the cache (Redis
    in production); with the cache out of reach the rate cannot be counted, and the
    request goes on instead of failing with a 500 (make trust, Redis stopped). Guessing
    stays refused: the login lockout counts failures in the database."""

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:  # whatever the cache backend raises when its server is down
            logger.warning("Cache unavailable: token requests are not rate-limited now.")
            return True


class TokenView(ObtainAuthToken):
    """POST {"username", "password"} → {"token"}. Public by nature: it is how a script logs in.

    Guarded twice: a rate per client address (throttle scope "token", 429 with
    Retry-After), and the login lockout shared with the login page (accounts.security:
    five failures for one username from one address lock that pair out, 429).
    """

    authentication_classes = []
    permission_classes = []
    throttle_classes = [TokenRateThrottle]
    throttle_scope = "token"

    def get_serializer_context(self):
        # The lockout marks the request it is given; Axes' middleware only sees Django's
        # own request, not REST framework's wrapper around it.
        return {**super().get_serializer_context(), "request": self.request._request}
