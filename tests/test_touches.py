"""Recency from what reps already do: every kind of touch recorded in Warmpath moves the
contact's and the tie's last touch, in the transaction of the touch, never backwards."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from contacts import services as contact_services
from contacts.models import Activity, Channel, Contact, Relationship
from followups import services as followup_services
from referrals import services as referral_services
from referrals.models import Deal, Referral
from tests import migrations
from tests.factories import (
    ClientFactory,
    ContactFactory,
    DealFactory,
    FollowUpFactory,
    RelationshipFactory,
)

pytestmark = [pytest.mark.dates, pytest.mark.now("2026-03-04T10:00:00+00:00")]

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
Status = Referral.Status


@pytest.fixture
def me(alice, acme):
    """Alice's own contact record: her ties are relationships like any other."""
    return contact_services.contact_for_user_ensure(user=alice, team=acme)


@pytest.fixture
def carla(acme, alice, me):
    carla = ClientFactory(team=acme, owner=alice, first_name="Carla", last_name="Client")
    RelationshipFactory(between=(me, carla), strength=4)
    return carla


@pytest.fixture
def pete(acme, alice, me):
    pete = ContactFactory(team=acme, owner=alice, first_name="Pete", last_name="Prospect")
    RelationshipFactory(between=(me, pete), strength=2)
    return pete


@pytest.fixture
def carla_pete(carla, pete):
    return RelationshipFactory(between=(carla, pete), strength=3)


def touched(person: Contact) -> datetime | None:
    return Contact.objects.get(pk=person.pk).last_touch_at


def tie_touched(one: Contact, other: Contact) -> datetime | None:
    low, high = sorted((one.pk, other.pk))
    return Relationship.objects.get(contact_a_id=low, contact_b_id=high).last_touch_at


def ask(alice, acme, carla, pete, days_ago=3) -> Referral:
    return referral_services.referral_create(
        owner=alice,
        team=acme,
        referrer=carla,
        prospect=pete,
        asked_at=NOW - timedelta(days=days_ago),
    )


# --- Each kind of touch --------------------------------------------------------------------


def test_an_ask_touches_the_referrer_and_the_reps_tie_to_them(alice, acme, me, carla, pete):
    ask(alice, acme, carla, pete)
    assert touched(carla) == NOW - timedelta(days=3)
    assert tie_touched(me, carla) == NOW - timedelta(days=3)
    assert touched(pete) is None  # nobody has spoken to the prospect yet
    assert Contact.objects.get(pk=carla.pk).last_contacted_on == date(2026, 3, 1)


def test_a_confirmed_intro_touches_the_referrer_and_their_tie_to_the_prospect(
    alice, acme, me, carla, pete, carla_pete
):
    referral = ask(alice, acme, carla, pete)
    referral_services.referral_transition(referral=referral, to=Status.CONFIRMED, at=NOW)
    assert touched(carla) == NOW
    assert tie_touched(me, carla) == NOW
    assert tie_touched(carla, pete) == NOW
    assert tie_touched(me, pete) is None


def test_a_declined_ask_is_a_touch_with_the_referrer(alice, acme, me, carla, pete):
    referral = ask(alice, acme, carla, pete)
    referral_services.referral_transition(referral=referral, to=Status.DECLINED, at=NOW)
    assert touched(carla) == NOW
    assert touched(pete) is None


@pytest.mark.parametrize("last", [Status.CONTACTED, Status.MEETING, Status.WON, Status.LOST])
def test_steps_with_the_prospect_touch_the_prospect(alice, acme, me, carla, pete, last):
    referral = ask(alice, acme, carla, pete, days_ago=10)
    path = {
        Status.CONTACTED: [Status.CONFIRMED, Status.CONTACTED],
        Status.MEETING: [Status.CONFIRMED, Status.CONTACTED, Status.MEETING],
        Status.WON: [Status.CONFIRMED, Status.CONTACTED, Status.MEETING, Status.WON],
        Status.LOST: [Status.CONFIRMED, Status.CONTACTED, Status.LOST],
    }[last]
    for days_ago, to in zip(range(len(path), 0, -1), path, strict=True):
        referral_services.referral_transition(
            referral=referral, to=to, at=NOW - timedelta(days=days_ago - 1)
        )
    assert touched(pete) == NOW
    assert tie_touched(me, pete) == NOW


