"""The API's query string is a contract, not a suggestion.

A list answers 400 to a parameter it does not know (`asked_at__gte=garbage` on a list that
has no such filter was silently ignored: the caller got every row and thought it got a
few) and to an `ordering` it cannot sort by (was silently the default order). What a list
knows is what its documentation says: the parameters its filter backends and its
paginator describe in the schema, read from the same objects, so the two cannot differ.
A record's own URL (/contacts/5/) takes no parameters at all.

Both run as REST framework filter backends (settings.REST_FRAMEWORK), KnownParameters
first, so every list and detail view of the API holds to them; a view that reads its
own parameters (reporting's KPIs) calls `refuse_unknown` with the names it documents.
"""

from __future__ import annotations

import re

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.filters import BaseFilterBackend, OrderingFilter
from rest_framework.parsers import MultiPartParser

UNKNOWN = "Unknown parameter. {accepted}"
ACCEPTED = "This URL takes: {names}."
NONE_ACCEPTED = "This URL takes no query parameters."
REPEATED = "Give this parameter once."
BAD_ORDERING = "Cannot sort by {terms}. Sort by one or more of: {fields} (a leading - reverses)."


def refuse_unknown(request, known) -> None:
    """A 400 naming every query parameter of the request not in `known`, and every one
    given more than once (which of the values would count?)."""
    unknown = sorted(set(request.query_params) - set(known))
    accepted = ACCEPTED.format(names=", ".join(sorted(known))) if known else NONE_ACCEPTED
    errors = {name: [UNKNOWN.format(accepted=accepted)] for name in unknown}
    for name, values in request.query_params.lists():
        if name not in errors and len(values) > 1:
            errors[name] = [REPEATED]
    if errors:
        raise ValidationError(errors)


def _is_detail(view) -> bool:
    lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", None)
    return bool(lookup) and lookup in getattr(view, "kwargs", {})


def documented_parameters(view) -> set[str]:
    """The query parameters the view's list documents: its filter backends' and its
    paginator's (none on a record's own URL)."""
    if _is_detail(view):
        return set()
    names: set[str] = set()
    for backend_class in getattr(view, "filter_backends", ()):
        backend = backend_class()
        if isinstance(backend, DjangoFilterBackend):
            filterset_class = backend.get_filterset_class(view, view.get_queryset())
            if filterset_class is not None:
                names.update(filterset_class.base_filters)
        elif hasattr(backend, "get_schema_operation_parameters"):
            names.update(p["name"] for p in backend.get_schema_operation_parameters(view))
    paginator = getattr(view, "paginator", None)
    if paginator is not None:
        names.update(
            parameter["name"] for parameter in paginator.get_schema_operation_parameters(view)
        )
    return names


class KnownParameters(BaseFilterBackend):
    """Refuses (400) any query parameter the view does not document."""

    def filter_queryset(self, request, queryset, view):
        refuse_unknown(request, documented_parameters(view))
        return queryset


class StrictOrdering(OrderingFilter):
    """REST framework's ordering, but a term it cannot sort by is a 400, and the schema
    says which terms exist (a pattern of them, comma-separated)."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = {
            name for name, _label in self.get_valid_fields(queryset, view, {"request": request})
        }
        invalid = [term for term in fields if term.lstrip("-") not in valid]
        if invalid:
            raise ValidationError(
                {
                    self.ordering_param: [
                        BAD_ORDERING.format(
                            terms=", ".join(invalid), fields=", ".join(sorted(valid))
                        )
                    ]
                }
            )
        return fields

    def get_schema_operation_parameters(self, view):
        valid = self._documented_fields(view)
        if not valid:
            return []
        term = "-?(?:" + "|".join(re.escape(name) for name in sorted(valid)) + ")"
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Sort by these, comma-separated; a leading - reverses: "
                + ", ".join(sorted(valid))
                + ".",
                # Empty: the list's own order, as when the parameter is left out.
                "schema": {"type": "string", "pattern": f"^(?:{term}(?:,{term})*)?$"},
            }
        ]

    def _documented_fields(self, view) -> set[str]:
        fields = getattr(view, "ordering_fields", self.ordering_fields)
        if fields is None or fields == "__all__":
            queryset = view.get_queryset()
            return {name for name, _label in self.get_valid_fields(queryset, view, {})}
        return {item if isinstance(item, str) else item[0] for item in fields}


class StrictMultiPartParser(MultiPartParser):
    """A multipart body in which no part can be read (a number, a stray boundary) is a
    400, not an empty update that succeeds: a PATCH of garbage changed nothing and
    answered 200 (schemathesis' negative data)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        request = (parser_context or {}).get("request")
        length = int((request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0)
        if length and not parsed.data and not parsed.files:
            raise ParseError("Multipart body without a readable part.")
        return parsed
