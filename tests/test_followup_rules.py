"""The follow-up rules at the service layer: what each referral event creates and when it
is due, that replaying an event creates nothing, periodic updates at each cadence, what a
closed referral does to them, completing, skipping and sending by email — and that the
demo and load-test data follow the same rules."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from contacts.models import Activity, Channel, UpdateCadence
from followups import services
from followups.models import FollowUp
from outbox import tasks as outbox_tasks
from outbox.models import OutgoingEmail
from referrals import services as referral_services
from referrals.models import FINAL_STATUSES, STEP_TIME_FIELD, Referral, RosterEntry
from tests.factories import (
    ClientFactory,
    ContactFactory,
    FollowUpFactory,
    ReferralFactory,
    RosterEntryFactory,
)

# Calendar-sensitive: .ci/run also runs these at hostile moments (tests/clock.py).
pytestmark = pytest.mark.dates

Kind = FollowUp.Kind
Status = Referral.Status
DAY = timedelta(hours=24)


def kinds(referral) -> set[tuple[str, str]]:
    return set(FollowUp.objects.filter(referral=referral).values_list("kind", "occasion"))


@pytest.fixture
def referrer(acme, alice):
    return ClientFactory(
        team=acme,
        owner=alice,
        first_name="Carla",
        last_name="Client",
        update_cadence=UpdateCadence.AT_END,
    )


@pytest.fixture
def prospect(acme, alice):
    return ContactFactory(team=acme, owner=alice, first_name="Pete", last_name="Prospect")


def ask(alice, acme, referrer, prospect, *, days_ago: float = 10) -> Referral:
    return referral_services.referral_create(
        owner=alice,
        team=acme,
        referrer=referrer,
        prospect=prospect,
        asked_at=timezone.now() - timedelta(days=days_ago),
    )


def step(referral, to, *, days_ago: float) -> Referral:
    return referral_services.referral_transition(
        referral=referral, to=to, at=timezone.now() - timedelta(days=days_ago)
    )


# --- What each event creates ------------------------------------------------------------


def test_recording_a_referral_schedules_thanking_the_referrer_a_day_later(
    alice, acme, referrer, prospect
):
    referral = ask(alice, acme, referrer, prospect)

    followup = FollowUp.objects.get(referral=referral)
    assert (followup.kind, followup.occasion) == (Kind.THANK_REFERRER, "asked")
    assert followup.due_at == referral.asked_at + DAY
    assert (followup.recipient, followup.owner, followup.team) == (referrer, alice, acme)
    assert followup.status == FollowUp.Status.PENDING


def test_contacting_the_prospect_schedules_a_status_report_and_thanking_the_prospect(
    alice, acme, referrer, prospect
):
    referral = ask(alice, acme, referrer, prospect)
    step(referral, Status.CONFIRMED, days_ago=8)
    referral = step(referral, Status.CONTACTED, days_ago=6)

    report = FollowUp.objects.get(referral=referral, kind=Kind.STATUS_REPORT)
    thanks = FollowUp.objects.get(referral=referral, kind=Kind.THANK_PROSPECT)
    assert (report.occasion, report.recipient, report.due_at) == (
        "contacted",
        referrer,
        referral.contacted_at + DAY,
    )
    assert (thanks.occasion, thanks.recipient, thanks.due_at) == (
        "contacted",
        prospect,
        referral.contacted_at + DAY,
    )


def test_winning_schedules_the_closing_thanks(alice, acme, referrer, prospect):
    referral = ask(alice, acme, referrer, prospect)
    for to, days_ago in [
        (Status.CONFIRMED, 8),
        (Status.CONTACTED, 6),
        (Status.MEETING, 4),
        (Status.WON, 2),
    ]:
        referral = step(referral, to, days_ago=days_ago)

    closing = FollowUp.objects.get(referral=referral, kind=Kind.CLOSING_THANKS)
    assert (closing.occasion, closing.recipient) == ("won", referrer)
    assert closing.due_at == referral.won_at + DAY
    # "Only at the end": no report at the confirmed or meeting step. After the win, the
    # new client's expectation and readiness conversations (tests/test_warmth.py).
    assert kinds(referral) == {
        (Kind.THANK_REFERRER, "asked"),
        (Kind.STATUS_REPORT, "contacted"),
        (Kind.THANK_PROSPECT, "contacted"),
        (Kind.CLOSING_THANKS, "won"),
        (Kind.EXPECTATIONS, "won"),
        (Kind.READINESS, "won"),
    }


def test_losing_schedules_a_status_report_to_the_referrer(alice, acme, referrer, prospect):
    referral = ask(alice, acme, referrer, prospect)
    step(referral, Status.CONFIRMED, days_ago=8)
    referral = step(referral, Status.LOST, days_ago=3)

    report = FollowUp.objects.get(referral=referral, kind=Kind.STATUS_REPORT)
    assert (report.occasion, report.recipient, report.due_at) == (
        "lost",
        referrer,
        referral.lost_at + DAY,
    )


def test_declining_creates_nothing_new(alice, acme, referrer, prospect):
    referral = ask(alice, acme, referrer, prospect)
    referral = step(referral, Status.DECLINED, days_ago=5)

    assert kinds(referral) == {(Kind.THANK_REFERRER, "asked")}


def test_each_step_cadence_gets_a_periodic_update_at_every_step(alice, acme, referrer, prospect):
    referrer.update_cadence = UpdateCadence.EACH_STEP
    referrer.save()
    referral = ask(alice, acme, referrer, prospect)
    for to, days_ago in [(Status.CONFIRMED, 8), (Status.CONTACTED, 6), (Status.MEETING, 4)]:
        referral = step(referral, to, days_ago=days_ago)

    updates = FollowUp.objects.filter(referral=referral, kind=Kind.PERIODIC_UPDATE)
    assert sorted(updates.values_list("occasion", flat=True)) == ["confirmed", "meeting"]
    assert updates.get(occasion="confirmed").due_at == referral.confirmed_at + DAY
    assert updates.get(occasion="meeting").due_at == referral.meeting_at + DAY
    assert {update.recipient for update in updates} == {referrer}
    # The contacted step has its status report (follow-up 2): that is its update.
    reports = FollowUp.objects.filter(referral=referral, kind=Kind.STATUS_REPORT)
    assert list(reports.values_list("occasion", flat=True)) == ["contacted"]


def test_weekly_monthly_and_only_at_the_end_get_no_step_updates(alice, acme, referrer, prospect):
    for cadence in (UpdateCadence.WEEKLY, UpdateCadence.MONTHLY, UpdateCadence.AT_END):
        referrer.update_cadence = cadence
        referrer.save()
        referral = ask(alice, acme, referrer, ContactFactory(team=acme, owner=alice))
        for to, days_ago in [(Status.CONFIRMED, 8), (Status.CONTACTED, 6), (Status.MEETING, 4)]:
            referral = step(referral, to, days_ago=days_ago)

        occasions = set(
            FollowUp.objects.filter(referral=referral, kind=Kind.PERIODIC_UPDATE).values_list(
                "occasion", flat=True
            )
        )
        assert not occasions & {"confirmed", "contacted", "meeting"}, cadence
        assert FollowUp.objects.filter(referral=referral, kind=Kind.STATUS_REPORT).count() == 1


def test_each_step_updates_are_left_alone_when_the_referral_closes(alice, acme, referrer, prospect):
    referrer.update_cadence = UpdateCadence.EACH_STEP
    referrer.save()
    referral = ask(alice, acme, referrer, prospect)
    step(referral, Status.CONFIRMED, days_ago=8)
    step(referral, Status.LOST, days_ago=7)

    update = FollowUp.objects.get(referral=referral, kind=Kind.PERIODIC_UPDATE)
    # Still owed, like the thanks: only the weekly/monthly series stops at the close.
    assert (update.occasion, update.status) == ("confirmed", FollowUp.Status.PENDING)


# --- Replays ------------------------------------------------------------------------------


def test_replaying_every_event_creates_nothing_new(alice, acme, referrer, prospect):
    referrer.update_cadence = UpdateCadence.EACH_STEP
    referrer.save()
    referral = ask(alice, acme, referrer, prospect)
    for to, days_ago in [
        (Status.CONFIRMED, 8),
        (Status.CONTACTED, 6),
        (Status.MEETING, 4),
        (Status.WON, 2),
    ]:
        referral = step(referral, to, days_ago=days_ago)
    before = list(FollowUp.objects.order_by("pk").values_list("pk", "kind", "occasion", "due_at"))

    for event in services.EVENTS:
        assert services.followups_for_event(referral=referral, event=event) == []
        assert services.followups_for_event(referral=referral, event=event) == []

    after = list(FollowUp.objects.order_by("pk").values_list("pk", "kind", "occasion", "due_at"))
    assert after == before
    # thanks, 2 step updates, the status report and thank the prospect, closing thanks,
    # the expectation and the readiness conversations
    assert len(before) == 8


def test_an_event_the_referral_has_not_been_through_creates_nothing(
    alice, acme, referrer, prospect
):
    referral = ask(alice, acme, referrer, prospect)

    assert services.followups_for_event(referral=referral, event=Status.WON) == []
    assert kinds(referral) == {(Kind.THANK_REFERRER, "asked")}


def test_an_unknown_event_is_refused(alice, acme, referrer, prospect):
    referral = ask(alice, acme, referrer, prospect)
    with pytest.raises(ValueError, match="not a referral event"):
        services.followups_for_event(referral=referral, event="teleported")


def test_a_refused_transition_creates_no_follow_up(alice, acme, referrer, prospect):
    referral = ask(alice, acme, referrer, prospect)
    with pytest.raises(referral_services.TransitionError):
        step(referral, Status.WON, days_ago=1)
    assert kinds(referral) == {(Kind.THANK_REFERRER, "asked")}


# --- One transaction with the referral (referrals.events → followups.receivers) ------------


def fail_at_follow_up(monkeypatch, number: int) -> None:
    """Make the `number`th follow-up write of the test fail, the ones before it succeed."""
    real = services._followup_get_or_create
    calls = []

    def write_then_fail(referral, kind, occasion, **defaults):
        calls.append(kind)
        if len(calls) == number:
            raise DatabaseError("disk full")
        return real(referral, kind, occasion, **defaults)

    monkeypatch.setattr(services, "_followup_get_or_create", write_then_fail)


def test_an_ask_whose_follow_up_fails_is_not_recorded(monkeypatch, alice, acme, referrer, prospect):
    entry = RosterEntryFactory(prospect=prospect)
    fail_at_follow_up(monkeypatch, 1)

    with pytest.raises(DatabaseError):
        ask(alice, acme, referrer, prospect)

    assert not Referral.objects.exists()
    assert not FollowUp.objects.exists()
    assert not Activity.objects.filter(verb="asked").exists()
    entry.refresh_from_db()
    assert entry.status == RosterEntry.Status.WANTED


def test_a_step_whose_follow_up_fails_rolls_back_with_the_follow_ups_already_written(
    monkeypatch, alice, acme, referrer, prospect
):
    referral = step(ask(alice, acme, referrer, prospect), Status.CONFIRMED, days_ago=8)
    # Contacted writes the status report, then thanking the prospect: the second fails.
    fail_at_follow_up(monkeypatch, 2)

    with pytest.raises(DatabaseError):
        step(referral, Status.CONTACTED, days_ago=6)

    referral.refresh_from_db()
    assert (referral.status, referral.contacted_at) == (Status.CONFIRMED, None)
    assert kinds(referral) == {(Kind.THANK_REFERRER, "asked")}
    assert not Activity.objects.filter(referral=referral, verb=Status.CONTACTED).exists()


def test_the_follow_ups_roll_back_with_the_transaction_of_the_referral(
    alice, acme, referrer, prospect
):
    # Sent synchronously inside the write, not after commit: whoever rolls the referral
    # back (here the caller's transaction) rolls its follow-ups back too.
    with pytest.raises(RuntimeError), transaction.atomic():
        ask(alice, acme, referrer, prospect)
        assert FollowUp.objects.count() == 1
        raise RuntimeError("the caller gives up")

    assert not Referral.objects.exists()
    assert not FollowUp.objects.exists()


# --- Periodic updates --------------------------------------------------------------------


def test_weekly_referrer_gets_one_periodic_update_at_a_time(alice, acme, referrer, prospect):
    referrer.update_cadence = UpdateCadence.WEEKLY
    referrer.save()
    referral = ask(alice, acme, referrer, prospect, days_ago=10)

    first = FollowUp.objects.get(referral=referral, kind=Kind.PERIODIC_UPDATE)
    assert first.occasion == "periodic:1"
    assert first.due_at == referral.asked_at + timedelta(days=7)
    assert first.recipient == referrer

    # Steps while one is pending schedule nothing more.
    step(referral, Status.CONFIRMED, days_ago=9)
    assert FollowUp.objects.filter(kind=Kind.PERIODIC_UPDATE).count() == 1

    done = services.followup_complete(followup=first, actor=alice, channel=Channel.PHONE)
    second = FollowUp.objects.get(kind=Kind.PERIODIC_UPDATE, status=FollowUp.Status.PENDING)
    assert second.occasion == "periodic:2"
    assert second.due_at == done.done_at + timedelta(days=7)

    services.followup_skip(followup=second, actor=alice, reason="Saw her at the club")
    third = FollowUp.objects.get(kind=Kind.PERIODIC_UPDATE, status=FollowUp.Status.PENDING)
    assert third.occasion == "periodic:3"


def test_monthly_referrer_hears_a_calendar_month_later(alice, acme, referrer, prospect):
    referrer.update_cadence = UpdateCadence.MONTHLY
    referrer.save()
    asked_at = datetime(2025, 1, 31, 15, 0, tzinfo=UTC)
    referral = referral_services.referral_create(
        owner=alice, team=acme, referrer=referrer, prospect=prospect, asked_at=asked_at
    )

    periodic = FollowUp.objects.get(referral=referral, kind=Kind.PERIODIC_UPDATE)
    assert periodic.due_at == datetime(2025, 2, 28, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("cadence", [UpdateCadence.EACH_STEP, UpdateCadence.AT_END])
def test_no_weekly_or_monthly_updates_for_each_step_or_only_at_the_end(
    alice, acme, referrer, prospect, cadence
):
    referrer.update_cadence = cadence
    referrer.save()
    referral = ask(alice, acme, referrer, prospect)
    step(referral, Status.CONFIRMED, days_ago=5)

    assert not FollowUp.objects.filter(
        kind=Kind.PERIODIC_UPDATE, occasion__startswith=services.PERIODIC_PREFIX
    ).exists()


def test_weekly_updates_keep_the_reps_hour_across_daylight_saving(alice, acme, referrer, prospect):
    alice.time_zone = "America/New_York"
    alice.save()
    referrer.update_cadence = UpdateCadence.WEEKLY
    referrer.save()
    new_york = ZoneInfo("America/New_York")
    # Wednesday 5 March 2025, 9:00 EST; clocks spring forward on Sunday 9 March.
    asked_at = datetime(2025, 3, 5, 9, 0, tzinfo=new_york)
    referral = referral_services.referral_create(
        owner=alice, team=acme, referrer=referrer, prospect=prospect, asked_at=asked_at
    )

    due = FollowUp.objects.get(referral=referral, kind=Kind.PERIODIC_UPDATE).due_at
    assert due.astimezone(new_york) == datetime(2025, 3, 12, 9, 0, tzinfo=new_york)
    assert due - asked_at == timedelta(days=7) - timedelta(hours=1)  # a 167-hour week


def test_add_months_keeps_the_day_or_takes_the_months_last():
    moment = datetime(2024, 1, 31, 10, 0, tzinfo=UTC)
    assert services.add_months(moment, 1) == datetime(2024, 2, 29, 10, 0, tzinfo=UTC)
    assert services.add_months(moment, 11) == datetime(2024, 12, 31, 10, 0, tzinfo=UTC)
    assert services.add_months(moment, 13) == datetime(2025, 2, 28, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("final", [Status.WON, Status.LOST, Status.DECLINED])
def test_closing_a_referral_skips_its_pending_periodic_update(
    alice, acme, referrer, prospect, final
):
    referrer.update_cadence = UpdateCadence.WEEKLY
    referrer.save()
    referral = ask(alice, acme, referrer, prospect, days_ago=20)
    path = {
        Status.WON: [Status.CONFIRMED, Status.CONTACTED, Status.MEETING, Status.WON],
        Status.LOST: [Status.CONFIRMED, Status.LOST],
        Status.DECLINED: [Status.DECLINED],
    }[final]
    for index, to in enumerate(path):
        referral = step(referral, to, days_ago=10 - index)

    periodic = FollowUp.objects.filter(referral=referral, kind=Kind.PERIODIC_UPDATE)
    assert periodic.count() == 1
    skipped = periodic.get()
    assert skipped.status == FollowUp.Status.SKIPPED
    assert skipped.skip_reason == services.SKIPPED_REFERRAL_CLOSED
    assert skipped.done_at == getattr(referral, STEP_TIME_FIELD[final])
    # Other pending follow-ups stay: the rep still owes the thanks.
    assert FollowUp.objects.get(referral=referral, kind=Kind.THANK_REFERRER).status == "pending"
    # Replaying the closing event does not resurrect anything.
    services.followups_for_event(referral=referral, event=final)
    assert not periodic.filter(status=FollowUp.Status.PENDING).exists()


def test_a_referrer_who_stops_wanting_updates_gets_the_pending_one_skipped(
    alice, acme, referrer, prospect
):
    referrer.update_cadence = UpdateCadence.WEEKLY
    referrer.save()
    referral = ask(alice, acme, referrer, prospect)
    referrer.update_cadence = UpdateCadence.AT_END
    referrer.save()

    step(referral, Status.CONFIRMED, days_ago=5)

    periodic = FollowUp.objects.get(kind=Kind.PERIODIC_UPDATE)
    assert periodic.status == FollowUp.Status.SKIPPED
    assert periodic.skip_reason == services.SKIPPED_CADENCE_CHANGED


def test_scheduling_catches_up_a_referrer_who_now_wants_weekly_updates(
    alice, acme, referrer, prospect
):
    referral = ask(alice, acme, referrer, prospect)
    closed = ask(alice, acme, referrer, ContactFactory(team=acme, owner=alice))
    step(closed, Status.DECLINED, days_ago=1)
    assert not FollowUp.objects.filter(kind=Kind.PERIODIC_UPDATE).exists()
    referrer.update_cadence = UpdateCadence.WEEKLY
    referrer.save()

    assert services.periodic_updates_schedule() == {"scheduled": 1, "stopped": 0}
    # Run twice: nothing new.
    assert services.periodic_updates_schedule() == {"scheduled": 0, "stopped": 0}

    periodic = FollowUp.objects.get(kind=Kind.PERIODIC_UPDATE)
    assert (periodic.referral, periodic.occasion) == (referral, "periodic:1")


def test_scheduling_stops_the_updates_of_a_referrer_who_no_longer_wants_them(
    alice, acme, referrer, prospect
):
    referrer.update_cadence = UpdateCadence.MONTHLY
    referrer.save()
    referral = ask(alice, acme, referrer, prospect)
    referrer.update_cadence = UpdateCadence.AT_END
    referrer.save()

    assert services.periodic_updates_schedule() == {"scheduled": 0, "stopped": 1}
    assert services.periodic_updates_schedule() == {"scheduled": 0, "stopped": 0}

    periodic = FollowUp.objects.get(referral=referral, kind=Kind.PERIODIC_UPDATE)
    assert (periodic.status, periodic.skip_reason) == (
        FollowUp.Status.SKIPPED,
        services.SKIPPED_CADENCE_CHANGED,
    )


def test_beat_runs_the_catch_up_every_hour_through_its_task(alice, acme, referrer, prospect):
    from config.schedule import PERIODIC_TASKS
    from followups import tasks

    entry = next(e for e in PERIODIC_TASKS if e.task == tasks.periodic_updates_schedule.name)
    assert entry.crontab == {"minute": "35"}
    ask(alice, acme, referrer, prospect)
    referrer.update_cadence = UpdateCadence.WEEKLY
    referrer.save()

    # The task's own code, called in this process and transaction (the broker and the
    # worker's connection handling are not under test here).
    assert tasks.periodic_updates_schedule() == {"scheduled": 1, "stopped": 0}
    assert tasks.periodic_updates_schedule() == {"scheduled": 0, "stopped": 0}


# --- Completing and skipping ---------------------------------------------------------------


@pytest.fixture
def followup(alice, acme, referrer, prospect):
    referral = ask(alice, acme, referrer, prospect)
    return FollowUp.objects.get(referral=referral)


def test_completing_records_channel_note_and_both_timelines(alice, followup, referrer):
    done = services.followup_complete(
        followup=followup, actor=alice, channel=Channel.PHONE, note="  She was delighted. "
    )

    done.refresh_from_db()
    assert done.status == FollowUp.Status.DONE
    assert (done.channel, done.note) == (Channel.PHONE, "She was delighted.")
    assert done.done_at is not None
    activity = Activity.objects.get(verb="followup_done")
    assert (activity.referral, activity.contact, activity.actor) == (
        followup.referral,
        referrer,
        alice,
    )
    assert activity.description == ("Thank the referrer — done by phone: She was delighted.")
    # On the referrer's timeline and on the referral's.
    assert referrer.activities.filter(verb="followup_done").count() == 1
    assert followup.referral.activities.filter(verb="followup_done").count() == 1


def test_thanking_the_prospect_lands_on_the_prospects_timeline(alice, acme, referrer, prospect):
    referral = ask(alice, acme, referrer, prospect)
    step(referral, Status.CONFIRMED, days_ago=8)
    step(referral, Status.CONTACTED, days_ago=6)
    thanks = FollowUp.objects.get(kind=Kind.THANK_PROSPECT)

    services.followup_complete(followup=thanks, actor=alice, channel=Channel.EMAIL)

    assert prospect.activities.filter(verb="followup_done").count() == 1


def test_a_follow_up_cannot_be_completed_twice(alice, followup):
    services.followup_complete(followup=followup, actor=alice, channel=Channel.EMAIL)

    with pytest.raises(services.FollowUpStateError) as refused:
        services.followup_complete(followup=followup, actor=alice, channel=Channel.PHONE)

    assert "already done" in refused.value.messages[0]
    followup.refresh_from_db()
    assert followup.channel == Channel.EMAIL
    assert Activity.objects.filter(verb="followup_done").count() == 1


def test_a_skipped_follow_up_cannot_be_completed_or_skipped_again(alice, followup):
    services.followup_skip(followup=followup, actor=alice, reason="Thanked her at lunch")

    with pytest.raises(services.FollowUpStateError, match="already skipped"):
        services.followup_complete(followup=followup, actor=alice, channel=Channel.EMAIL)
    with pytest.raises(services.FollowUpStateError, match="Thanked her at lunch"):
        services.followup_skip(followup=followup, actor=alice, reason="again")

    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.SKIPPED
    assert followup.skip_reason == "Thanked her at lunch"
    assert Activity.objects.get(verb="followup_skipped").description == (
        "Thank the referrer — skipped: Thanked her at lunch"
    )


@pytest.mark.parametrize("reason", ["", "   "])
def test_skipping_needs_a_reason(alice, followup, reason):
    with pytest.raises(ValidationError) as refused:
        services.followup_skip(followup=followup, actor=alice, reason=reason)

    assert refused.value.message_dict == {"reason": [services.SKIP_NEEDS_REASON]}
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.PENDING


def test_completing_checks_the_channel_and_the_gift(alice, followup):
    with pytest.raises(ValidationError) as refused:
        services.followup_complete(followup=followup, actor=alice, channel="pigeon")
    assert refused.value.message_dict == {"channel": [services.UNKNOWN_CHANNEL]}

    with pytest.raises(ValidationError) as refused:
        services.followup_complete(
            followup=followup, actor=alice, channel=Channel.EMAIL, gift_note="Wine"
        )
    assert refused.value.message_dict == {"gift_note": [services.GIFT_ONLY_ON_CLOSING]}
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.PENDING


def test_the_closing_thanks_may_carry_a_gift(alice, acme, referrer):
    closing = FollowUpFactory(
        referral=ReferralFactory(referrer=referrer, status=Status.WON),
        kind=Kind.CLOSING_THANKS,
    )
    with pytest.raises(ValidationError) as refused:
        services.followup_complete(
            followup=closing, actor=alice, channel=Channel.LETTER, gift_cost=Decimal("-1")
        )
    assert refused.value.message_dict == {"gift_cost": [services.NEGATIVE_GIFT_COST]}

    services.followup_complete(
        followup=closing,
        actor=alice,
        channel=Channel.LETTER,
        gift_note="A book on sailing",
        gift_cost=Decimal("34.50"),
    )
    closing.refresh_from_db()
    assert (closing.gift_note, closing.gift_cost) == ("A book on sailing", Decimal("34.50"))


# --- Sending by email -------------------------------------------------------------------------


@pytest.fixture
def published(monkeypatch):
    """Email ids handed to the broker (the broker is not under test here)."""
    ids = []
    monkeypatch.setattr(
        outbox_tasks.outgoing_email_send,
        "apply_async",
        lambda args, kwargs=None, **options: ids.append(args[0]),
    )
    return ids


def test_sending_by_email_logs_one_email_and_completes_after_commit(
    alice, followup, referrer, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        email = services.followup_email_send(
            followup=followup, actor=alice, subject="Thank you", body="Hi Carla,\n\nThanks!"
        )

    assert OutgoingEmail.objects.count() == 1
    assert (email.to, email.purpose, email.followup, email.status) == (
        referrer.email,
        "followup",
        followup,
        OutgoingEmail.Status.QUEUED,
    )
    # The rep's words as written; the referral is still asked, so the referrer's one-click
    # answers follow them (referrals.links, tests/test_referrer_links.py).
    assert email.subject == "Thank you"
    assert email.body.startswith("Hi Carla,\n\nThanks!\n\n---\n")
    assert "I've introduced you: http://" in email.body
    assert published == [email.pk]
    followup.refresh_from_db()
    assert (followup.status, followup.channel) == (FollowUp.Status.DONE, Channel.EMAIL)
    assert followup.note == "Sent by email: Thank you"


def test_sending_twice_is_refused_and_sends_nothing_more(
    alice, followup, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.followup_email_send(followup=followup, actor=alice, subject="S", body="B")
        with pytest.raises(services.FollowUpStateError):
            services.followup_email_send(followup=followup, actor=alice, subject="S", body="B")

    assert OutgoingEmail.objects.count() == 1
    assert len(published) == 1


def test_no_email_to_someone_without_an_address(alice, followup, referrer, published):
    referrer.email = ""
    referrer.save()

    with pytest.raises(ValidationError) as refused:
        services.followup_email_send(followup=followup, actor=alice, subject="S", body="B")

    assert refused.value.messages == [services.NO_EMAIL_ADDRESS.format(recipient=referrer)]
    assert not OutgoingEmail.objects.exists()
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.PENDING


def test_an_empty_message_is_not_sent(alice, followup, published):
    with pytest.raises(ValidationError, match="subject and a message"):
        services.followup_email_send(followup=followup, actor=alice, subject=" ", body="B")
    assert not OutgoingEmail.objects.exists()


# --- The demo and the load-test data ---------------------------------------------------------


def _check_rules_hold(referrals) -> None:
    """What the services would have created, for referrals written by the seed."""
    for referral in referrals:
        made = kinds(referral)
        assert (Kind.THANK_REFERRER, "asked") in made
        if referral.contacted_at:
            assert {(Kind.STATUS_REPORT, "contacted"), (Kind.THANK_PROSPECT, "contacted")} <= made
        if referral.won_at:
            assert (Kind.CLOSING_THANKS, "won") in made
        if referral.lost_at:
            assert (Kind.STATUS_REPORT, "lost") in made
        cadence = referral.referrer.update_cadence
        if cadence == UpdateCadence.EACH_STEP:
            for event in ("confirmed", "meeting"):
                if getattr(referral, f"{event}_at"):
                    assert (Kind.PERIODIC_UPDATE, event) in made
        series = FollowUp.objects.filter(
            referral=referral,
            kind=Kind.PERIODIC_UPDATE,
            occasion__startswith=services.PERIODIC_PREFIX,
            status=FollowUp.Status.PENDING,
        )
        if referral.status in FINAL_STATUSES:
            assert not series.exists()
        elif cadence in services.PERIODIC_CADENCES:
            assert series.count() == 1


def test_the_demo_gets_its_follow_ups_through_the_services_and_replays_add_none(db):
    call_command("seed", "--size", "small", verbosity=0)
    referrals = list(Referral.objects.select_related("referrer", "owner"))
    count = FollowUp.objects.count()
    assert count >= len(referrals)
    _check_rules_hold(referrals)

    for referral in referrals:
        for event in services.EVENTS:
            services.followups_for_event(referral=referral, event=event)

    assert FollowUp.objects.count() == count


def test_bulk_data_follows_the_same_rules(db):
    call_command("seed", "--size", "medium", "--scale", "0.01", "--seed", "3", verbosity=0)
    referrals = list(Referral.objects.select_related("referrer", "owner"))
    followups = FollowUp.objects.all()
    statuses = set(followups.values_list("status", flat=True))

    assert followups.count() > 2 * len(referrals)
    assert statuses == {"pending", "done", "skipped"}
    assert followups.filter(status="done", done_at__gt=timezone.now()).count() == 0
    assert set(followups.values_list("kind", flat=True)) == set(Kind.values)
    _check_rules_hold(referrals)
    # Each follow-up belongs to its referral's rep and team.
    assert not followups.exclude(owner=F("referral__owner")).exists()
    assert not followups.exclude(team=F("referral__team")).exists()

    # Replaying the events over bulk data creates nothing either.
    count = followups.count()
    for referral in referrals[:200]:
        for event in services.EVENTS:
            services.followups_for_event(referral=referral, event=event)
    assert FollowUp.objects.count() == count


def test_a_follow_up_can_be_marked_done_at_a_past_moment_but_not_in_the_future(alice, acme):
    referral = ReferralFactory(referrer=ClientFactory(team=acme, owner=alice))
    services.followups_for_event(referral=referral, event="asked")
    thanks = FollowUp.objects.get(referral=referral, kind="thank_referrer")
    yesterday = timezone.now() - timedelta(days=1)

    with pytest.raises(ValidationError) as refused:
        services.followup_complete(
            followup=thanks, actor=alice, channel="phone", at=timezone.now() + timedelta(hours=2)
        )
    assert refused.value.message_dict["done_at"] == [services.DONE_IN_FUTURE]

    done = services.followup_complete(followup=thanks, actor=alice, channel="phone", at=yesterday)
    assert done.done_at == yesterday
    assert referral.activities.get(verb="followup_done").occurred_at == yesterday
