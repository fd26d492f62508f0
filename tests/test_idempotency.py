"""Idempotency-Key on the API's POSTs (idempotency.middleware): a retry replays the first
answer without doing the work again; the same key with another request is a 422; keys are
per user and forgotten after 24 hours; only successful answers are kept; two requests with
one key at once do the work once. Requests authenticate with a real token, as a script's."""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config.schedule import PERIODIC_TASKS
from contacts.models import Contact
from followups.models import FollowUp
from idempotency import middleware, services, tasks
from idempotency.models import IdempotencyKey
from referrals import services as referral_services
from referrals.models import Referral
from tests.api_errors import detail, field_errors, problem_of
from tests.factories import (
    ClientFactory,
    ContactFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
)

NOW = "2026-11-25T10:00:00+00:00"
HEADER = "HTTP_IDEMPOTENCY_KEY"


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0]}")
    return client


@pytest.fixture
def alice_api(alice):
    return token_client(alice)


@pytest.fixture
def people(acme, alice):
    return ClientFactory(team=acme, owner=alice), ContactFactory(team=acme, owner=alice)


def new_key() -> str:
    return str(uuid.uuid4())


def ask(client, people, key=None, **extra):
    referrer, prospect = people
    headers = {HEADER: key} if key is not None else {}
    return client.post(
        "/api/v1/referrals/",
        {"referrer": referrer.pk, "prospect": prospect.pk, **extra},
        format="json",
        **headers,
    )


def new_contact(client, key, first_name="Nina"):
    return client.post(
        "/api/v1/contacts/", {"first_name": first_name}, format="json", **{HEADER: key}
    )


# --- Replay ------------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_replays_the_answer_and_does_nothing(alice_api, people):
    key = new_key()
    first = ask(alice_api, people, key)
    again = ask(alice_api, people, key)

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again[middleware.REPLAYED_HEADER] == "true"
    assert middleware.REPLAYED_HEADER not in first
    # Without the key the second would be refused as a duplicate ask; with it, the client
    # learns its first request went through.
    assert Referral.objects.count() == 1
    assert FollowUp.objects.filter(kind=FollowUp.Kind.THANK_REFERRER).count() == 1
    assert ask(alice_api, people).status_code == 409


def test_an_action_post_is_replayed_too(alice, alice_api, people, acme):
    referral = referral_services.referral_create(
        owner=alice, team=acme, referrer=people[0], prospect=people[1]
    )
    followup = FollowUp.objects.get(referral=referral)
    url = f"/api/v1/followups/{followup.pk}/complete/"
    key = new_key()
    first = alice_api.post(url, {"channel": "email"}, format="json", **{HEADER: key})
    again = alice_api.post(url, {"channel": "email"}, format="json", **{HEADER: key})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    # Without the key, a second completion is refused: the replay is not a second one.
    assert alice_api.post(url, {"channel": "email"}, format="json").status_code == 409


def test_a_replay_runs_no_view(alice_api, people, django_assert_max_num_queries):
    key = new_key()
    ask(alice_api, people, key)
    # The token (the middleware's authentication); in a savepoint: the expired key's
    # delete, the insert refused in its own savepoint (on PostgreSQL, with lock_timeout
    # set around it: 3 more), the stored answer. Nothing of the view.
    with django_assert_max_num_queries(12) as captured:
        assert ask(alice_api, people, key).status_code == 201
    assert not [query for query in captured if "referrals_" in query["sql"]]


# --- Refusals -------------------------------------------------------------------------------


def test_the_same_key_with_another_request_is_a_422(alice, alice_api, people, acme):
    key = new_key()
    ask(alice_api, people, key, reason="First")
    other_body = ask(alice_api, people, key, reason="Second")
    other_path = new_contact(alice_api, key)

    for response in (other_body, other_path):
        assert response.status_code == 422
        body = problem_of(response)
        assert (body["code"], body["detail"]) == ("key_reused", middleware.KEY_REUSED)
    assert Referral.objects.get().reason == "First"
    assert not Contact.objects.filter(first_name="Nina").exists()


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(key=st.text(max_size=300))
def test_a_malformed_key_is_a_400_and_any_other_is_served(alice_api, key):
    response = new_contact(alice_api, key)
    valid = middleware._KEY.match(key) is not None
    assert response.status_code == (201 if valid else 400)
    if not valid:
        assert field_errors(response) == {"Idempotency-Key": [middleware.BAD_KEY]}
        assert detail(response) == middleware.BAD_KEY


