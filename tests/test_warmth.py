"""Keeping the network warm: the stay-in-touch rhythm and the going-cold list (week,
digest, reminders once per silence), chasing an unconfirmed ask once, the follow-ups
after a win, whom to ask again, and the API's fields for all of it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts import rhythm
from contacts import services as contact_services
from contacts.models import Channel, Contact, ContactKind
from followups import digests, drafts, reminders
from followups import services as followup_services
from followups.models import FollowUp, Notification, StayInTouchReminder
from outbox import tasks as outbox_tasks
from outbox.models import OutgoingEmail
from referrals import selectors as referral_selectors
from referrals import services as referral_services
from referrals.models import OPEN_STATUSES, Referral
from tests.factories import (
    ClientFactory,
    ContactFactory,
    MembershipFactory,
    ReadinessCheckFactory,
    ReferralFactory,
)

pytestmark = [pytest.mark.dates, pytest.mark.now("2026-03-04T10:00:00+00:00")]

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)
Kind = FollowUp.Kind
Status = Referral.Status


@pytest.fixture(autouse=True)
def published(monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(
        outbox_tasks.outgoing_email_send, "apply_async", lambda args, **kw: sent.append(args[0])
    )
    return sent


def silent(contact: Contact, days: float) -> Contact:
    """Last touched `days` ago (as if the touch service had written it)."""
    Contact.objects.filter(pk=contact.pk).update(last_touch_at=NOW - timedelta(days=days))
    contact.refresh_from_db()
    return contact


def client_of(alice, acme, name="Carla", **fields) -> Contact:
    return ClientFactory(team=acme, owner=alice, first_name=name, last_name="Client", **fields)


# --- The rhythm ------------------------------------------------------------------------------


def test_clients_and_partners_are_kept_closer_than_others_and_prospects_have_no_rhythm(alice, acme):
    assert rhythm.rhythm_days(Contact(kind=ContactKind.CLIENT)) == 30
    assert rhythm.rhythm_days(Contact(kind=ContactKind.PARTNER)) == 45
    assert rhythm.rhythm_days(Contact(kind=ContactKind.COLLEAGUE)) == 90
    assert rhythm.rhythm_days(Contact(kind=ContactKind.PROSPECT)) is None
    assert rhythm.rhythm_days(Contact(kind=ContactKind.PROSPECT, stay_in_touch_days=14)) == 14


def cold_names(alice, acme) -> list[str]:
    rows, total = referral_selectors.going_cold_for_user(alice, team=acme, now=NOW, limit=50)
    assert total == len(rows)
    return [row.contact.first_name for row in rows]


def test_going_cold_follows_each_persons_rhythm_longest_silent_first(alice, bob, acme):
    silent(client_of(alice, acme, "Warm"), 29)
    silent(client_of(alice, acme, "Cold"), 31)
    silent(client_of(alice, acme, "Colder"), 80)
    silent(ContactFactory(team=acme, owner=alice, first_name="Prospect"), 400)
    silent(ContactFactory(team=acme, owner=alice, first_name="Often", stay_in_touch_days=7), 8)
    silent(
        ContactFactory(
            team=acme, owner=alice, first_name="Seldom", kind="colleague", stay_in_touch_days=200
        ),
        120,
    )
    silent(client_of(bob, acme, "Bobs"), 100)  # bob's to look after, not alice's
    assert cold_names(alice, acme) == ["Colder", "Cold", "Often"]


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    people=st.lists(
        st.tuples(
            st.sampled_from(list(ContactKind.values)),
            st.one_of(st.none(), st.integers(1, 120)),  # their own rhythm, in days
            st.floats(0, 200),  # silent for (days)
        ),
        min_size=1,
        max_size=8,
    )
)
def test_going_cold_is_every_rhythm_passed_whatever_the_rhythms(alice, acme, people):
    """The class, not the example: whatever kinds, own rhythms (shorter than any default
    included) and silences, the list read through the index of silences (contacts.rhythm)
    is exactly the people whose rhythm has passed, longest silent first."""
    Contact.objects.filter(team=acme).delete()
    made = []
    for index, (kind, days, quiet) in enumerate(people):
        contact = ContactFactory(
            team=acme, owner=alice, kind=kind, stay_in_touch_days=days, first_name=f"P{index}"
        )
        made.append((silent(contact, quiet), quiet))
    expected = [
        contact.first_name
        for contact, quiet in sorted(made, key=lambda pair: (-pair[1], pair[0].pk))
        if rhythm.rhythm_days(contact) is not None and quiet >= rhythm.rhythm_days(contact)
    ]

    assert cold_names(alice, acme) == expected


def test_someone_never_touched_goes_cold_a_rhythm_after_they_were_added(alice, acme):
    new = client_of(alice, acme, "New")
    Contact.objects.filter(pk=new.pk).update(created_at=NOW - 40 * DAY)
    assert cold_names(alice, acme) == ["New"]


def test_any_touch_takes_someone_off_the_list(alice, acme):
    carla = silent(client_of(alice, acme), 45)
    assert cold_names(alice, acme) == ["Carla"]
    contact_services.contact_touch_log(contact=carla, actor=alice, channel=Channel.PHONE)
    assert cold_names(alice, acme) == []


def test_the_reason_to_call_says_what_there_is_to_say(alice, acme):
    referrer = silent(client_of(alice, acme, "Referrer"), 50)
    ReferralFactory(
        referrer=referrer,
        prospect=ContactFactory(team=acme, owner=alice, first_name="Paula", last_name="P"),
        asked_at=NOW - 60 * DAY,
    )
    Contact.objects.filter(pk=referrer.pk).update(last_touch_at=NOW - 50 * DAY)
    silent(client_of(alice, acme, "Unchecked"), 40)
    checked = silent(client_of(alice, acme, "Checked"), 35)
    ReadinessCheckFactory(client=checked, checked_on=(NOW - 35 * DAY).date())
    Contact.objects.filter(pk=checked.pk).update(last_touch_at=NOW - 35 * DAY)
    silent(
        ContactFactory(team=acme, owner=alice, first_name="Partner", kind=ContactKind.PARTNER), 46
    )
    rows, _ = referral_selectors.going_cold_for_user(alice, team=acme, now=NOW, limit=10)
    reasons = {row.contact.first_name: row.reason for row in rows}
    assert reasons["Referrer"] == "Tell them how it is going with Paula P, whom they introduced."
    assert reasons["Unchecked"].startswith("Time for a readiness conversation")
    assert reasons["Checked"] == "Check in: how is working with us going?"
    assert reasons["Partner"].startswith("Swap news")


# --- Going-cold reminders, exactly once per silence -------------------------------------------


def test_someone_who_just_went_cold_is_reminded_once(alice, acme, published):
    carla = silent(client_of(alice, acme), 31)
    first = reminders.stay_in_touch_reminders_send(now=NOW)
    again = reminders.stay_in_touch_reminders_send(now=NOW + timedelta(hours=1))
    assert (first.reminded, first.emails) == (1, 1)
    assert again.reminded == 0
    note = Notification.objects.get(user=alice)
    assert note.message.startswith("Going cold: Carla Client — no touch for 31 days.")
    assert note.url == reverse("contacts:detail", args=[carla.pk])
    email = OutgoingEmail.objects.get(purpose="going_cold")
    assert email.to == alice.email and "Carla Client" in email.body


def test_a_new_silence_after_a_touch_is_reminded_again(alice, acme, time_machine):
    carla = silent(client_of(alice, acme), 31)
    reminders.stay_in_touch_reminders_send(now=NOW)
    contact_services.touch_record(user=alice, contacts=[carla], at=NOW)
    assert reminders.stay_in_touch_reminders_send(now=NOW + 10 * DAY).reminded == 0
    assert reminders.stay_in_touch_reminders_send(now=NOW + 31 * DAY).reminded == 1
    assert StayInTouchReminder.objects.filter(contact=carla).count() == 2


def test_long_cold_people_are_listed_but_not_reminded_one_by_one(alice, acme):
    silent(client_of(alice, acme), 300)
    assert reminders.stay_in_touch_reminders_send(now=NOW).reminded == 0
    assert cold_names(alice, acme) == ["Carla"]


def test_users_own_records_and_prospects_never_go_cold(alice, acme):
    me = contact_services.contact_for_user_ensure(user=alice, team=acme)
    silent(me, 100)
    silent(ContactFactory(team=acme, owner=alice), 100)
    assert reminders.stay_in_touch_reminders_send(now=NOW).reminded == 0


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_remind_each_person_once(acme, alice):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    for index in range(20):
        silent(client_of(alice, acme, f"P{index}"), 31)

    def scan(_):
        try:
            return reminders.stay_in_touch_reminders_send(now=NOW, batch=3).reminded
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(scan, range(4)))
    assert sum(results) == 20
    assert StayInTouchReminder.objects.count() == 20
    assert OutgoingEmail.objects.filter(purpose="going_cold").count() == 20


# --- The morning digest ------------------------------------------------------------------------


def test_the_digest_lists_who_is_going_cold_with_the_reason(alice, acme):
    silent(client_of(alice, acme), 31)
    morning = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
    assert digests.digests_send(now=morning) == 1
    body = OutgoingEmail.objects.get(purpose="digest").body
    assert "Going cold (1):" in body
    assert "Carla Client — 31 days without a touch. Time for a readiness conversation" in body


def test_no_digest_when_nothing_is_due_and_nobody_is_cold(alice, acme):
    silent(client_of(alice, acme), 3)
    assert digests.digests_send(now=datetime(2026, 3, 4, 8, 0, tzinfo=UTC)) == 0


# --- Chasing an unconfirmed ask ----------------------------------------------------------------


def ask(alice, acme, days_ago: float) -> Referral:
    return referral_services.referral_create(
        owner=alice,
        team=acme,
        referrer=client_of(alice, acme, "Rita"),
        prospect=ContactFactory(team=acme, owner=alice, first_name="Paul", last_name="Prospect"),
        asked_at=NOW - timedelta(days=days_ago),
    )


def chases(referral) -> list[FollowUp]:
    return list(FollowUp.objects.filter(referral=referral, kind=Kind.CHASE_CONFIRMATION))


def test_an_ask_unconfirmed_after_the_teams_days_is_chased_once(alice, acme):
    fresh, old = ask(alice, acme, 4), ask(alice, acme, 6)
    assert followup_services.chase_confirmations_schedule(now=NOW) == 1
    assert followup_services.chase_confirmations_schedule(now=NOW) == 0
    assert chases(fresh) == []
    [chase] = chases(old)
    assert chase.recipient_id == old.referrer_id
    assert chase.due_at == old.asked_at + 5 * DAY
    # The reminder scan reminds the rep of it once, like any follow-up.
    assert reminders.reminders_scan(now=NOW).reminded >= 1
    assert Notification.objects.filter(message__contains="Gently remind").count() == 1
    reminders.reminders_scan(now=NOW + DAY)
    assert Notification.objects.filter(message__contains="Gently remind").count() == 1


def test_the_teams_setting_decides_when_to_chase(alice, acme):
    acme.chase_confirmation_after_days = 10
    acme.save()
    referral = ask(alice, acme, 6)
    assert followup_services.chase_confirmations_schedule(now=NOW) == 0
    assert followup_services.chase_confirmations_schedule(now=NOW + 4 * DAY) == 1
    assert chases(referral)[0].due_at == referral.asked_at + 10 * DAY


def test_a_chase_done_or_skipped_is_not_made_again(alice, acme):
    referral = ask(alice, acme, 6)
    followup_services.chase_confirmations_schedule(now=NOW)
    followup_services.followup_skip(followup=chases(referral)[0], actor=alice, reason="Called")
    assert followup_services.chase_confirmations_schedule(now=NOW) == 0


@pytest.mark.parametrize("answer", [Status.CONFIRMED, Status.DECLINED])
def test_an_answered_ask_is_not_chased_and_a_pending_chase_is_dropped(alice, acme, answer):
    referral = ask(alice, acme, 6)
    followup_services.chase_confirmations_schedule(now=NOW)
    referral_services.referral_transition(referral=referral, to=answer, at=NOW)
    [chase] = chases(referral)
    assert chase.status == FollowUp.Status.SKIPPED
    assert chase.skip_reason == followup_services.SKIPPED_ASK_ANSWERED
    answered = ask(alice, acme, 7)
    referral_services.referral_transition(referral=answered, to=answer, at=NOW)
    assert followup_services.chase_confirmations_schedule(now=NOW) == 0


def test_the_chase_comes_with_a_gentle_reminder_drafted(alice, acme):
    referral = ask(alice, acme, 6)
    followup_services.chase_confirmations_schedule(now=NOW)
    chase = FollowUp.objects.select_related(
        "owner", "referral__referrer", "referral__prospect"
    ).get(referral=referral, kind=Kind.CHASE_CONFIRMATION)
    draft = drafts.draft_for(chase)
    assert draft.subject == "Checking in about Paul Prospect"
    assert draft.body.startswith("Hi Rita,")
    assert "gentle nudge" in draft.body and "copying me" in draft.body


def test_the_pipeline_shows_each_asks_age(alice, acme, alice_client):
    ask(alice, acme, 6)
    page = alice_client.get(reverse("referrals:pipeline")).content.decode()
    assert "6 days" in page


# --- After a win -------------------------------------------------------------------------------


def test_a_win_brings_an_expectation_conversation_then_a_readiness_conversation(alice, acme):
    acme.readiness_after_win_days = 45
    acme.save()
    referral = ask(alice, acme, 20)
    for days_ago, to in zip(
        (15, 10, 5, 0),
        (Status.CONFIRMED, Status.CONTACTED, Status.MEETING, Status.WON),
        strict=True,
    ):
        referral_services.referral_transition(referral=referral, to=to, at=NOW - days_ago * DAY)
    expectations = FollowUp.objects.get(referral=referral, kind=Kind.EXPECTATIONS)
    readiness = FollowUp.objects.get(referral=referral, kind=Kind.READINESS)
    assert expectations.recipient_id == readiness.recipient_id == referral.prospect_id
    assert expectations.due_at == NOW + DAY
    assert readiness.due_at == NOW + 45 * DAY
    # Replaying the event creates nothing new.
    assert followup_services.followups_for_event(referral=referral, event=Status.WON) == []
    body = drafts.draft_for(expectations).body
    assert "what happens next" in body and "much of our business comes from introductions" in body


# --- Whom to ask again -------------------------------------------------------------------------


def closer_and_liked(alice, acme) -> tuple[Contact, Contact]:
    """A client whose introduction was won three days ago ("Closer"), and a prospect lost
    ten days ago after a meeting ("Liked")."""
    closer = client_of(alice, acme, "Closer")
    ReferralFactory(referrer=closer, status=Status.WON, won_at=NOW - 3 * DAY)
    liked = ContactFactory(team=acme, owner=alice, first_name="Liked")
    ReferralFactory(
        prospect=liked,
        referrer=client_of(alice, acme, "Other"),
        status=Status.LOST,
        meeting_at=NOW - 20 * DAY,
        lost_at=NOW - 10 * DAY,
    )
    return closer, liked


def test_the_week_lists_whom_to_ask_at_the_right_moment(alice, acme):
    green = client_of(alice, acme, "Green")
    ReadinessCheckFactory(client=green, green_light=True)
    asked_before = client_of(alice, acme, "Asked")
    ReadinessCheckFactory(client=asked_before, green_light=True)
    ReferralFactory(referrer=asked_before, status=Status.DECLINED, declined_at=NOW - DAY)
    red = client_of(alice, acme, "Red")
    ReadinessCheckFactory(client=red, green_light=False)
    closer_and_liked(alice, acme)
    lists = referral_selectors.ask_again_for_user(alice, team=acme, now=NOW, limit=6)
    assert [row.contact.first_name for row in lists["never_asked"]] == ["Green"]
    assert [row.contact.first_name for row in lists["just_closed"]] == ["Closer"]
    assert [row.contact.first_name for row in lists["lost_liked_us"]] == ["Liked"]


@pytest.mark.parametrize("since", OPEN_STATUSES)
def test_someone_asked_again_since_is_not_listed_until_that_ask_closes(alice, acme, since):
    closer, liked = closer_and_liked(alice, acme)
    # Asked again since, through each of them: both have an answer pending.
    again = [
        ReferralFactory(referrer=person, status=since, asked_at=NOW - DAY)
        for person in (closer, liked)
    ]
    lists = referral_selectors.ask_again_for_user(alice, team=acme, now=NOW, limit=6)
    assert lists["just_closed"] == [] and lists["lost_liked_us"] == []
    # Once those asks are closed, each is someone to ask again.
    Referral.objects.filter(pk__in=[ask.pk for ask in again]).update(status=Status.DECLINED)
    lists = referral_selectors.ask_again_for_user(alice, team=acme, now=NOW, limit=6)
    assert [row.contact.first_name for row in lists["just_closed"]] == ["Closer"]
    assert [row.contact.first_name for row in lists["lost_liked_us"]] == ["Liked"]


def seed_week(alice, acme, size: int) -> None:
    for index in range(size):
        silent(client_of(alice, acme, f"Cold{index}"), 40 + index)
        green = client_of(alice, acme, f"Green{index}")
        ReadinessCheckFactory(client=green, green_light=True)
        ReferralFactory(
            referrer=client_of(alice, acme, f"Closer{index}"),
            status=Status.WON,
            won_at=NOW - DAY,
        )
        ReferralFactory(
            referrer=client_of(alice, acme, f"Via{index}"),
            status=Status.LOST,
            meeting_at=NOW - 5 * DAY,
            lost_at=NOW - 2 * DAY,
        )


@pytest.mark.parametrize("size", [2, 20])
def test_the_weeks_warmth_sections_cost_the_same_at_any_size(
    alice, acme, alice_client, django_assert_max_num_queries, size
):
    MembershipFactory(team=acme)
    seed_week(alice, acme, size)
    # The week's 20 queries (tests/test_accounts.py) and 8 for these sections: the
    # distinct custom rhythms, the cold count, the cold list, their open asks, their
    # readiness dates; green-light clients never asked, intros just closed, lost prospects.
    with django_assert_max_num_queries(28):
        response = alice_client.get(reverse("rep-week"))
    page = response.content.decode()
    assert "Going cold" in page and "Cold" in page
    assert response.context["going_cold_count"] == size
    assert len(response.context["going_cold"]) == min(size, 6)
    assert len(response.context["ask_again"]["never_asked"]) == min(size, 6)
    assert len(response.context["ask_again"]["just_closed"]) == min(size, 6)
    assert len(response.context["ask_again"]["lost_liked_us"]) == min(size, 6)


# --- The API -----------------------------------------------------------------------------------


def test_contacts_show_their_last_touch_and_take_a_rhythm(alice, acme, alice_client):
    carla = silent(client_of(alice, acme), 3)
    url = f"/api/v1/contacts/{carla.pk}/"
    body = alice_client.get(url).json()
    assert body["last_touch_at"].startswith("2026-03-01T10:00:00")
    assert body["stay_in_touch_days"] is None
    answer = alice_client.patch(
        url,
        {"stay_in_touch_days": 14, "last_touch_at": "2020-01-01T00:00:00Z"},
        content_type="application/json",
    )
    assert answer.status_code == 200
    carla.refresh_from_db()
    assert carla.stay_in_touch_days == 14
    assert carla.last_touch_at == NOW - 3 * DAY  # read-only: ignored
    assert (
        alice_client.patch(
            url, {"stay_in_touch_days": None}, content_type="application/json"
        ).json()["stay_in_touch_days"]
        is None
    )


@pytest.mark.parametrize("days", [0, 366, -1, "often"])
def test_a_rhythm_out_of_range_is_refused(alice, acme, alice_client, days):
    carla = client_of(alice, acme)
    answer = alice_client.patch(
        f"/api/v1/contacts/{carla.pk}/",
        {"stay_in_touch_days": days},
        content_type="application/json",
    )
    assert answer.status_code == 400
    carla.refresh_from_db()
    assert carla.stay_in_touch_days is None


def test_relationships_show_their_last_touch_and_the_schema_names_the_fields(
    alice, acme, alice_client
):
    me = contact_services.contact_for_user_ensure(user=alice, team=acme)
    carla = client_of(alice, acme)
    tie = contact_services.relationship_create(contact=me, other=carla, actor=alice)
    contact_services.contact_touch_log(contact=carla, actor=alice, channel=Channel.EMAIL)
    body = alice_client.get(f"/api/v1/relationships/{tie.pk}/").json()
    assert body["last_touch_at"].startswith("2026-03-04T10:00:00")
    schema = alice_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    assert components["Contact"]["properties"]["last_touch_at"]["readOnly"] is True
    assert components["Contact"]["properties"]["stay_in_touch_days"]["maximum"] == 365
    assert components["Relationship"]["properties"]["last_touch_at"]["readOnly"] is True


# --- The KPI: share of active clients asked ----------------------------------------------------


def test_clients_asked_share_counts_active_clients_asked_in_the_last_90_days(
    alice, bob, acme, alice_client
):
    from reporting import kpis

    asked = client_of(alice, acme, "Asked")
    ReferralFactory(referrer=asked, asked_at=NOW - 30 * DAY)
    long_ago = client_of(alice, acme, "LongAgo")
    ReferralFactory(referrer=long_ago, asked_at=NOW - 100 * DAY)
    client_of(alice, acme, "Never")
    bobs = client_of(bob, acme, "Bobs")
    ReferralFactory(referrer=bobs, asked_at=NOW - DAY)
    ReferralFactory(referrer=ContactFactory(team=acme, owner=alice), asked_at=NOW - DAY)
    period = kpis.Period(NOW.date() - 6 * DAY, NOW.date())
    assert kpis.clients_asked_share(kpis.Scope(team_ids=(acme.pk,)), period) == 0.5
    assert kpis.clients_asked_share(kpis.Scope(team_ids=(acme.pk,), rep_id=alice.pk), period) == (
        round(1 / 3, 4)
    )
    # As of an earlier period, the ask of 100 days ago was within the 90 days.
    earlier = kpis.Period(NOW.date() - 70 * DAY, NOW.date() - 60 * DAY)
    assert kpis.clients_asked_share(kpis.Scope(team_ids=(acme.pk,)), earlier) == 0.25
    assert kpis.clients_asked_share(kpis.Scope(team_ids=(-1,)), period) is None
    body = alice_client.get("/api/v1/kpis/").json()
    assert body["clients_asked_share"] == round(1 / 3, 4)
    schema = alice_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    field = schema["components"]["schemas"]["Kpis"]["properties"]["clients_asked_share"]
    assert field["maximum"] == 1 and field["nullable"] is True


def test_the_dashboard_shows_the_share_of_clients_asked(alice, maya, maya_client, acme):
    ReferralFactory(referrer=client_of(alice, acme, "Asked"), asked_at=NOW - DAY)
    client_of(alice, acme, "Never")
    page = maya_client.get(reverse("manager-dashboard")).content.decode()
    assert "<strong>50%</strong>" in page and "of active clients asked" in page
