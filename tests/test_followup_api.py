"""/api/v1/followups/: read-only lists scoped like the pages, the filters, and the two
actions — complete (once: a second time is a 409) and skip (a reason or a 400)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from contacts.models import Activity, Channel
from followups import services
from followups.models import FollowUp
from tests.api_errors import detail, field_errors
from tests.factories import ClientFactory, FollowUpFactory, MembershipFactory, ReferralFactory

# Calendar-sensitive: .ci/run also runs these at hostile moments (tests/clock.py).
pytestmark = pytest.mark.dates

URL = "/api/v1/followups/"
Kind = FollowUp.Kind


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def referral(acme, alice):
    return ReferralFactory(referrer=ClientFactory(team=acme, owner=alice, first_name="Carla"))


@pytest.fixture
def followup(referral):
    return FollowUpFactory(referral=referral, due_at=timezone.now() - timedelta(hours=2))


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def test_the_list_shows_the_contract_fields(alice, followup, referral):
    response = api_for(alice).get(URL)

    assert response.status_code == 200
    row = response.json()["results"][0]
    assert {"referral", "kind", "due_at", "status", "done_at"} <= set(row)
    assert (row["id"], row["referral"], row["kind"], row["status"], row["done_at"]) == (
        followup.pk,
        referral.pk,
        "thank_referrer",
        "pending",
        None,
    )
    assert response.json()["count"] == 1


def test_each_follow_up_says_the_recipients_preferred_channel(alice, referral):
    referral.referrer.preferred_channel = Channel.LETTER
    referral.referrer.save()
    followup = FollowUpFactory(referral=referral, kind=Kind.PERIODIC_UPDATE, occasion="periodic:1")

    row = api_for(alice).get(f"{URL}{followup.pk}/").json()

    assert (row["preferred_channel"], row["channel"]) == (Channel.LETTER, "")
    services.followup_complete(followup=followup, actor=alice, channel=Channel.PHONE)
    row = api_for(alice).get(f"{URL}{followup.pk}/").json()
    assert (row["preferred_channel"], row["channel"]) == (Channel.LETTER, Channel.PHONE)


def test_follow_ups_are_read_only(alice, followup):
    client = api_for(alice)
    assert client.post(URL, {"referral": followup.referral_id}).status_code == 405
    assert client.patch(f"{URL}{followup.pk}/", {"status": "done"}).status_code == 405
    assert client.delete(f"{URL}{followup.pk}/").status_code == 405


@pytest.mark.parametrize(
    ("user_name", "sees"),
    [("alice", True), ("bob", False), ("maya", True), ("charlie", False)],
)
def test_who_sees_alices_follow_up(request, followup, user_name, sees):
    client = api_for(request.getfixturevalue(user_name))

    listed = client.get(URL)
    detail = client.get(f"{URL}{followup.pk}/")
    complete = client.post(f"{URL}{followup.pk}/complete/", {"channel": "email"})

    assert (followup.pk in ids(listed)) is sees
    assert detail.status_code == (200 if sees else 404)
    assert complete.status_code == (200 if sees else 404)


def test_anonymous_callers_get_a_401(followup):
    assert APIClient().get(URL).status_code == 401


def test_a_token_works_too(alice, followup):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=alice).key}")
    assert ids(client.get(URL)) == [followup.pk]


def test_filters_by_status_kind_and_due_time(alice, referral):
    now = timezone.now()
    early = FollowUpFactory(referral=referral, due_at=now - timedelta(days=3))
    late = FollowUpFactory(
        referral=referral, kind=Kind.STATUS_REPORT, due_at=now + timedelta(days=3)
    )
    done = FollowUpFactory(
        referral=referral, due_at=now - timedelta(days=1), status="done", done_at=now
    )
    client = api_for(alice)

    assert ids(client.get(URL, {"status": "pending"})) == [early.pk, late.pk]
    assert ids(client.get(URL, {"status": "done"})) == [done.pk]
    assert ids(client.get(URL, {"kind": "status_report"})) == [late.pk]
    assert ids(client.get(URL, {"due_before": now.isoformat()})) == [early.pk, done.pk]
    assert ids(client.get(URL, {"due_after": now.isoformat()})) == [late.pk]
    assert ids(
        client.get(
            URL,
            {
                "due_after": (now - timedelta(days=2)).isoformat(),
                "due_before": (now + timedelta(days=4)).isoformat(),
            },
        )
    ) == [done.pk, late.pk]
    assert client.get(URL, {"kind": "teleport"}).status_code == 400
    assert client.get(URL, {"due_before": "yesterday"}).status_code == 400


def test_complete_then_again_is_a_conflict(alice, followup):
    client = api_for(alice)

    first = client.post(
        f"{URL}{followup.pk}/complete/", {"channel": "phone", "note": "Called"}, format="json"
    )
    second = client.post(f"{URL}{followup.pk}/complete/", {"channel": "email"}, format="json")

    assert first.status_code == 200
    assert (first.json()["status"], first.json()["channel"], first.json()["note"]) == (
        "done",
        "phone",
        "Called",
    )
    assert first.json()["done_at"] is not None
    assert second.status_code == 409
    assert "already done" in detail(second)
    assert Activity.objects.filter(verb="followup_done").count() == 1


def test_complete_needs_a_known_channel(alice, followup):
    client = api_for(alice)
    assert client.post(f"{URL}{followup.pk}/complete/", {}, format="json").status_code == 400
    response = client.post(f"{URL}{followup.pk}/complete/", {"channel": "pigeon"}, format="json")
    assert response.status_code == 400
    assert "channel" in field_errors(response)


def test_a_gift_on_anything_but_the_closing_thanks_is_a_400(alice, followup):
    response = api_for(alice).post(
        f"{URL}{followup.pk}/complete/",
        {"channel": Channel.LETTER, "gift_note": "Wine"},
        format="json",
    )
    assert response.status_code == 400
    assert field_errors(response) == {"gift_note": [services.GIFT_ONLY_ON_CLOSING]}


@pytest.mark.parametrize("payload", [{}, {"reason": ""}, {"reason": "   "}])
def test_skip_without_a_reason_is_a_400(alice, followup, payload):
    response = api_for(alice).post(f"{URL}{followup.pk}/skip/", payload, format="json")

    assert response.status_code == 400
    assert field_errors(response) == {"reason": [services.SKIP_NEEDS_REASON]}
    followup.refresh_from_db()
    assert followup.status == "pending"


def test_skip_with_a_reason_then_complete_is_a_conflict(alice, followup):
    client = api_for(alice)

    skipped = client.post(
        f"{URL}{followup.pk}/skip/", {"reason": "Told her at lunch"}, format="json"
    )
    complete = client.post(f"{URL}{followup.pk}/complete/", {"channel": "email"}, format="json")

    assert skipped.status_code == 200
    assert (skipped.json()["status"], skipped.json()["skip_reason"]) == (
        "skipped",
        "Told her at lunch",
    )
    assert complete.status_code == 409


def test_the_schema_documents_the_actions(alice):
    schema = api_for(alice).get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/followups/{id}/complete/" in schema["paths"]
    assert "/api/v1/followups/{id}/skip/" in schema["paths"]
    parameters = {p["name"] for p in schema["paths"]["/api/v1/followups/"]["get"]["parameters"]}
    assert {"status", "kind", "due_before", "due_after"} <= parameters


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_costs_the_same_whatever_its_length(
    acme, maya, rows, django_assert_max_num_queries
):
    for membership in MembershipFactory.create_batch(rows, team=acme):
        FollowUpFactory(
            referral=ReferralFactory(referrer=ClientFactory(team=acme, owner=membership.user))
        )
    client = api_for(maya)
    # maya's memberships (the visibility rules), the count, the page of follow-ups with
    # their recipients
    with django_assert_max_num_queries(3):
        response = client.get(URL)
    assert response.json()["count"] == rows
