"""One error shape under /api/, whoever answers: problem details (RFC 9457, core.problems).

The classes of answer that escaped it before: Django's own (an unknown URL's HTML 404, a
CSRF failure's HTML 403, a body too large), an unexpected error (an HTML 500), the
database out of reach (a bare {"detail"}), the idempotency keys' own refusals. And the
query string: a parameter a list does not know, given twice, an ordering it cannot sort
by, a page that is not a number — each silently ignored before, each a 400 now, on every
read of the API (enumerated from the schema, so a new list is covered the day it exists).
"""

from __future__ import annotations

import re

import pytest
from django.db import OperationalError
from django.test import Client, override_settings
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.response import Response
from rest_framework.views import APIView

from core.problems import PROBLEM_CONTENT_TYPE
from tests.factories import ClientFactory

PROBLEM_MEMBERS = {"type", "title", "status", "detail", "code"}


def assert_problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert set(body) >= PROBLEM_MEMBERS
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["detail"]
    if code is not None:
        assert body["code"] == code
    return body


# --- Probes: what no real endpoint does on purpose ------------------------------------------


class Boom(APIView):
    def get(self, request):
        raise RuntimeError("secret internals")


class DatabaseGone(APIView):
    def get(self, request):
        raise OperationalError("server closed the connection unexpectedly")


class Echo(APIView):
    def post(self, request):
        return Response({"keys": sorted(request.data)})


urlpatterns = [
    path("api/v1/probe/boom/", Boom.as_view()),
    path("api/v1/probe/database-gone/", DatabaseGone.as_view()),
    path("api/v1/probe/echo/", Echo.as_view()),
    path("", include("config.urls")),
]
handler500 = "config.unavailable.server_error"  # as config.urls has it
uses_probes = pytest.mark.urls(__name__)


@uses_probes
def test_an_unexpected_error_is_a_500_problem_that_hides_the_internals(alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)

    response = client.get("/api/v1/probe/boom/")

    body = assert_problem(response, 500, "server_error")
    assert "secret" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["title"] == "Internal Server Error"


@uses_probes
def test_the_database_out_of_reach_is_a_503_problem_with_retry_after(alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)

    response = client.get("/api/v1/probe/database-gone/")

    assert_problem(response, 503, "unavailable")
    assert int(response["Retry-After"]) > 0


def test_an_unknown_api_url_is_a_404_problem(alice_client):
    assert_problem(alice_client.get("/api/v1/no-such-thing/"), 404, "not_found")
    assert_problem(alice_client.get("/api/v2/contacts/"), 404, "not_found")


def test_a_method_the_url_does_not_take_is_a_405_problem_with_allow(alice_client):
    response = alice_client.put("/api/v1/auth/token/", {}, content_type="application/json")

    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response["Allow"]


def test_an_accept_the_api_cannot_answer_is_a_406_problem(alice_client):
    response = alice_client.get("/api/v1/contacts/", HTTP_ACCEPT="text/html")

    assert_problem(response, 406, "not_acceptable")


def test_a_body_in_an_unread_media_type_is_a_415_problem(alice_client):
    response = alice_client.post("/api/v1/companies/", "name=Hooli", content_type="text/plain")

    assert_problem(response, 415, "unsupported_media_type")


def test_broken_json_is_a_400_problem(alice_client):
    response = alice_client.post(
        "/api/v1/companies/", '{"name": "Hooli", ', content_type="application/json"
    )

    body = assert_problem(response, 400, "parse_error")
    assert "JSON parse error" in body["detail"]