@pytest.mark.parametrize("sent_by_email", [False, True])
def test_a_followup_done_or_sent_touches_its_recipient(alice, acme, me, carla, pete, sent_by_email):
    referral = ask(alice, acme, carla, pete, days_ago=5)
    followup = referral.followups.get(kind="thank_referrer")
    later = NOW - timedelta(hours=2)
    if sent_by_email:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(followup_services, "outgoing_emails_send_after_commit", lambda ids: None)
            followup_services.followup_email_send(
                followup=followup, actor=alice, subject="Thank you", body="Thanks, Carla."
            )
        later = NOW
    else:
        followup_services.followup_complete(
            followup=followup, actor=alice, channel=Channel.PHONE, at=later
        )
    assert touched(carla) == later
    assert tie_touched(me, carla) == later


def test_a_skipped_followup_is_no_touch(alice, acme, me, carla, pete):
    followup = FollowUpFactory(referral=ask(alice, acme, carla, pete, days_ago=5))
    Contact.objects.filter(pk=carla.pk).update(last_touch_at=None)
    followup_services.followup_skip(followup=followup, actor=alice, reason="Away")
    assert touched(carla) is None


def test_a_readiness_conversation_touches_the_client_at_noon_of_its_day(alice, me, carla):
    referral_services.readiness_check_record(
        owner=alice, client=carla, checked_on=date(2026, 3, 2), green_light=True
    )
    assert touched(carla) == datetime(2026, 3, 2, 12, tzinfo=UTC)
    assert tie_touched(me, carla) == datetime(2026, 3, 2, 12, tzinfo=UTC)


def test_todays_readiness_conversation_is_not_dated_in_the_future(alice, carla):
    referral_services.readiness_check_record(
        owner=alice, client=carla, checked_on=date(2026, 3, 4), green_light=True
    )
    assert touched(carla) == NOW


def test_a_deal_opened_and_closed_touches_its_contact(alice, me, pete):
    deal = referral_services.deal_create(
        owner=alice, contact=pete, source=Deal.Source.COLD, opened_on=date(2026, 2, 1)
    )
    assert touched(pete) == datetime(2026, 2, 1, 12, tzinfo=UTC)
    referral_services.deal_update(
        deal=deal, data={"outcome": Deal.Outcome.WON, "closed_on": date(2026, 3, 3)}
    )
    assert touched(pete) == datetime(2026, 3, 3, 12, tzinfo=UTC)
    assert tie_touched(me, pete) == datetime(2026, 3, 3, 12, tzinfo=UTC)


def test_renaming_a_deal_is_no_touch(alice, pete):
    deal = DealFactory(contact=pete, owner=alice)
    referral_services.deal_update(deal=deal, data={"name": "Bigger"})
    assert touched(pete) is None


def test_a_referral_we_gave_touches_both_people_and_their_tie(alice, me, carla, pete, carla_pete):
    referral_services.referral_given_record(
        owner=alice, client=carla, introduced=pete, given_on=date(2026, 3, 1)
    )
    noon = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert touched(carla) == noon
    assert touched(pete) == noon
    assert tie_touched(carla, pete) == noon


def test_a_noted_call_touches_the_contact_and_goes_on_the_timeline(alice, me, carla):
    contact_services.contact_touch_log(
        contact=carla, actor=alice, channel=Channel.PHONE, note="Talked about the renewal"
    )
    assert touched(carla) == NOW
    assert tie_touched(me, carla) == NOW
    line = Activity.objects.get(contact=carla, verb="touch")
    assert line.description == "Phone: Talked about the renewal"


def test_a_noted_call_in_the_future_or_by_an_unknown_channel_is_refused(alice, carla):
    with pytest.raises(ValidationError) as refused:
        contact_services.contact_touch_log(
            contact=carla, actor=alice, channel="pigeon", at=NOW + timedelta(days=1)
        )
    assert set(refused.value.message_dict) == {"channel", "at"}
    assert touched(carla) is None
    assert not Activity.objects.filter(verb="touch").exists()


# --- The rules every touch follows ---------------------------------------------------------


