"""Error pages people see: Warmpath's own, with a way back, instead of Django's bare
'Not Found' / 'Forbidden' / 'Server Error (500)' text."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.views import defaults

from config.unavailable import server_error
from tests.factories import ContactFactory
from trust.processes import child_env

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_an_unknown_page_is_a_404_in_the_apps_layout(alice_client):
    response = alice_client.get("/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "<title>Page not found · Warmpath</title>" in page
    assert "This page does not exist" in page
    assert 'aria-label="Main navigation"' in page and 'href="/"' in page


def test_another_teams_record_is_the_same_404(alice_client, charlie):
    outsider = ContactFactory(team=charlie.memberships.get().team, owner=charlie)

    response = alice_client.get(f"/contacts/{outsider.pk}/")

    assert response.status_code == 404
    assert "This page does not exist" in response.content.decode()


def test_permission_denied_has_its_page(alice):
    request = RequestFactory().get("/somewhere/")
    request.user = alice

    response = defaults.permission_denied(request, PermissionDenied())

    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()


def test_an_expired_form_says_nothing_was_saved_and_what_to_do(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post("/profile/", {"first_name": "Changed"})

    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    alice.refresh_from_db()
    assert alice.first_name == "Alice"


def test_an_unexpected_error_has_a_plain_page_of_its_own():
    request = RequestFactory().get("/week/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert "/static/css/warmpath.css" in page


# --- With DEBUG on (the local settings): the project's own 404 unless asked -------------------

OWN_404 = "core.middleware.OwnNotFoundPageMiddleware"


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True
    # As config/settings/local.py builds it when DJANGO_DEBUG_404 is not set.
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, OWN_404]
    return settings


def test_with_debug_on_a_rep_opening_the_dashboard_gets_the_projects_404(debug_on, alice_client):
    response = alice_client.get("/dashboard/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "This page does not exist" in page
    assert "<title>Page not found · Warmpath</title>" in page
    assert "belongs to another role" not in page  # the exception's text: the debug page's


def test_with_debug_on_an_unknown_url_gets_the_projects_404(debug_on, alice_client):
    response = alice_client.get("/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "This page does not exist" in page
    assert "URLconf" not in page


def test_with_debug_on_the_api_keeps_its_problem_details(debug_on, alice_client):
    response = alice_client.get("/api/v1/no-such-list/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


def test_a_developer_who_asks_gets_djangos_debug_page(settings, alice_client):
    settings.DEBUG = True  # DJANGO_DEBUG_404=true: the local settings leave the middleware out

    response = alice_client.get("/dashboard/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "DEBUG = True" in page
    assert "This page does not exist" not in page


def _local_middleware(**env) -> list[str]:
    code = "from django.conf import settings; print('\\n'.join(settings.MIDDLEWARE))"
    result = subprocess.run(  # noqa: S603 - a fixed argv of our own, no shell
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=REPO_ROOT,
        env=child_env(DJANGO_ENV="local", **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.parametrize(
    ("env", "own_page"),
    [
        ({}, True),
        ({"DJANGO_DEBUG_404": "true"}, False),
        ({"DJANGO_DEBUG_404": "false"}, True),
        ({"DJANGO_DEBUG": "false"}, False),  # DEBUG off: Django's handler404 is the page
    ],
)
def test_the_local_settings_show_the_projects_404_unless_a_developer_asks(env, own_page, tmp_path):
    middleware = _local_middleware(WARMPATH_VAR_DIR=str(tmp_path), **env)

    assert (OWN_404 in middleware) is own_page
