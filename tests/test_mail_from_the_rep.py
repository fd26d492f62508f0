"""Mail that comes from the rep (issue 18): "<rep> via Warmpath" with the rep's address as
Reply-To, the rep's signature, the ask drafted the way the method asks (email, call
script, letter), and a problem during an open sale reported to the referrer the same day.
"""

from datetime import UTC, datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from contacts.models import Activity, IdealClientProfile
from followups.drafts import draft_for
from followups.models import FollowUp
from followups.problems import NOT_AN_OPEN_SALE, SAY_WHAT_HAPPENED, referral_problem_report
from outbox.models import OutgoingEmail
from outbox.services import email_message
from referrals import asks, services
from referrals.models import Quality
from tests.factories import ClientFactory, CompanyFactory, ContactFactory
from tests.writes import rows_fingerprint

pytestmark = pytest.mark.dates
NOW = "2026-03-04T10:00:00+00:00"


@pytest.fixture
def ravi(alice):
    alice.first_name, alice.last_name, alice.email = "Ravi", "Patel", "ravi@acme.example"
    alice.save()
    return alice


@pytest.fixture
def referral(acme, ravi):
    jessica = ClientFactory(team=acme, owner=ravi, first_name="Jessica", last_name="Clark")
    shelly = ContactFactory(
        team=acme,
        owner=ravi,
        first_name="Shelly",
        last_name="Dixon",
        title="COO",
        company=CompanyFactory(team=acme, name="Finch Logistics"),
    )
    return services.referral_create(
        owner=ravi,
        team=acme,
        referrer=jessica,
        prospect=shelly,
        reason="Finch is opening three warehouses and needs route planning.",
    )


@pytest.fixture
def profile(acme):
    return IdealClientProfile.objects.create(
        team=acme,
        situation="A distributor is growing faster than its routes",
        reasons_to_refer="We answer the phone\nDeliveries are on time\nWe are cheap",
    )


def messages_of(response) -> list[str]:
    return [message.message for message in get_messages(response.wsgi_request)]


def api_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


# --- From the rep, answers to the rep ---------------------------------------------------------


@pytest.mark.now(NOW)
def test_a_reps_email_says_their_name_and_answers_reach_them(referral, ravi):
    api_for(ravi).post(f"/api/v1/referrals/{referral.pk}/send/", {}, format="json")
    message = email_message(OutgoingEmail.objects.get())
    assert message.from_email == "Ravi Patel via Warmpath <warmpath@localhost>"
    assert message.reply_to == ["ravi@acme.example"]
    headers = message.message()
    assert headers["Reply-To"] == "ravi@acme.example"

    thank = FollowUp.objects.get(referral=referral, kind=FollowUp.Kind.THANK_REFERRER)
    api_for(ravi).post(f"/api/v1/followups/{thank.pk}/send/", {}, format="json")
    followup_email = OutgoingEmail.objects.get(purpose="followup")
    assert (followup_email.from_name, followup_email.reply_to) == (
        "Ravi Patel",
        "ravi@acme.example",
    )


def test_warmpaths_own_mail_keeps_its_sender():
    own = OutgoingEmail(pk=1, to="rep@example.com", subject="Digest", body="…", purpose="digest")
    own.created_at = datetime(2026, 3, 4, tzinfo=UTC)
    message = email_message(own)
    assert message.from_email == "Warmpath <warmpath@localhost>"
    assert message.reply_to == []


def test_a_name_cannot_add_a_header():
    email = OutgoingEmail(
        pk=1,
        to="x@example.com",
        subject="Hi",
        body="…",
        purpose="followup",
        from_name="Eve\r\nBcc: everyone@example.com",
        reply_to="eve@example.com",
    )
    email.created_at = datetime(2026, 3, 4, tzinfo=UTC)
    raw = email_message(email).message().as_string()
    assert "\nBcc:" not in raw
    assert "Eve Bcc: everyone@example.com via Warmpath" in raw


# --- The signature ------------------------------------------------------------------------------


@pytest.mark.now(NOW)
def test_the_signature_set_on_the_profile_ends_the_drafts(referral, ravi, alice_client):
    response = alice_client.post(
        reverse("profile"),
        {
            "first_name": "Ravi",
            "last_name": "Patel",
            "email": "ravi@acme.example",
            "time_zone": "UTC",
            "signature": "Ravi Patel\nAcme Logistics · +1 555 0100",
        },
    )
    assert response.status_code == 302
    thank = FollowUp.objects.select_related(
        "owner", "referral__referrer", "referral__prospect"
    ).get(referral=referral, kind=FollowUp.Kind.THANK_REFERRER)
    assert draft_for(thank).body.endswith("Ravi Patel\nAcme Logistics · +1 555 0100")
    referral.owner.refresh_from_db()
    assert asks.ask_email(referral).body.endswith("Acme Logistics · +1 555 0100")


