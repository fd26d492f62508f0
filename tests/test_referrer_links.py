"""The referrer answers the ask with one click (referrals.links, referrals.views_public).

What a rep and a referrer depend on: the ask sent by email carries three signed links; one
opens a public page whose GET changes nothing and whose POST moves the referral exactly as
the rep's own confirmation would (same follow-ups), records that the referrer answered,
tells the rep in the app and puts the referrer's line on the timeline. Every failure of a
link — tampered, expired, reused, unknown step, referral moved on, another team's id,
referral deleted — is the same polite page with the same status, and changes nothing.
"""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from contacts.models import Activity, UpdateCadence
from followups.models import FollowUp, Notification
from outbox.models import OutgoingEmail
from referrals import links, services
from referrals.links import AGREED, INTRODUCED, LINK_REFUSED, NOT_NOW
from referrals.models import AnsweredBy, Quality, Referral, ReferrerLinkUse
from tests.factories import ClientFactory, ContactFactory, FollowUpFactory
from tests.writes import rows_fingerprint

pytestmark = pytest.mark.dates
NOW = "2026-03-04T10:00:00+00:00"
LINK = re.compile(r"https?://\S+/r/(\S+)/")


@pytest.fixture
def referral(acme, alice):
    referrer = ClientFactory(
        team=acme,
        owner=alice,
        first_name="Jessica",
        last_name="Clark",
        update_cadence=UpdateCadence.EACH_STEP,
    )
    prospect = ContactFactory(team=acme, owner=alice, first_name="Shelly", last_name="Dixon")
    return services.referral_create(
        owner=alice, team=acme, referrer=referrer, prospect=prospect, reason="New warehouses"
    )


def link_paths(email: OutgoingEmail) -> dict[str, str]:
    """The three links of the email, as paths on this site, by button."""
    found = {}
    for label in ("I've introduced you", "They'd like to talk", "Not the right time"):
        line = next(line for line in email.body.splitlines() if line.startswith(label))
        found[label] = urlsplit(line.split(": ", 1)[1]).path
    return found


def path_for(referral, step, **payload_changes) -> str:
    """A link path signed by the project, its payload changed as a forger with the key
    would (the bindings must hold even then)."""
    payload = {
        "r": referral.pk,
        "t": referral.team_id,
        "c": referral.referrer_id,
        "s": step,
        "n": "0" * 32,
        **payload_changes,
    }
    token = signing.TimestampSigner(salt=links.SALT).sign_object(payload)
    return reverse("public:referrer-link", kwargs={"token": token})


# --- Sending the ask -------------------------------------------------------------------------


@pytest.mark.now(NOW)
def test_the_ask_sent_by_email_carries_three_working_links(referral, alice_client):
    response = alice_client.post(reverse("referrals:referral-send", args=[referral.pk]))
    assert response.status_code == 302
    email = OutgoingEmail.objects.get(purpose="referral_ask")
    assert email.to == referral.referrer.email
    assert "Shelly Dixon" in email.subject
    paths = link_paths(email)
    assert len(set(paths.values())) == 3
    for path in paths.values():
        assert Client().get(path).status_code == 200
    assert Activity.objects.filter(referral=referral, verb="ask_sent").exists()


