"""What a page answers when the database refused a write that validation had let through
(two people saving the same company name at the same moment): a 400 page that says why
and offers the way back to the form, instead of a 500 (core.integrity finds the rule).

And, on a laptop with DEBUG on, the project's own 404 page instead of Django's debug page
(OwnNotFoundPageMiddleware, added by the local settings)."""

from django.db import IntegrityError, connection
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import Resolver404
from django.views.defaults import page_not_found

from core.integrity import unique_violation_error

API_PREFIX = "/api/"
TEMPLATE = "400_conflict.html"


class UniqueViolationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        # The API answers its own errors (config.api.exception_handler), in JSON.
        if not isinstance(exception, IntegrityError) or request.path.startswith(API_PREFIX):
            return None
        error = unique_violation_error(exception)
        if error is None:
            return None
        context = {"messages_of_error": error.messages, "form_path": request.get_full_path()}
        # The services' transaction.atomic has rolled the write back by now, and with
        # ATOMIC_REQUESTS off (or on: the view's block has ended) no transaction is left
        # open, so the page may query: the menu reads the user's team. Only a write made
        # outside any atomic block inside an enclosing one (a test's) leaves the
        # transaction broken: then the page is drawn without the menu, with no query.
        if connection.in_atomic_block and connection.needs_rollback:
            page = render_to_string(TEMPLATE, context)
            return HttpResponse(page, status=400)
        return TemplateResponse(request, TEMPLATE, context, status=400).render()


class OwnNotFoundPageMiddleware:
    """With DEBUG on, Django answers a 404 with its debug page (the URL patterns, the
    exception's message), not the project's 404.html: a newcomer trying the roles locally
    (a rep opening /dashboard/) met a developer's page where a user sees "This page does
    not exist". The local settings add this middleware, last, unless DJANGO_DEBUG_404 asks
    for the debug page; production runs with DEBUG off and never needs it. The API keeps
    its problem details (core.problems)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # An unknown URL: no view ran (resolver_match unset), Django drew its debug page.
        if (
            response.status_code == 404
            and getattr(request, "resolver_match", None) is None
            and not request.path_info.startswith(API_PREFIX)
        ):
            return page_not_found(request, Resolver404())
        return response

    def process_exception(self, request, exception):
        # A view's 404 (a record out of reach, a page of another role).
        if isinstance(exception, Http404) and not request.path_info.startswith(API_PREFIX):
            return page_not_found(request, exception)
        return None
