"""Authentication hardening: login lockout (django-axes) on the login page, the admin
login and the API token endpoint; the token endpoint's throttle; API tokens the user and
admins can revoke; a password change ends the user's other sessions and revokes their
token; and which views answer without a login."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.views import APIView

from accounts import security
from accounts.views_security import NO_TOKEN_TO_REVOKE, TOKEN_REVOKED
from tests.api_errors import detail, problem_of
from tests.factories import TEST_PASSWORD, UserFactory

LIMIT = settings.AXES_FAILURE_LIMIT
NEW_PASSWORD = "a-much-longer-Passphrase-2026"


def log_in(client: Client, username: str, password: str, path: str = "/login/"):
    return client.post(path, {"username": username, "password": password})


def fail_logins(client: Client, username: str, times: int, path: str = "/login/"):
    return [log_in(client, username, "not-the-password", path) for _ in range(times)]


def token_request(username: str, password: str, *, address: str = "127.0.0.1"):
    return Client(REMOTE_ADDR=address).post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        content_type="application/json",
    )


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def api_status(key: str) -> int:
    return Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/contacts/").status_code


# --- Lockout on the login page ------------------------------------------------------------


def test_failures_below_the_limit_only_show_the_form_error(alice, client):
    responses = fail_logins(client, "alice", LIMIT - 1)

    assert [response.status_code for response in responses] == [200] * (LIMIT - 1)
    assert "correct username and password" in responses[-1].content.decode()
    assert log_in(client, "alice", TEST_PASSWORD).status_code == 302


def test_the_limit_th_failure_locks_the_login_out_with_a_clear_429(alice, client):
    responses = fail_logins(client, "alice", LIMIT)

    locked = responses[-1]
    assert locked.status_code == 429
    assert security.locked_out_message() in locked.content.decode()
    assert "30 minutes" in security.locked_out_message()
    assert "registration/locked_out.html" in [t.name for t in locked.templates]


def test_while_locked_out_the_right_password_is_refused_too(alice, client):
    fail_logins(client, "alice", LIMIT)

    response = log_in(client, "alice", TEST_PASSWORD)

    assert response.status_code == 429
    assert not is_logged_in(client)


def test_the_lockout_is_per_username_and_address(alice, bob):
    fail_logins(Client(), "alice", LIMIT)

    # Another user from the same address, and alice from another address, still log in.
    assert log_in(Client(), "bob", TEST_PASSWORD).status_code == 302
    assert log_in(Client(REMOTE_ADDR="10.1.2.3"), "alice", TEST_PASSWORD).status_code == 302
    assert log_in(Client(), "alice", TEST_PASSWORD).status_code == 429


def test_a_successful_login_resets_the_count(alice, client):
    fail_logins(client, "alice", LIMIT - 1)
    assert log_in(Client(), "alice", TEST_PASSWORD).status_code == 302

    responses = fail_logins(client, "alice", LIMIT - 1)

    assert responses[-1].status_code == 200


def test_the_lockout_ends_after_the_cool_off(alice, client):
    fail_logins(client, "alice", LIMIT)
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    )

    assert log_in(client, "alice", TEST_PASSWORD).status_code == 302


def test_the_admin_login_counts_and_locks_out_too(admin_user, client):
    responses = fail_logins(client, "admin", LIMIT, path="/admin/login/")

    assert responses[-1].status_code == 429
    assert log_in(client, "admin", TEST_PASSWORD, path="/admin/login/").status_code == 429


def test_an_admin_unlocks_by_deleting_the_access_attempt(alice, admin_client_):
    fail_logins(Client(), "alice", LIMIT)
    attempt = AccessAttempt.objects.get(username="alice")
    changelist = admin_client_.get("/admin/axes/accessattempt/")
    assert changelist.status_code == 200
    assert "alice" in changelist.content.decode()

    response = admin_client_.post(
        f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert log_in(Client(), "alice", TEST_PASSWORD).status_code == 302


def test_authenticate_without_a_request_still_works(alice):
    # The test client's login(), the shell and management commands have no request: the
    # lockout backend steps aside for them instead of failing.
    assert authenticate(username="alice", password=TEST_PASSWORD) == alice
    assert Client().login(username="alice", password=TEST_PASSWORD)


def test_the_client_address_honours_our_proxies_only(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4")

    settings.WARMPATH_PROXY_COUNT = 0
    assert security.client_ip(request) == "10.0.0.1"
    settings.WARMPATH_PROXY_COUNT = 1
    # The address our one proxy saw; what the client wrote before it is not believed.
    assert security.client_ip(request) == "1.2.3.4"


# --- Lockout and throttle on the API token endpoint ----------------------------------------


def test_the_token_endpoint_locks_out_with_a_json_429(alice):
    responses = [token_request("alice", "wrong") for _ in range(LIMIT)]

    assert [r.status_code for r in responses[:-1]] == [400] * (LIMIT - 1)
    assert responses[-1].status_code == 429
    locked = problem_of(responses[-1])
    assert (locked["code"], locked["detail"]) == ("throttled", security.locked_out_message())
    right_password = token_request("alice", TEST_PASSWORD)
    assert right_password.status_code == 429
    assert not Token.objects.filter(user=alice).exists()


def test_the_login_page_and_the_token_endpoint_share_one_count(alice, client):
    fail_logins(client, "alice", LIMIT - 1)

    assert token_request("alice", "wrong").status_code == 429
    assert log_in(client, "alice", TEST_PASSWORD).status_code == 429


def _try(client, path: str, username: str):
    if path == "token":
        return token_request(username, "not-the-password")
    return log_in(client, username, "not-the-password", path)


@pytest.mark.parametrize("username", ["u" * 300, "é" * 5000], ids=["300", "5000"])
@pytest.mark.parametrize("path", ["/login/", "/admin/login/", "token"])
def test_a_username_of_any_length_is_counted_never_a_500(db, client, path, username):
    """The failure's record keeps the username in a 255-character column: a longer one
    was a DataError there (PostgreSQL), a 500. Now it is counted under its first 255
    characters, and locks out like any other."""
    responses = [_try(client, path, username) for _ in range(LIMIT)]

    assert [response.status_code for response in responses][-1] == 429
    assert all(response.status_code < 500 for response in responses)
    recorded = AccessAttempt.objects.get()
    assert recorded.username == username[: AccessAttempt._meta.get_field("username").max_length]


@pytest.mark.parametrize("path", ["/login/", "/admin/login/", "token"])
def test_a_username_with_nul_is_refused_never_a_500(db, client, path):
    # PostgreSQL cannot store NUL: the forms and the serializer refuse it, and the record
    # of a failure drops it (accounts.security.login_username).
    assert _try(client, path, "ann\x00").status_code in (200, 400)
    assert security.login_username(None, {"username": "ann\x00"}) == "ann"


def test_the_token_endpoint_is_throttled_per_address(db):
    rate, _, _ = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"].partition("/")
    users = UserFactory.create_batch(int(rate) + 1)

    answers = [token_request(user.username, TEST_PASSWORD).status_code for user in users]

    assert answers == [200] * int(rate) + [429]
    refused = token_request(users[0].username, TEST_PASSWORD)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "throttled" in detail(refused)
    # Another address has its own count.
    assert token_request(users[0].username, TEST_PASSWORD, address="10.9.8.7").status_code == 200


# --- The user's API token page --------------------------------------------------------------


def test_the_token_page_needs_a_login(client, db):
    response = client.get(reverse("profile-api-token"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_profile_page_links_to_the_token_page(alice_client):
    assert reverse("profile-api-token") in alice_client.get(reverse("profile")).content.decode()


def test_without_a_token_the_page_offers_to_make_one(alice_client):
    response = alice_client.get(reverse("profile-api-token"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "You have no API token" in page
    assert 'value="create"' in page


def test_a_new_token_is_shown_once_in_full(alice, alice_client):
    response = alice_client.post(reverse("profile-api-token"), {"action": "create"})

    token = Token.objects.get(user=alice)
    assert response.status_code == 200
    assert token.key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert api_status(token.key) == 200
    again = alice_client.get(reverse("profile-api-token")).content.decode()
    assert token.key not in again
    assert "You have a token" in again


def test_making_a_new_token_revokes_the_old_one(alice, alice_client):
    old = security.api_token_create(user=alice).key

    alice_client.post(reverse("profile-api-token"), {"action": "create"})

    new = Token.objects.get(user=alice).key
    assert new != old
    assert api_status(old) == 401
    assert api_status(new) == 200


def test_the_user_revokes_their_token(alice, alice_client):
    key = security.api_token_create(user=alice).key

    response = alice_client.post(reverse("profile-api-token"), {"action": "revoke"}, follow=True)

    assert TOKEN_REVOKED in response.content.decode()
    assert not Token.objects.filter(user=alice).exists()
    assert api_status(key) == 401


def test_revoking_without_a_token_says_so(alice_client):
    response = alice_client.post(reverse("profile-api-token"), {"action": "revoke"}, follow=True)

    assert NO_TOKEN_TO_REVOKE in response.content.decode()


def test_the_token_page_touches_only_the_users_own_token(alice, bob, bob_client):
    key = security.api_token_create(user=alice).key

    bob_client.post(reverse("profile-api-token"), {"action": "revoke"})

    assert api_status(key) == 200


def test_an_admin_revokes_a_token_in_the_admin(alice, admin_client_):
    key = security.api_token_create(user=alice).key
    changelist = admin_client_.get("/admin/authtoken/tokenproxy/")
    assert changelist.status_code == 200
    # The list names the token by its first characters only.
    assert key[:6] in changelist.content.decode()
    assert key not in changelist.content.decode()

    response = admin_client_.post(
        f"/admin/authtoken/tokenproxy/{alice.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert api_status(key) == 401


# --- Password change --------------------------------------------------------------------------


def test_a_password_change_logs_out_the_other_sessions_and_keeps_this_one(alice):
    here, elsewhere = Client(), Client()
    assert log_in(here, "alice", TEST_PASSWORD).status_code == 302
    assert log_in(elsewhere, "alice", TEST_PASSWORD).status_code == 302
    key = security.api_token_create(user=alice).key

    response = here.post(
        reverse("password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        follow=True,
    )

    assert response.status_code == 200
    assert "your API token, if you had one, is revoked" in response.content.decode()
    assert here.get(reverse("profile")).status_code == 200
    elsewhere_answer = elsewhere.get(reverse("profile"))
    assert elsewhere_answer.status_code == 302
    assert elsewhere_answer["Location"].startswith(reverse("login"))
    assert api_status(key) == 401
    assert not Token.objects.filter(user=alice).exists()


def test_a_refused_password_change_keeps_the_token(alice, alice_client):
    key = security.api_token_create(user=alice).key

    response = alice_client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert api_status(key) == 200


def test_the_password_validators_are_on(alice_client):
    response = alice_client.post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )

    assert response.status_code == 200
    assert "too common" in response.content.decode()


def test_a_password_set_by_an_admin_revokes_the_token(alice, admin_client_):
    key = security.api_token_create(user=alice).key

    response = admin_client_.post(
        f"/admin/accounts/user/{alice.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302
    assert api_status(key) == 401


# --- Private by default -------------------------------------------------------------------------


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback, pattern.name


def _is_api(view) -> bool:
    view_class = getattr(view, "cls", None)
    return view_class is not None and issubclass(view_class, APIView)


def test_the_only_pages_open_without_a_login_are_the_logins_and_health():
    # API views authenticate themselves (below); every other view needs a login, but the
    # two a secret in the link opens: a referrer's answer to an ask and a rep's calendar
    # feed (docs/architecture.md, "Pages without an account").
    public = sorted(
        route
        for route, view, _name in _routes(get_resolver().url_patterns)
        if not _is_api(view) and not getattr(view, "login_required", True)
    )

    assert public == [
        "admin/login/",
        "calendar/<str:secret>.ics",
        "health/",
        "login/",
        "r/<str:token>/",
    ]


@pytest.mark.django_db
def test_every_api_view_but_the_token_endpoint_answers_401_to_visitors():
    answers = {}
    for route, view, name in _routes(get_resolver().url_patterns):
        if not _is_api(view) or name in {"api-token", "api-docs"}:
            continue
        path = "/" + route.replace("(?P<pk>[^/.]+)", "1").replace("^", "").replace("$", "")
        answers[path] = Client().get(path).status_code

    assert answers, "no API views found"
    assert set(answers.values()) == {401}, answers
    assert Client().post("/api/v1/auth/token/", {}).status_code == 400
    docs = Client().get("/api/docs/")
    assert docs.status_code == 302
    assert docs["Location"].startswith(reverse("login"))