def test_a_touch_dated_earlier_never_moves_the_last_touch_back(alice, me, carla):
    contact_services.contact_touch_log(contact=carla, actor=alice, channel=Channel.EMAIL)
    contact_services.contact_touch_log(
        contact=carla, actor=alice, channel=Channel.PHONE, at=NOW - timedelta(days=9)
    )
    assert touched(carla) == NOW
    assert tie_touched(me, carla) == NOW
    assert Contact.objects.get(pk=carla.pk).last_contacted_on == date(2026, 3, 4)


def test_a_touch_rolls_back_with_the_work_that_made_it(alice, acme, carla, pete):
    with pytest.raises(RuntimeError), transaction.atomic():
        ask(alice, acme, carla, pete)
        raise RuntimeError("the request failed after the ask")
    assert touched(carla) is None


def test_a_touch_costs_a_bounded_number_of_queries(alice, me, carla, pete, carla_pete):
    alice.contact_record  # noqa: B018 - the rep's record, read once per request anyway
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        contact_services.touch_record(user=alice, contacts=[carla, pete], ties=[(carla, pete)])
    assert len([q for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]) == 2
    assert touched(carla) == touched(pete) == NOW
    assert tie_touched(carla, pete) == NOW


def test_the_last_touch_day_follows_the_reps_calendar(alice, carla):
    alice.time_zone = "Pacific/Auckland"
    alice.save(update_fields=["time_zone"])
    contact_services.touch_record(user=alice, contacts=[carla], at=timezone.now())
    # 10:00 UTC on the 4th is 23:00 on the 4th in Auckland (NZDT, +13).
    assert Contact.objects.get(pk=carla.pk).last_contacted_on == date(2026, 3, 4)
    contact_services.touch_record(user=alice, contacts=[carla], at=NOW + timedelta(hours=2))
    assert Contact.objects.get(pk=carla.pk).last_contacted_on == date(2026, 3, 5)


# --- The backfill from the work recorded before touches were --------------------------------

BEFORE_BACKFILL = ("followups", "0007_lists_sorted_by_index")


@pytest.mark.django_db(transaction=True)
def test_the_migration_backfills_last_touches_from_existing_activity():
    # Follow-ups as they were before the backfill, with whatever depends on them.
    with migrations.as_before(BEFORE_BACKFILL) as apps:
        Team = apps.get_model("accounts", "Team")
        User = apps.get_model("accounts", "User")
        OldContact = apps.get_model("contacts", "Contact")
        OldRelationship = apps.get_model("contacts", "Relationship")
        OldReferral = apps.get_model("referrals", "Referral")
        OldCheck = apps.get_model("referrals", "ReadinessCheck")
        OldFollowUp = apps.get_model("followups", "FollowUp")

        team = Team.objects.create(name="Old data")
        rep = User.objects.create(username="old-rep")
        me = OldContact.objects.create(team=team, owner=rep, user=rep, first_name="Rep")
        rita = OldContact.objects.create(team=team, owner=rep, first_name="Rita", kind="client")
        paul = OldContact.objects.create(team=team, owner=rep, first_name="Paul")
        quiet = OldContact.objects.create(team=team, owner=rep, first_name="Quiet")
        for one, other in ((me, rita), (me, paul), (rita, paul)):
            low, high = sorted((one, other), key=lambda c: c.pk)
            OldRelationship.objects.create(team=team, contact_a=low, contact_b=high)
        day = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
        referral = OldReferral.objects.create(
            team=team, owner=rep, referrer=rita, prospect=paul, asked_at=day, status="contacted",
            confirmed_at=day + timedelta(days=1), contacted_at=day + timedelta(days=2),
        )  # fmt: skip
        OldFollowUp.objects.create(
            team=team, owner=rep, referral=referral, recipient=rita, kind="thank_referrer",
            occasion="asked", due_at=day, status="done", done_at=day + timedelta(days=5),
        )  # fmt: skip
        OldCheck.objects.create(team=team, owner=rep, client=rita, checked_on=date(2026, 1, 1))

        migrations.latest()

        assert touched(rita) == day + timedelta(days=5)  # the thank-you, the latest of hers
        assert touched(paul) == day + timedelta(days=2)  # contacted
        assert touched(quiet) is None
        assert Contact.objects.get(pk=rita.pk).last_contacted_on == date(2026, 1, 15)
        assert tie_touched(me, rita) == day + timedelta(days=5)
        assert tie_touched(me, paul) == day + timedelta(days=2)
        assert tie_touched(rita, paul) == day + timedelta(days=1)  # the introduction
