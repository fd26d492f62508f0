"""The JSON API's common ground, which every endpoint inherits and every integration relies
on: getting a token, authenticating with it or a session, errors as problem details (401
for the anonymous, never a redirect, an HTML page or a 500), strict query strings,
pagination, and the OpenAPI schema with its UI."""

import json
from http import HTTPStatus

import pytest
import yaml
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.test import Client
from django.urls import include, path
from rest_framework.authtoken.models import Token
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import ModelSerializer
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.models import Team
from config.api import Pagination
from tests.factories import TEST_PASSWORD, TeamFactory, UserFactory
from tests.test_accounts import assert_assets_served_locally

PROBLEM = "application/problem+json"

# --- Probe endpoints -----------------------------------------------------------------------
# Minimal API views with the project's defaults (authentication, permissions, pagination,
# exception handler), so these tests pin what every real endpoint inherits, whatever
# endpoints exist today. They are mounted beside the real URLs for this module only.


class WhoAmI(APIView):
    def get(self, request):
        return Response({"username": request.user.username})

    def post(self, request):
        return Response({"username": request.user.username})


SERVICE_ERRORS = {
    "field": DjangoValidationError({"value": ["Value must be positive."]}),
    "rule": DjangoValidationError("This referral is already won."),
    "missing": Http404("No such referral."),
    "forbidden": PermissionDenied("Not yours."),
}


class ServiceError(APIView):
    """Raises what a service or a visibility helper raises deep inside a request."""

    def get(self, request, kind):
        raise SERVICE_ERRORS[kind]


class TeamSerializer(ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]


class TeamList(ListAPIView):
    queryset = Team.objects.order_by("name")
    serializer_class = TeamSerializer


urlpatterns = [
    path("probe/whoami/", WhoAmI.as_view()),
    path("probe/error/<str:kind>/", ServiceError.as_view()),
    path("probe/teams/", TeamList.as_view()),
    path("", include("config.urls")),
]

# For the tests that call a probe; the others run against the real URLs alone.
uses_probes = pytest.mark.urls(__name__)


def token_for(username: str, password: str = TEST_PASSWORD):
    return Client().post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        content_type="application/json",
    )


def token_client(key: str) -> Client:
    # enforce_csrf_checks: a script holding a token has no CSRF cookie, and needs none.
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {key}")


# --- Token ----------------------------------------------------------------------------------


def test_token_for_good_credentials(alice):
    response = token_for("alice")

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=alice).key}
    # Asking again gives the same token: scripts may log in on every run.
    assert token_for("alice").json() == response.json()


def test_token_endpoint_needs_no_csrf_token(alice):
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": TEST_PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("username", "password"), [("alice", "wrong-password"), ("nobody", TEST_PASSWORD)]
)
def test_token_refused_for_bad_credentials(alice, username, password):
    response = token_for(username, password)

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert "non_field_errors" in response.json()["errors"]
    assert not Token.objects.exists()


def test_token_refused_for_an_inactive_user(db):
    UserFactory(username="gone", is_active=False)

    assert token_for("gone").status_code == 400


def test_token_request_without_fields_gets_field_errors(db):
    response = Client().post("/api/v1/auth/token/", {}, content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "password"}


def test_token_request_with_broken_json_is_a_400_not_a_500(db):
    response = Client().post(
        "/api/v1/auth/token/", '{"username": "alice", ', content_type="application/json"
    )

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_token_endpoint_answers_post_only(db):
    response = Client().get("/api/v1/auth/token/")

    assert response.status_code == 405
    assert "detail" in response.json()


# --- Authentication -------------------------------------------------------------------------


@uses_probes
def test_token_authenticates(alice):
    client = token_client(token_for("alice").json()["token"])

    assert client.get("/probe/whoami/").json() == {"username": "alice"}
    # Writes too, without a CSRF token.
    assert client.post("/probe/whoami/", {}, content_type="application/json").status_code == 200


@uses_probes
def test_an_invalid_token_is_a_401(alice):
    response = token_client("0" * 40).get("/probe/whoami/")

    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."
    assert response.json()["code"] == "authentication_failed"


@uses_probes
def test_anonymous_api_request_is_a_json_401_not_a_redirect(client, db):
    response = client.get("/probe/whoami/")

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


