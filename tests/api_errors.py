"""Reading the API's error answers: problem details (RFC 9457, core.problems) in
`application/problem+json`.

- `problem_of(response)`: the whole body, once its content type is checked;
- `field_errors(response)`: the 400's messages per field (`errors`; those of no one field
  under `non_field_errors`);
- `detail(response)`: the sentence for a person (every status).
"""

import json

from core.problems import NON_FIELD_ERRORS, PROBLEM_CONTENT_TYPE

__all__ = ["NON_FIELD_ERRORS", "detail", "field_errors", "problem_of"]


def problem_of(response) -> dict:
    """The problem body of an error answer; fails if the answer is not one."""
    assert response["Content-Type"].startswith(PROBLEM_CONTENT_TYPE), response["Content-Type"]
    body = json.loads(response.content)
    assert body["status"] == response.status_code, body
    return body


def field_errors(response) -> dict:
    """The messages per field of a 400 (`errors`)."""
    assert response.status_code == 400, response.status_code
    return problem_of(response)["errors"]


def detail(response) -> str:
    """The sentence of an error answer (`detail`)."""
    return problem_of(response)["detail"]