def test_without_a_signature_the_name_signs(ravi):
    assert ravi.sign_off == "Ravi Patel"


# --- The drafted ask -----------------------------------------------------------------------------


def test_the_drafted_ask_follows_the_method(referral, profile):
    body = asks.ask_email(referral).body
    assert "an introduction to Shelly Dixon (COO at Finch Logistics)" in body
    assert "Finch is opening three warehouses" in body
    assert "because we answer the phone and deliveries are on time." in body
    assert "cheap" not in body  # the top two reasons only
    assert "We help most where a distributor is growing faster than its routes." in body
    assert asks.COPY_ME in body


def test_a_meeting_of_three_needs_no_copy(referral, profile):
    referral.quality = Quality.BEST
    assert asks.COPY_ME not in asks.ask_email(referral).body
    assert "the three of us" in asks.ask_email(referral).body


def test_without_a_profile_the_ask_still_reads(referral):
    body = asks.ask_email(referral).body
    assert "Clients who refer us" not in body
    assert "We help most" not in body
    assert body.startswith("Hi Jessica,")


def test_the_call_script_and_the_letter(referral, profile):
    script = asks.ask_call_script(referral).body
    assert script.startswith("1. Thank Jessica")
    assert "Name the person: Shelly Dixon (COO at Finch Logistics)." in script
    letter = asks.ask_letter(referral)
    assert letter.body.startswith("Dear Shelly,")
    assert "introduce you to Ravi Patel of Acme" in letter.body
    assert "They help most where" in letter.body
    assert letter.body.endswith("Kind regards,\nJessica Clark")


@pytest.mark.now(NOW)
def test_send_uses_the_drafted_ask_when_the_referral_has_no_message(referral, profile, ravi):
    body = api_for(ravi).post(f"/api/v1/referrals/{referral.pk}/send/", {}).json()["body"]
    assert "Deliveries are on time".lower() in body.lower()
    assert asks.COPY_ME in body


def test_the_drafts_page_shows_the_three(referral, profile, alice_client):
    response = alice_client.get(reverse("referrals:referral-drafts", args=[referral.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for title in ("The ask by email", "A phone call script", "A letter for the referrer to sign"):
        assert title in html


# --- A problem during an open sale ------------------------------------------------------------


@pytest.mark.now("2026-03-04T15:30:00+00:00")
def test_a_problem_makes_a_status_report_due_today(referral, ravi, alice_client):
    ravi.time_zone = "America/New_York"
    ravi.save()
    services.referral_transition(referral=referral, to="confirmed", actor=ravi)
    response = alice_client.post(
        reverse("followups:report-problem", args=[referral.pk]),
        {"problem": "The demo slipped to next week"},
    )
    assert response.status_code == 302
    report = FollowUp.objects.get(referral=referral, occasion="problem:1")
    assert report.kind == FollowUp.Kind.STATUS_REPORT
    assert report.recipient == referral.referrer
    # 10:30 in New York: due by the end of Ravi's day, 23:59 there.
    assert report.due_at == datetime(2026, 3, 5, 4, 59, tzinfo=UTC)
    report = FollowUp.objects.select_related(
        "owner", "referral__referrer", "referral__prospect"
    ).get(pk=report.pk)
    draft = draft_for(report)
    assert "before anyone else: The demo slipped to next week." in draft.body
    assert Activity.objects.filter(referral=referral, verb="problem").exists()
    # A second problem is a second report.
    referral_problem_report(referral=referral, actor=ravi, problem="Their CFO left")
    assert FollowUp.objects.filter(referral=referral, occasion="problem:2").exists()


@pytest.mark.now(NOW)
def test_no_problem_to_report_before_the_sale_or_without_words(referral, ravi, alice_client):
    before = rows_fingerprint()
    response = alice_client.post(
        reverse("followups:report-problem", args=[referral.pk]), {"problem": "Slipped"}
    )
    assert messages_of(response) == [NOT_AN_OPEN_SALE.format(status="asked")]
    assert rows_fingerprint() == before
    services.referral_transition(referral=referral, to="confirmed", actor=ravi)
    before = rows_fingerprint()
    response = alice_client.post(
        reverse("followups:report-problem", args=[referral.pk]), {"problem": "   "}
    )
    assert messages_of(response)[-1] == SAY_WHAT_HAPPENED
    assert rows_fingerprint() == before


def test_another_reps_referral_is_a_404(referral, bob_client):
    response = bob_client.post(
        reverse("followups:report-problem", args=[referral.pk]), {"problem": "x"}
    )
    assert response.status_code == 404
    assert not FollowUp.objects.filter(occasion__startswith="problem:").exists()