def test_a_session_write_without_its_csrf_token_is_a_403_problem(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post("/api/v1/companies/", {"name": "Hooli"}, content_type="application/json")

    body = assert_problem(response, 403, "permission_denied")
    assert "CSRF" in body["detail"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1_000)
def test_a_body_too_large_is_a_400_problem(alice_client):
    response = alice_client.post(
        "/api/v1/companies/", {"name": "x" * 5_000}, content_type="application/json"
    )

    assert_problem(response, 400)


def test_field_errors_are_named_under_errors(alice_client):
    response = alice_client.post(
        "/api/v1/relationships/", {"strength": 9}, content_type="application/json"
    )

    body = assert_problem(response, 400, "invalid")
    assert {"contact_a", "contact_b", "strength"} <= set(body["errors"])
    assert body["detail"].startswith(("contact_a: ", "contact_b: ", "strength: "))


def test_a_bad_idempotency_key_is_a_400_problem_naming_the_header(alice_client):
    response = alice_client.post(
        "/api/v1/companies/",
        {"name": "Hooli"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="has spaces",
    )

    body = assert_problem(response, 400, "invalid")
    assert list(body["errors"]) == ["Idempotency-Key"]


# --- The query string is a contract --------------------------------------------------------

DOCUMENT = SchemaGenerator().get_schema(request=None, public=True)
READS = sorted(
    (url, operation)
    for url, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
    if method == "get"
)


def _url(template: str, pk: int) -> str:
    return re.sub(r"\{[^}]+\}", str(pk), template)


def _documented(operation: dict) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}


@pytest.fixture
def a_contact(acme, alice):
    return ClientFactory(team=acme, owner=alice)


def test_every_read_of_the_api_is_enumerated():
    assert len(READS) >= 20
    assert any(url == "/api/v1/referrals/" for url, _op in READS)


@pytest.mark.parametrize(("url", "operation"), READS, ids=[url for url, _op in READS])
def test_every_read_refuses_a_parameter_it_does_not_document(
    alice_client, a_contact, url, operation
):
    response = alice_client.get(_url(url, a_contact.pk), {"owner__password": "garbage"})

    body = assert_problem(response, 400, "invalid")
    message = body["errors"]["owner__password"][0]
    assert message.startswith("Unknown parameter.")
    for name in _documented(operation):
        assert name in message  # it says which ones the URL takes


@pytest.mark.parametrize(
    ("url", "operation"),
    [(url, op) for url, op in READS if _documented(op)],
    ids=[url for url, op in READS if _documented(op)],
)
def test_every_read_refuses_a_parameter_given_twice(alice_client, a_contact, url, operation):
    name = sorted(_documented(operation))[0]

    response = alice_client.get(f"{_url(url, a_contact.pk)}?{name}=1&{name}=2")

    body = assert_problem(response, 400)
    assert body["errors"][name] == ["Give this parameter once."]


ORDERED = [(url, op) for url, op in READS if any(p["name"] == "ordering" for p in op["parameters"])]


@pytest.mark.parametrize(("url", "operation"), ORDERED, ids=[url for url, _op in ORDERED])
def test_an_ordering_a_list_cannot_sort_by_is_a_400(alice_client, url, operation):
    response = alice_client.get(url, {"ordering": "password"})

    body = assert_problem(response, 400)
    assert body["errors"]["ordering"][0].startswith("Cannot sort by password.")


@pytest.mark.parametrize(("url", "operation"), ORDERED, ids=[url for url, _op in ORDERED])
def test_an_ordering_the_schema_documents_is_accepted(alice_client, url, operation):
    (parameter,) = [p for p in operation["parameters"] if p["name"] == "ordering"]
    first = re.findall(r"[a-z_]+", parameter["description"].split(":", 1)[1])[0]

    for value in (first, f"-{first}", ""):
        assert alice_client.get(url, {"ordering": value}).status_code == 200


def test_the_issue_examples(alice_client):
    assert_problem(alice_client.get("/api/v1/referrals/", {"asked_at__gte": "garbage"}), 400)
    assert_problem(alice_client.get("/api/v1/contacts/", {"page_size": "abc"}), 400)
    assert_problem(alice_client.get("/api/v1/relationships/", {"strength": "0.5"}), 400)
    assert_problem(alice_client.get("/api/v1/notifications/", {"unread": "null"}), 400)
    assert alice_client.get("/api/v1/notifications/", {"unread": "true"}).status_code == 200


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    index=st.integers(min_value=0, max_value=len(READS) - 1),
    name=st.text(min_size=1, max_size=30),
    value=st.text(max_size=50),
)
def test_any_undocumented_parameter_on_any_read_is_a_400_never_a_500(
    alice_client, a_contact, index, name, value
):
    url, operation = READS[index]
    response = alice_client.get(_url(url, a_contact.pk), {name: value})

    if name in _documented(operation):
        assert response.status_code < 500
    else:
        body = assert_problem(response, 400)
        assert name in body["errors"]


# --- The schema says all of it ---------------------------------------------------------------


def _operations():
    for url, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            yield url, method.upper(), operation


def test_every_error_answer_is_documented_as_a_problem():
    for url, method, operation in _operations():
        for status, answer in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert list(answer["content"]) == [PROBLEM_CONTENT_TYPE], (url, method, status)


def test_every_operation_documents_the_errors_it_can_give():
    for url, method, operation in _operations():
        documented = set(operation["responses"])
        label = f"{method} {url}"
        assert {"405", "406", "503"} <= documented, label
        if method in {"POST", "PUT", "PATCH"}:
            assert {"400", "415"} <= documented, label
        if operation.get("security") and any(operation["security"]):
            assert {"401", "403"} <= documented, label
        if "{" in url:
            assert {"400", "404"} <= documented, label
        if _documented(operation):
            assert "400" in documented, label
    token = DOCUMENT["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert "Retry-After" in token["429"]["headers"]


def test_conflicts_are_documented_where_a_rule_can_refuse(alice_client):
    responses = DOCUMENT["paths"]["/api/v1/referrals/"]["post"]["responses"]
    schema = responses["409"]["content"][PROBLEM_CONTENT_TYPE]["schema"]
    assert schema == {"$ref": "#/components/schemas/DuplicateAsk"}
    duplicate = DOCUMENT["components"]["schemas"]["DuplicateAsk"]
    assert {"detail", "code", "existing_referral"} <= set(duplicate["properties"])
    transition = DOCUMENT["paths"]["/api/v1/referrals/{id}/transition/"]["post"]["responses"]
    assert "409" in transition


def test_dates_sent_to_the_api_are_documented_within_the_window():
    request = DOCUMENT["components"]["schemas"]["ReferralRequest"]["properties"]["asked_at"]
    shown = DOCUMENT["components"]["schemas"]["Referral"]["properties"]["asked_at"]
    assert request["pattern"].startswith("^(19[0-9]{2}|20[0-9]{2}|2100)-")
    assert "pattern" not in shown  # what is shown is not held to it
