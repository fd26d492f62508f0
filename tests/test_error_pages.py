"""Error pages people see: Warmpath's own, with a way back, instead of Django's bare
'Not Found' / 'Forbidden' / 'Server Error (500)' text."""

from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.views import defaults

from config.unavailable import server_error
from tests.factories import ContactFactory


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