@uses_probes
def test_session_authenticates_the_api(alice_client):
    assert alice_client.get("/probe/whoami/").json() == {"username": "alice"}


@uses_probes
def test_session_writes_need_the_csrf_token(alice):
    # A logged-in browser is the one a forged cross-site POST would ride on.
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post("/probe/whoami/", {}, content_type="application/json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


# --- Errors are JSON, never a 500 ---------------------------------------------------------------


@uses_probes
@pytest.mark.parametrize(
    ("kind", "status", "members"),
    [
        (
            "field",
            400,
            {
                "detail": "value: Value must be positive.",
                "code": "invalid",
                "errors": {"value": ["Value must be positive."]},
            },
        ),
        (
            "rule",
            400,
            {
                "detail": "This referral is already won.",
                "code": "invalid",
                "errors": {"non_field_errors": ["This referral is already won."]},
            },
        ),
        ("missing", 404, {"detail": "Not found.", "code": "not_found"}),
        # The service's own reason.
        ("forbidden", 403, {"detail": "Not yours.", "code": "permission_denied"}),
    ],
)
def test_errors_raised_by_services_become_problems(alice_client, kind, status, members):
    response = alice_client.get(f"/probe/error/{kind}/")

    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    assert response.json() == {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        **members,
    }


# --- Pagination -------------------------------------------------------------------------------


@uses_probes
def test_lists_are_paginated(alice_client, acme, globex):
    TeamFactory(name="Initech")

    response = alice_client.get("/probe/teams/", {"page_size": 2})

    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert [team["name"] for team in body["results"]] == ["Acme", "Globex"]
    assert body["next"].endswith("/probe/teams/?page=2&page_size=2")
    assert body["previous"] is None


@pytest.mark.parametrize(("asked", "given"), [(None, 50), ("1", 1), ("10", 10), ("500", 500)])
def test_page_size_from_1_to_500(asked, given):
    query = {"page_size": asked} if asked else {}
    request = Request(APIRequestFactory().get("/", query))

    assert Pagination().get_page_size(request) == given


@uses_probes
@pytest.mark.parametrize("name", ["page", "page_size"])
@pytest.mark.parametrize(
    "value", ["", "0", "-1", "abc", "1.5", " 2", "٣", "1e3", "9" * 5000, "501", "1000001"]
)
def test_a_page_or_page_size_not_a_whole_number_in_range_is_a_400(alice_client, name, value):
    if name == "page" and value == "501":
        return  # page 501 is a whole number in range: past the last page, a 404
    response = alice_client.get("/probe/teams/", {name: value})

    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"][name][0].startswith("A whole number from 1 to")


@uses_probes
def test_a_page_past_the_last_is_a_404(alice_client, acme):
    response = alice_client.get("/probe/teams/", {"page": 2})

    assert response.status_code == 404
    assert response.json()["detail"] == "Invalid page."


# --- Schema and its UI --------------------------------------------------------------------------


def test_schema_is_an_openapi_3_document(alice_client):
    response = alice_client.get("/api/schema/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Warmpath API"
    assert "/api/v1/auth/token/" in document["paths"]
    assert all(url.startswith("/api/v1/") for url in document["paths"])


def test_schema_as_json_with_a_token(alice):
    client = token_client(token_for("alice").json()["token"])

    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    assert json.loads(response.content)["openapi"].startswith("3.")


def test_schema_needs_authentication(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "Authentication credentials were not provided."


def test_docs_render_swagger_ui_from_local_files(alice_client):
    response = alice_client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="swagger-ui"' in html
    # The start-up script is a file of its own, not inline: the page's CSP allows no inline script.
    assert '<script src="/api/docs/?script="></script>' in html
    script = alice_client.get("/api/docs/", {"script": ""})
    assert script["Content-Type"].startswith("application/javascript")
    assert 'url: "/api/schema/"' in script.content.decode()
    urls = assert_assets_served_locally(html.replace('src="/api/docs/?script="', ""))
    assert any(url.endswith("swagger-ui-bundle.js") for url in urls)
    assert any(url.endswith("swagger-ui.css") for url in urls)


def test_docs_send_anonymous_visitors_to_login(client, db):
    response = client.get("/api/docs/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/api/docs/"
