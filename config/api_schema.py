"""The error answers of every operation, in the OpenAPI document, in one place.

drf-spectacular documents what a view returns when it succeeds, and the answers a view
declares itself (the 409 of an impossible step, with extend_schema). This schema class
adds what REST framework, the services' rules and Warmpath's plumbing may answer on any
operation, all in the one shape of core.problems (`application/problem+json`):

- 400 — a body that does not validate (POST, PUT, PATCH), or a query parameter that is
  malformed or unknown (core.api_queries: every operation that has query parameters
  refuses the ones it does not document; a record's own URL takes none, so a GET of it
  can give 400 too);
- 401 — no credentials, or a token that is not valid (operations that need a user);
- 403 — a permission refused: a rep deleting a company, a CSRF failure of a session;
- 404 — the record is not among those the user may see, or a page past the last;
- 405 — a method the URL does not take (with `Allow`);
- 406 — an `Accept` the API cannot answer (it speaks JSON only);
- 415 — a body in a media type the operation does not read;
- 429 — too many attempts (the token endpoint's rate and login lockout);
- 503 — the database out of reach for a moment (config.unavailable), with Retry-After.

Whatever answer a view declared for one of these statuses keeps its description and
schema; an answer declared without a body gets the problem schema.
"""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

from core.dates import DAY_SCHEMA, MOMENT_SCHEMA
from core.problems import PROBLEM_CONTENT_TYPE, ProblemSerializer

WRITES = {"POST", "PUT", "PATCH"}
EMPTY = {"type": "string", "maxLength": 0}

DESCRIPTIONS = {
    "400": "The request is malformed: `errors` names each field or query parameter and why.",
    "401": "No credentials, or not valid ones: send `Authorization: Token <key>` "
    "(POST /api/v1/auth/token/).",
    "403": "You may not do this (your role, or a failed CSRF check of a session).",
    "404": "No such record among those you can see (or a page past the last one).",
    "405": "This URL does not take this method: `Allow` lists those it takes.",
    "406": "The API answers JSON only (`Accept: application/json`).",
    "415": "The body is not in a media type this operation reads (JSON, a form or multipart).",
    "429": "Too many attempts: wait for the seconds `Retry-After` says.",
    "503": "The database is out of reach for a moment: try again after `Retry-After` seconds.",
}


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        self._filters_may_be_empty(operation)
        problem = self._problem_reference()
        responses = operation.setdefault("responses", {})
        for status in self._error_statuses(operation):
            responses.setdefault(status, {"description": DESCRIPTIONS[status]})
        for status, response in responses.items():
            if not str(status).startswith(("4", "5")):
                continue
            content = response.get("content") or {}
            schema = next(iter(content.values()), {}).get("schema") or problem
            response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": schema}}
            if status in ("429", "503"):
                response.setdefault("headers", {})["Retry-After"] = {
                    "schema": {"type": "integer"},
                    "description": "Seconds to wait before trying again.",
                }
            if status == "405":
                response.setdefault("headers", {})["Allow"] = {
                    "schema": {"type": "string"},
                    "description": "The methods this URL takes.",
                }
        return operation

    def _error_statuses(self, operation: dict) -> list[str]:
        statuses = ["405", "406", "503"]
        has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        if self.method in WRITES or has_query or self._is_detail():
            statuses.append("400")
        if self.method in WRITES:
            statuses.append("415")
        if operation.get("security") and any(operation["security"]):
            statuses += ["401", "403"]
        if self._is_detail() or self._is_list_view():
            statuses.append("404")
        if getattr(self.view, "throttle_classes", None) or getattr(
            self.view, "throttle_scope", None
        ):
            statuses.append("429")
        return statuses

    def _filters_may_be_empty(self, operation: dict) -> None:
        """A list's filter given empty (`?kind=`) is not applied, as a page's empty box:
        each filter's parameter admits "" besides its values."""
        filterset_class = getattr(self.view, "filterset_class", None)
        if filterset_class is None:
            return
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "query" and parameter["name"] in filterset_class.base_filters:
                parameter["schema"] = {"anyOf": [parameter["schema"], EMPTY]}

    def _is_detail(self) -> bool:
        return "{" in self.path

    def _problem_reference(self) -> dict:
        return self.resolve_serializer(ProblemSerializer, "response").ref


class _WindowedField(OpenApiSerializerFieldExtension):
    """A day or a time sent to the API lies in the window of core.dates: the schema says
    so with a pattern (years 1900 to 2100, offsets UTC−12 to UTC+14), so a client — and
    schemathesis — knows before sending it. What the API shows is not held to it."""

    schema: dict = {}

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return dict(self.schema)
        return {key: value for key, value in self.schema.items() if key != "pattern"}


class WindowedDayField(_WindowedField):
    target_class = "core.dates.DateSerializerField"
    schema = DAY_SCHEMA


class WindowedMomentField(_WindowedField):
    target_class = "core.dates.DateTimeSerializerField"
    schema = MOMENT_SCHEMA


class WebAddressSerializerField(OpenApiSerializerFieldExtension):
    """A web address as sent may be a bare domain (acme.com, read as https://acme.com):
    a string; as shown, always a URI (core.web)."""

    target_class = "core.web.WebAddressSerializerField"

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return {"type": "string"}
        return {"type": "string", "format": "uri"}