# --- Which answers are kept -----------------------------------------------------------------


def test_a_refused_request_leaves_the_key_free(alice, alice_api, people, acme):
    key = new_key()
    invalid = alice_api.post(
        "/api/v1/referrals/", {"referrer": people[0].pk}, format="json", **{HEADER: key}
    )
    assert invalid.status_code == 400
    assert ask(alice_api, people, key).status_code == 201  # corrected, same key
    assert IdempotencyKey.objects.get().response_status == 201


def test_a_business_refusal_is_not_kept_either(alice, alice_api, people, acme):
    existing = referral_services.referral_create(
        owner=alice, team=acme, referrer=people[0], prospect=people[1]
    )
    key = new_key()
    assert ask(alice_api, people, key).status_code == 409
    referral_services.referral_transition(referral=existing, to=Referral.Status.DECLINED)
    assert ask(alice_api, people, key).status_code == 201


def test_a_server_error_keeps_nothing_of_the_request(alice_api, people, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    # Fails after the referral is written, in the same request.
    monkeypatch.setattr(referral_services, "referrer_warning", broken)
    client = token_client(people[0].owner)
    client.raise_request_exception = False
    key = new_key()
    assert ask(client, people, key).status_code == 500
    assert not Referral.objects.exists()
    assert not IdempotencyKey.objects.exists()


# --- Whose keys, which requests, how long --------------------------------------------------------


def test_keys_are_per_user(alice_api, bob):
    key = new_key()
    assert new_contact(alice_api, key, "Alma").status_code == 201
    assert new_contact(token_client(bob), key, "Bert").status_code == 201
    assert set(Contact.objects.values_list("first_name", flat=True)) == {"Alma", "Bert"}
    assert IdempotencyKey.objects.count() == 2


def test_a_session_user_has_keys_too(alice_client):
    key = new_key()
    for _ in range(2):
        response = alice_client.post(
            "/api/v1/contacts/", {"first_name": "Nina"}, content_type="application/json",
            **{HEADER: key},
        )  # fmt: skip
        assert response.status_code == 201
    assert Contact.objects.filter(first_name="Nina").count() == 1


def test_a_browser_session_with_its_csrf_token_has_keys_too(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    browser.get("/referrals/new/")  # sets the CSRF cookie
    headers = {"HTTP_X_CSRFTOKEN": browser.cookies["csrftoken"].value, HEADER: new_key()}
    for _ in range(2):
        response = browser.post(
            "/api/v1/contacts/", {"first_name": "Nina"}, content_type="application/json",
            **headers,
        )  # fmt: skip
        assert response.status_code == 201
    assert response[middleware.REPLAYED_HEADER] == "true"
    assert Contact.objects.filter(first_name="Nina").count() == 1


def test_a_key_is_forgotten_after_24_hours(alice_api, time_machine):
    time_machine.move_to(NOW, tick=False)
    key = new_key()
    assert new_contact(alice_api, key).status_code == 201
    time_machine.shift(timedelta(hours=23, minutes=59))
    assert new_contact(alice_api, key)[middleware.REPLAYED_HEADER] == "true"
    time_machine.shift(timedelta(minutes=2))
    again = new_contact(alice_api, key)
    assert again.status_code == 201
    assert middleware.REPLAYED_HEADER not in again
    assert Contact.objects.filter(first_name="Nina").count() == 2


def test_anonymous_requests_the_token_endpoint_and_other_methods_ignore_the_header(
    alice, alice_api, client
):
    alice.set_password("a-long-enough-password")
    alice.save()
    key = new_key()
    body = {"username": "alice", "password": "a-long-enough-password"}
    for _ in range(2):
        assert APIClient().post("/api/v1/auth/token/", body, **{HEADER: key}).status_code == 200
    assert APIClient().post("/api/v1/contacts/", {}, **{HEADER: key}).status_code == 401
    contact = new_contact(alice_api, new_key()).json()
    patched = alice_api.patch(
        f"/api/v1/contacts/{contact['id']}/", {"last_name": "N"}, format="json", **{HEADER: key}
    )
    assert patched.status_code == 200
    assert IdempotencyKey.objects.count() == 1  # the contact's create only


def test_the_nightly_purge_deletes_expired_keys_and_is_idempotent(alice_api, time_machine):
    time_machine.move_to(NOW, tick=False)
    old, recent = new_key(), new_key()
    new_contact(alice_api, old)
    time_machine.shift(timedelta(hours=20))
    new_contact(alice_api, recent, "Rita")
    time_machine.shift(timedelta(hours=5))
    assert tasks.idempotency_keys_purge() == 1
    assert services.idempotency_keys_purge() == 0
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == [recent]
    scheduled = {entry.task: entry for entry in PERIODIC_TASKS}
    assert scheduled["idempotency.tasks.idempotency_keys_purge"].crontab == {
        "minute": "53",
        "hour": "3",
    }


# --- The OpenAPI document ----------------------------------------------------------------------


def test_every_post_that_needs_a_user_documents_the_header():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    posts = {path: item["post"] for path, item in schema["paths"].items() if "post" in item}
    assert len(posts) > 10
    for path, operation in posts.items():
        names = [parameter["name"] for parameter in operation.get("parameters", [])]
        if path == "/api/v1/auth/token/":
            assert middleware.HEADER not in names
            continue
        assert middleware.HEADER in names, path
        assert {"409", "422"} <= set(operation["responses"]), path
    for item in schema["paths"].values():
        for method in set(item) - {"post"}:
            names = [parameter["name"] for parameter in item[method].get("parameters", [])]
            assert middleware.HEADER not in names


# --- At once, on PostgreSQL ------------------------------------------------------------------

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers: PostgreSQL"
)


def at_once(works) -> list:
    """Run each of `works` in its own thread (and connection), released together."""
    results, errors = [None] * len(works), []
    start = threading.Barrier(len(works))

    def run(number):
        try:
            start.wait()
            results[number] = works[number]()
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.fixture
def racer(transactional_db):
    team = TeamFactory(name="Race")
    rep = MembershipFactory(team=team, user=UserFactory(username="racer")).user
    Token.objects.create(user=rep)  # before the threads: each only reads it
    return rep, (ClientFactory(team=team, owner=rep), ContactFactory(team=team, owner=rep))


@needs_postgresql
def test_twenty_parallel_posts_with_one_key_do_the_work_once(racer):
    rep, people = racer
    key = new_key()

    def post():
        response = ask(token_client(rep), people, key)
        return response.status_code, response.content, response.get(middleware.REPLAYED_HEADER)

    results = at_once([post] * 20)

    assert {status for status, _, _ in results} == {201}
    assert len({content for _, content, _ in results}) == 1
    assert sorted(str(replayed) for _, _, replayed in results) == ["None"] + ["true"] * 19
    assert Referral.objects.count() == 1
    assert FollowUp.objects.filter(kind=FollowUp.Kind.THANK_REFERRER).count() == 1


@needs_postgresql
def test_a_second_request_waits_for_the_first_and_gets_409_past_the_wait(
    racer, monkeypatch, settings
):
    rep, people = racer
    settings.WARMPATH_IDEMPOTENCY_WAIT_SECONDS = 0.3
    warning = referral_services.referrer_warning

    def slow_warning(**kwargs):
        time.sleep(1.5)  # the first request is still working, its key row uncommitted
        return warning(**kwargs)

    monkeypatch.setattr(referral_services, "referrer_warning", slow_warning)
    key = new_key()

    def first():
        return ask(token_client(rep), people, key).status_code

    def second():
        time.sleep(0.5)
        return ask(token_client(rep), people, key)

    created, refused = at_once([first, second])
    assert created == 201
    assert refused.status_code == 409
    body = problem_of(refused)
    assert (body["code"], body["detail"]) == ("key_in_progress", middleware.KEY_IN_PROGRESS)
    monkeypatch.setattr(referral_services, "referrer_warning", warning)
    again = ask(token_client(rep), people, key)
    assert (again.status_code, again[middleware.REPLAYED_HEADER]) == (201, "true")
    assert Referral.objects.count() == 1


@needs_postgresql
def test_a_waiting_request_with_another_body_gets_422_once_the_first_commits(racer, monkeypatch):
    rep, people = racer
    warning = referral_services.referrer_warning

    def slow_warning(**kwargs):
        time.sleep(0.5)
        return warning(**kwargs)

    monkeypatch.setattr(referral_services, "referrer_warning", slow_warning)
    key = new_key()

    def first():
        return ask(token_client(rep), people, key).status_code

    def second():
        time.sleep(0.2)
        return ask(token_client(rep), people, key, reason="Other").status_code

    assert at_once([first, second]) == [201, 422]
    assert Referral.objects.get().reason == ""