@pytest.mark.now(NOW)
def test_api_sends_the_ask_and_answers_the_message(referral, alice):
    api = APIClient()
    api.force_authenticate(alice)
    response = api.post(f"/api/v1/referrals/{referral.pk}/send/", {}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["to"] == referral.referrer.email
    assert body["status"] == "queued"
    assert len(LINK.findall(body["body"])) == 3


def test_api_send_is_409_without_an_email_address(referral, alice):
    referral.referrer.email = ""
    referral.referrer.save()
    api = APIClient()
    api.force_authenticate(alice)
    before = rows_fingerprint()
    response = api.post(f"/api/v1/referrals/{referral.pk}/send/", {}, format="json")
    assert response.status_code == 409
    assert "no email address" in response.json()["detail"]
    assert rows_fingerprint() == before


def test_api_send_is_409_once_the_referral_moved_past_asked(referral, alice):
    services.referral_transition(referral=referral, to="confirmed", actor=alice)
    api = APIClient()
    api.force_authenticate(alice)
    response = api.post(f"/api/v1/referrals/{referral.pk}/send/", {}, format="json")
    assert response.status_code == 409
    assert not OutgoingEmail.objects.exists()


def test_api_send_of_another_reps_referral_is_a_404(referral, bob, charlie):
    for user in (bob, charlie):
        api = APIClient()
        api.force_authenticate(user)
        assert api.post(f"/api/v1/referrals/{referral.pk}/send/", {}).status_code == 404
    assert not OutgoingEmail.objects.exists()


@pytest.mark.now(NOW)
def test_a_followup_sent_to_the_referrer_of_an_open_ask_carries_the_links(referral, alice):
    thank = FollowUp.objects.get(referral=referral, kind=FollowUp.Kind.THANK_REFERRER)
    api = APIClient()
    api.force_authenticate(alice)
    response = api.post(f"/api/v1/followups/{thank.pk}/send/", {}, format="json")
    assert response.status_code == 201, response.content
    assert "Thank you" in response.json()["subject"]
    assert len(LINK.findall(response.json()["body"])) == 3
    thank.refresh_from_db()
    assert thank.status == FollowUp.Status.DONE
    # Sent again: no longer pending.
    assert api.post(f"/api/v1/followups/{thank.pk}/send/", {}).status_code == 409


def test_api_followup_send_is_409_without_an_email_address(referral, alice):
    referral.referrer.email = ""
    referral.referrer.save()
    thank = FollowUp.objects.get(referral=referral, kind=FollowUp.Kind.THANK_REFERRER)
    api = APIClient()
    api.force_authenticate(alice)
    assert api.post(f"/api/v1/followups/{thank.pk}/send/", {}).status_code == 409
    thank.refresh_from_db()
    assert thank.status == FollowUp.Status.PENDING


# --- Answering ------------------------------------------------------------------------------


@pytest.mark.now(NOW)
def test_get_shows_one_button_and_changes_nothing(referral):
    path = path_for(referral, INTRODUCED)
    before = rows_fingerprint()
    response = Client().get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('type="submit"') == 1
    assert "I&#x27;ve introduced you" in html
    assert "Shelly Dixon" in html
    # No navigation, nothing of the team beyond what the email said.
    assert "navbar" not in html
    assert referral.reason not in html
    assert response["Cache-Control"].startswith("max-age=0")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert rows_fingerprint() == before


@pytest.mark.now(NOW)
def test_post_confirms_as_the_rep_would_and_says_the_referrer_did(referral, alice, acme):
    # A twin referral confirmed by the rep: the link must start exactly the same follow-ups.
    twin = services.referral_create(
        owner=alice,
        team=acme,
        referrer=referral.referrer,
        prospect=ContactFactory(team=acme, owner=alice),
    )
    services.referral_transition(referral=twin, to="confirmed", actor=alice)

    response = Client().post(
        path_for(referral, INTRODUCED), {"note": "Spoke to her Tuesday, she expects your call"}
    )
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.CONFIRMED
    assert referral.confirmed_at == timezone.now()
    assert referral.confirmed_by == AnsweredBy.REFERRER
    assert referral.quality == Quality.GOOD

    def kinds(of):
        return sorted(FollowUp.objects.filter(referral=of).values_list("kind", "occasion"))

    assert kinds(referral) == kinds(twin)
    assert ("periodic_update", "confirmed") in kinds(referral)
    history = referral.history.order_by("-history_id").first()
    assert history.history_change_reason == "confirmed by the referrer by email link"
    timeline = list(Activity.objects.filter(referral=referral).values_list("verb", "description"))
    assert (
        "confirmed",
        "Jessica Clark confirmed the introduction to Shelly Dixon (confirmed by the referrer "
        "by email link)",
    ) in timeline
    assert (
        "referrer_note",
        "Jessica Clark wrote: “Spoke to her Tuesday, she expects your call”",
    ) in timeline
    notification = Notification.objects.get(user=alice)
    assert "Jessica Clark confirmed the introduction to Shelly Dixon" in notification.message
    assert notification.url == reverse("referrals:referral-detail", args=[referral.pk])
    twin.refresh_from_db()
    assert twin.confirmed_by == AnsweredBy.REP


@pytest.mark.now(NOW)
def test_they_would_like_to_talk_is_a_double_opt_in(referral):
    assert Client().post(path_for(referral, AGREED)).status_code == 200
    referral.refresh_from_db()
    assert referral.status == Referral.Status.CONFIRMED
    assert referral.quality == Quality.BETTER


@pytest.mark.now(NOW)
def test_not_the_right_time_declines(referral, alice):
    assert Client().post(path_for(referral, NOT_NOW)).status_code == 200
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DECLINED
    assert referral.confirmed_by == AnsweredBy.REFERRER
    assert "not the right time" in Notification.objects.get(user=alice).message


def test_api_says_who_confirmed(referral, alice):
    api = APIClient()
    api.force_authenticate(alice)
    url = f"/api/v1/referrals/{referral.pk}/"
    assert api.get(url).json()["confirmed_by"] is None
    Client().post(path_for(referral, INTRODUCED))
    assert api.get(url).json()["confirmed_by"] == "referrer"
    # Read-only: a client cannot write it.
    api.patch(url, {"confirmed_by": "rep"}, format="json")
    assert api.get(url).json()["confirmed_by"] == "referrer"


# --- Failures: one answer, nothing changed ---------------------------------------------------


def _tampered(referral):
    path = path_for(referral, INTRODUCED)
    token = path.split("/")[2]
    return reverse(
        "public:referrer-link", kwargs={"token": token[:-1] + ("A" if token[-1] != "A" else "B")}
    )


def _other_salt(referral):
    token = signing.TimestampSigner(salt="another").sign_object(
        {
            "r": referral.pk,
            "t": referral.team_id,
            "c": referral.referrer_id,
            "s": INTRODUCED,
            "n": "x",
        }
    )
    return reverse("public:referrer-link", kwargs={"token": token})


def _other_teams_id(referral, globex, charlie):
    theirs = services.referral_create(
        owner=charlie,
        team=globex,
        referrer=ClientFactory(team=globex, owner=charlie),
        prospect=ContactFactory(team=globex, owner=charlie),
    )
    return path_for(referral, INTRODUCED, r=theirs.pk)


FAILURES = {
    "tampered": lambda r, **_: _tampered(r),
    "signed with another salt": lambda r, **_: _other_salt(r),
    "not a token": lambda r, **_: reverse("public:referrer-link", kwargs={"token": "12345"}),
    "unknown step": lambda r, **_: path_for(r, "won"),
    "another referrer": lambda r, **_: path_for(r, INTRODUCED, c=r.prospect_id),
    "another team's id": lambda r, globex, charlie: _other_teams_id(r, globex, charlie),
    "the team of the link is not the referral's": lambda r, globex, **_: path_for(
        r, INTRODUCED, t=globex.pk
    ),
}


@pytest.mark.now(NOW)
@pytest.mark.parametrize("failure", list(FAILURES))
def test_a_bad_link_is_refused_politely_and_changes_nothing(referral, globex, charlie, failure):
    path = FAILURES[failure](referral, globex=globex, charlie=charlie)
    _assert_refused(path)


def _assert_refused(path):
    before = rows_fingerprint()
    for method in ("get", "post"):
        response = getattr(Client(), method)(path, {"note": "hello"} if method == "post" else {})
        assert response.status_code == 404
        assert LINK_REFUSED.replace("’", "&#x27;")[:40] in response.content.decode() or (
            "This link no longer works" in response.content.decode()
        )
    assert rows_fingerprint() == before


def _refused_page(path) -> bytes:
    response = Client().post(path)
    assert response.status_code == 404
    return response.content


@pytest.mark.now(NOW)
def test_every_refusal_is_the_same_page(referral, globex, charlie):
    pages = {
        failure: _refused_page(build(referral, globex=globex, charlie=charlie))
        for failure, build in FAILURES.items()
    }
    assert len(set(pages.values())) == 1


def test_an_expired_link_is_refused(referral, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    path = path_for(referral, INTRODUCED)
    time_machine.shift(timedelta(days=14, minutes=1))
    _assert_refused(path)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ASKED


def test_the_teams_setting_decides_the_life_of_a_link(referral, acme, time_machine):
    acme.referrer_link_days = 3
    acme.save()
    time_machine.move_to(timezone.now(), tick=False)
    path = path_for(referral, INTRODUCED)
    time_machine.shift(timedelta(days=2, hours=23))
    assert Client().get(path).status_code == 200
    time_machine.shift(timedelta(hours=2))
    _assert_refused(path)


@pytest.mark.now(NOW)
def test_a_link_works_once(referral, alice):
    path = path_for(referral, INTRODUCED)
    assert Client().post(path).status_code == 200
    _assert_refused(path)
    assert ReferrerLinkUse.objects.filter(referral=referral).count() == 1


@pytest.mark.now(NOW)
def test_the_other_links_of_the_same_email_are_spent_too(referral, alice_client):
    alice_client.post(reverse("referrals:referral-send", args=[referral.pk]))
    paths = link_paths(OutgoingEmail.objects.get())
    assert Client().post(paths["Not the right time"]).status_code == 200
    _assert_refused(paths["I've introduced you"])


@pytest.mark.now(NOW)
def test_a_referral_moved_on_refuses_the_link(referral, alice):
    path = path_for(referral, INTRODUCED)
    services.referral_transition(referral=referral, to="declined", actor=alice)
    _assert_refused(path)


@pytest.mark.now(NOW)
def test_a_deleted_referral_refuses_the_link(referral):
    path = path_for(referral, INTRODUCED)
    services.referral_delete(referral=referral)
    _assert_refused(path)


@pytest.mark.now(NOW)
def test_a_nonce_spent_elsewhere_refuses_the_link(referral):
    ReferrerLinkUse.objects.create(
        nonce="0" * 32, referral=referral, step=INTRODUCED, used_at=timezone.now()
    )
    _assert_refused(path_for(referral, INTRODUCED))


# --- CSRF, rate, queries ------------------------------------------------------------------------


@pytest.mark.now(NOW)
def test_post_without_the_csrf_token_is_refused(referral):
    response = Client(enforce_csrf_checks=True).post(path_for(referral, INTRODUCED))
    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ASKED


@pytest.mark.now(NOW)
def test_the_button_posts_with_the_token_the_page_gives(referral):
    client = Client(enforce_csrf_checks=True)
    path = path_for(referral, INTRODUCED)
    html = client.get(path).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert client.post(path, {"csrfmiddlewaretoken": token}).status_code == 200


@pytest.mark.now(NOW)
def test_a_client_hammering_links_is_held_back(referral, settings):
    settings.REFERRER_LINK_RATE = 5
    client = Client()
    statuses = [client.get(f"/r/guess{n}/").status_code for n in range(5)]
    assert statuses == [404] * 5
    assert client.get(path_for(referral, INTRODUCED)).status_code == 429
    # Another address is not held back.
    assert Client(REMOTE_ADDR="10.0.0.9").get(path_for(referral, INTRODUCED)).status_code == 200


@pytest.mark.now(NOW)
@pytest.mark.parametrize("size", [1, 4])
def test_the_public_page_costs_the_same_whatever_the_data(
    referral, acme, alice, size, django_assert_max_num_queries
):
    for _ in range(size):
        extra = services.referral_create(
            owner=alice,
            team=acme,
            referrer=referral.referrer,
            prospect=ContactFactory(team=acme, owner=alice),
        )
        FollowUpFactory(referral=extra)
    path = path_for(referral, INTRODUCED)
    # The referral with its team, rep, referrer and prospect; whether the nonce is spent.
    with django_assert_max_num_queries(2):
        assert Client().get(path).status_code == 200
