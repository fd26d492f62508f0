"""The Idempotency-Key header in the OpenAPI document: a drf-spectacular postprocessing
hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]) that adds it, with the 409 and 422 it
may answer, to every POST operation that needs a signed-in user — the operations
idempotency.middleware serves."""

from core.problems import PROBLEM_CONTENT_TYPE
from idempotency.middleware import (
    BAD_KEY,
    HEADER,
    KEY_IN_PROGRESS,
    KEY_PATTERN,
    KEY_REUSED,
    MAX_KEY_LENGTH,
    REPLAYED_HEADER,
)

PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "pattern": KEY_PATTERN,
    },
    "description": (
        "Makes a retry safe: sent again with the same key and the same request, the POST "
        "is not done again; the first answer comes back, with the header "
        f"`{REPLAYED_HEADER}: true`. Keys are per user, 1 to 255 visible ASCII characters "
        "(a UUID suits), and kept 24 hours. Only a successful answer (2xx) is kept: after "
        "any other, the key is still free. The same key with another request is a 422; "
        "while the first request with a key is still running, a second waits for it, or "
        "gets 409 after a few seconds."
    ),
}
PROBLEM = {"schema": {"$ref": "#/components/schemas/Problem"}}
RESPONSES = {
    "400": {
        "description": f"Idempotency-Key: {BAD_KEY}",
        "content": {PROBLEM_CONTENT_TYPE: PROBLEM},
    },
    "409": {
        "description": f"Idempotency-Key: {KEY_IN_PROGRESS}",
        "content": {PROBLEM_CONTENT_TYPE: PROBLEM},
    },
    "422": {
        "description": f"Idempotency-Key: {KEY_REUSED}",
        "content": {PROBLEM_CONTENT_TYPE: PROBLEM},
    },
}


def _needs_a_user(operation: dict) -> bool:
    return any(requirement for requirement in operation.get("security") or [])


def document_idempotency_key(result, generator, request, public):
    for operations in result.get("paths", {}).values():
        operation = operations.get("post")
        if operation is None or not _needs_a_user(operation):
            continue
        operation.setdefault("parameters", []).append(dict(PARAMETER))
        responses = operation.setdefault("responses", {})
        for status, response in RESPONSES.items():
            # A 400 or 409 of the operation's own (a refused state change) is a problem
            # too; its description gains the key's.
            if status in responses:
                own = responses[status]
                own["description"] = (
                    f"{own.get('description', '')} {response['description']}".strip()
                )
            else:
                responses[status] = response
    return result
