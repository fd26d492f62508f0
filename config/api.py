"""Shared pieces of the JSON API: pagination, error shape, and the token endpoint."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.visibility import NoWorkingTeam
from core.errors import StateConflict
from core.integrity import unique_violation_error

logger = logging.getLogger(__name__)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def exception_handler(exc, context):
    """DRF's handler, plus the services' errors: StateConflict as a 409 {"detail"}, and
    Django's own ValidationError as a 400 with field errors, so a rule broken deep in a
    service never surfaces as a 500. A user of no team (accounts.visibility.NoWorkingTeam,
    a 404 on pages) gets a 400 {"detail"} saying so."""
    if isinstance(exc, IntegrityError):
        # A unique rule the database enforced after validation passed (a race): a 400.
        converted = unique_violation_error(exc)
        if converted is not None:
            exc = converted
    if isinstance(exc, NoWorkingTeam):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, StateConflict):
        body = {"detail": " ".join(exc.messages), **(exc.api_members or {})}
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = exc.message_dict
        else:
            detail = {"detail": exc.messages[0] if len(exc.messages) == 1 else exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


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
