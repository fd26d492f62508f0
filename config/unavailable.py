"""What a request gets when the database cannot be reached (PostgreSQL restarting, a
failover, the network between them cut): 503 Service Unavailable with Retry-After —
problem details on the API (core.problems), a plain page for people — instead of "Server
Error (500)". Any other uncaught error stays a 500: Django's page, or a problem on the API.

Django's 500 handler (handler500 in config/urls.py) is the one place that sees every such
error, whichever middleware or view raised it. Nothing here touches the database: the
page is rendered without context processors, which would read the user and the team.
`make trust` (scenario "postgres") holds it to that during a real restart.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

from core.problems import is_api_path, problem_response

DATABASE_UNAVAILABLE = (
    "Warmpath cannot reach its database for a moment. Please try again in a minute."
)
RETRY_AFTER_SECONDS = 30


def database_unreachable(error: BaseException | None) -> bool:
    """A connection that cannot be opened or was cut: OperationalError (refused, server
    shutting down, terminated) or InterfaceError (used after it was closed)."""
    return isinstance(error, OperationalError | InterfaceError)


def server_error(request):
    unreachable = database_unreachable(sys.exc_info()[1])
    if is_api_path(request.path_info):
        if not unreachable:
            return problem_response(500)
        response = problem_response(503, DATABASE_UNAVAILABLE)
    elif not unreachable:
        return defaults.server_error(request)
    else:
        page = render_to_string("503.html", {"message": DATABASE_UNAVAILABLE})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
