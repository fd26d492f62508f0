"""What a page answers when the database refused a write that validation had let through
(two people saving the same company name at the same moment): a 400 page that says why
and offers the way back to the form, instead of a 500 (core.integrity finds the rule)."""

from django.db import IntegrityError, connection
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse

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
