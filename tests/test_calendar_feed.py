"""The rep's calendar (issue 18): a private, revocable iCalendar feed of their pending
follow-ups and their referrals' meetings, read here with the icalendar library."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from accounts.calendar import calendar_feed_regenerate
from accounts.models import CalendarFeed
from followups import services as followup_services
from followups.models import FollowUp
from referrals import services
from tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.dates
NOW = "2026-03-04T10:00:00+00:00"
LINK = re.compile(r'id="calendar-link" readonly value="([^"]+)"')


def feed_path(secret: str) -> str:
    return reverse("followups:calendar-feed", args=[secret])


def read_feed(path: str) -> Calendar:
    response = Client().get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def events(calendar: Calendar) -> dict[str, dict]:
    return {
        str(event["UID"]): {
            "summary": str(event["SUMMARY"]),
            "description": str(event["DESCRIPTION"]),
            "start": event.decoded("DTSTART"),
            "end": event.decoded("DTEND"),
        }
        for event in calendar.walk("VEVENT")
    }


@pytest.fixture
def referral(acme, alice):
    return services.referral_create(
        owner=alice,
        team=acme,
        referrer=ClientFactory(team=acme, owner=alice, first_name="Jessica", last_name="Clark"),
        prospect=ContactFactory(team=acme, owner=alice, first_name="Shelly", last_name="Dixon"),
        asked_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
    )


@pytest.mark.now(NOW)
def test_the_link_is_shown_once_on_the_profile_page(alice, alice_client, referral):
    response = alice_client.post(reverse("profile-calendar"), {"action": "regenerate"})
    assert response.status_code == 200
    link = LINK.search(response.content.decode()).group(1)
    assert link.startswith("http://localhost:8000/calendar/")
    secret = link.rsplit("/", 1)[1].removesuffix(".ics")
    # Never again: the profile says a link is active, not what it is; only its hash is kept.
    again = alice_client.get(reverse("profile")).content.decode()
    assert secret not in again
    assert "A link is active since" in again
    assert CalendarFeed.objects.get(user=alice).secret_hash != secret
    read_feed(feed_path(secret))


@pytest.mark.now(NOW)
def test_the_feed_holds_the_due_followups_and_the_meetings(alice, bob, acme, referral):
    services.referral_transition(referral=referral, to="confirmed", actor=alice)
    services.referral_transition(referral=referral, to="contacted", actor=alice)
    services.referral_transition(referral=referral, to="meeting", actor=alice)
    bobs = services.referral_create(
        owner=bob,
        team=acme,
        referrer=ClientFactory(team=acme, owner=bob),
        prospect=ContactFactory(team=acme, owner=bob),
    )
    found = events(read_feed(feed_path(calendar_feed_regenerate(user=alice))))
    pending = FollowUp.objects.filter(owner=alice, status=FollowUp.Status.PENDING)
    assert {f"followup-{f.pk}@warmpath" for f in pending} | {
        f"meeting-{referral.pk}@warmpath"
    } == set(found)
    thank = pending.get(kind=FollowUp.Kind.THANK_REFERRER)
    event = found[f"followup-{thank.pk}@warmpath"]
    assert event["summary"] == "Thank the referrer: Jessica Clark"
    assert event["start"] == thank.due_at
    assert event["end"] - event["start"] == timedelta(minutes=15)
    meeting = found[f"meeting-{referral.pk}@warmpath"]
    assert meeting["summary"] == "Meeting: Shelly Dixon"
    assert meeting["start"] == datetime(2026, 3, 4, 10, tzinfo=UTC)
    assert not any(f"followup-{f.pk}@" in uid for f in bobs.followups.all() for uid in found)


@pytest.mark.now(NOW)
def test_a_completed_followup_leaves_the_feed(alice, referral):
    path = feed_path(calendar_feed_regenerate(user=alice))
    thank = FollowUp.objects.get(referral=referral, kind=FollowUp.Kind.THANK_REFERRER)
    assert f"followup-{thank.pk}@warmpath" in events(read_feed(path))
    followup_services.followup_complete(followup=thank, actor=alice, channel="email")
    assert f"followup-{thank.pk}@warmpath" not in events(read_feed(path))


@pytest.mark.now(NOW)
def test_a_new_link_ends_the_old_one_and_off_ends_both(alice, alice_client, referral):
    old = feed_path(calendar_feed_regenerate(user=alice))
    new = feed_path(calendar_feed_regenerate(user=alice))
    assert Client().get(old).status_code == 404
    read_feed(new)
    alice_client.post(reverse("profile-calendar"), {"action": "revoke"})
    assert Client().get(new).status_code == 404
    assert Client().get(feed_path("not-a-secret")).status_code == 404


@pytest.mark.now(NOW)
def test_names_of_every_kind_read_back_as_they_are(alice, acme):
    name = "Zoë; \\ O'Brien, Jr. — 日本語 " + "x" * 60
    services.referral_create(
        owner=alice,
        team=acme,
        referrer=ClientFactory(team=acme, owner=alice, first_name="Ann", last_name=name),
        prospect=ContactFactory(team=acme, owner=alice),
    )
    raw = Client().get(feed_path(calendar_feed_regenerate(user=alice))).content
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    (event,) = events(Calendar.from_ical(raw)).values()
    assert event["summary"] == f"Thank the referrer: Ann {name}"


def test_an_inactive_users_feed_is_closed(alice):
    secret = calendar_feed_regenerate(user=alice)
    alice.is_active = False
    alice.save()
    assert Client().get(feed_path(secret)).status_code == 404


@pytest.mark.now(NOW)
@pytest.mark.parametrize("size", [1, 4])
def test_the_feed_costs_the_same_whatever_the_data(
    alice, acme, size, django_assert_max_num_queries
):
    for _ in range(size):
        referral = services.referral_create(
            owner=alice,
            team=acme,
            referrer=ClientFactory(team=acme, owner=alice),
            prospect=ContactFactory(team=acme, owner=alice),
        )
        services.referral_transition(referral=referral, to="confirmed", actor=alice)
        services.referral_transition(referral=referral, to="contacted", actor=alice)
        services.referral_transition(referral=referral, to="meeting", actor=alice)
    path = feed_path(calendar_feed_regenerate(user=alice))
    # The feed's owner by the secret; the pending follow-ups; the meetings.
    with django_assert_max_num_queries(3):
        assert len(events(read_feed(path))) >= 3 * size
