"""The referral workflow's rules, proved at the service layer (DESIGN.md "Rules").

The state machine (asked → confirmed | declined; confirmed → contacted | lost; contacted →
meeting | lost; meeting → won | lost; won, lost and declined final) is tried exhaustively,
status × target; then the dating of steps, values, the deal a referral opens and closes,
the roster entry that follows it, the row lock that stops two transitions racing, and the
rules of recording an ask, a deal and a referral we give.
"""

import threading
import zoneinfo
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts.models import Activity
from referrals import services
from referrals.events import ASKED, referral_event
from referrals.models import STEP_TIME_FIELD, Deal, Referral, ReferralGiven, RosterEntry
from referrals.services import (
    ASKED_IN_FUTURE,
    CLOSED_BEFORE_OPENED,
    CLOSED_WITHOUT_DATE,
    GIVEN_NEEDS_SOMEONE,
    IMPOSSIBLE_TRANSITION,
    NEGATIVE_VALUE,
    NO_GREEN_LIGHT,
    OPEN_WITH_DATE,
    OUTSIDE_TEAM,
    REFERRER_IS_PROSPECT,
    ROSTER_ENTRY_MISMATCH,
    ROSTER_ENTRY_OF_SOMEONE_ELSE,
    TRANSITION_BEFORE_PREVIOUS,
    TRANSITION_IN_FUTURE,
    TRANSITIONS,
    UNKNOWN_STATUS,
    TransitionError,
    deal_create,
    referral_create,
    referral_given_record,
    referral_transition,
    referrer_warning,
)
from tests.factories import (
    ClientFactory,
    ContactFactory,
    ReadinessCheckFactory,
    ReferralFactory,
    RosterEntryFactory,
)

# Calendar-sensitive: .ci/run also runs these at hostile moments (tests/clock.py).
pytestmark = pytest.mark.dates

Status = Referral.Status

# The machine of DESIGN.md, written out again by hand rather than imported, so that a
# change to the service's table has to be a change to this test too.
ALLOWED = {
    (Status.ASKED, Status.CONFIRMED),
    (Status.ASKED, Status.DECLINED),
    (Status.CONFIRMED, Status.CONTACTED),
    (Status.CONFIRMED, Status.LOST),
    (Status.CONTACTED, Status.MEETING),
    (Status.CONTACTED, Status.LOST),
    (Status.MEETING, Status.WON),
    (Status.MEETING, Status.LOST),
}
# One way to reach each status from asked.
PATH_TO = {
    Status.ASKED: [],
    Status.CONFIRMED: [Status.CONFIRMED],
    Status.CONTACTED: [Status.CONFIRMED, Status.CONTACTED],
    Status.MEETING: [Status.CONFIRMED, Status.CONTACTED, Status.MEETING],
    Status.WON: [Status.CONFIRMED, Status.CONTACTED, Status.MEETING, Status.WON],
    Status.LOST: [Status.CONFIRMED, Status.LOST],
    Status.DECLINED: [Status.DECLINED],
}
TIME_COLUMNS = ["confirmed_at", "contacted_at", "meeting_at", "won_at", "lost_at", "declined_at"]
ALL_PAIRS = [(current, target) for current in Status.values for target in Status.values]


def test_the_services_machine_is_the_one_of_the_design():
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED
    assert set(TRANSITIONS) == set(Status.values)


# --- Arranging ----------------------------------------------------------------------------


@pytest.fixture
def referral(acme, alice):
    """Alice asked her client Cora, a week ago, to introduce her to Pete."""
    cora = ClientFactory(team=acme, owner=alice, first_name="Cora", last_name="Client")
    pete = ContactFactory(team=acme, owner=alice, first_name="Pete", last_name="Prospect")
    return ReferralFactory(referrer=cora, prospect=pete)


def walk(referral: Referral, path, *, step=timedelta(hours=1)) -> Referral:
    """Move the referral along `path`, one step an hour after the previous one."""
    at = referral.asked_at
    for to in path:
        at += step
        referral = referral_transition(referral=referral, to=to, at=at)
    return referral


def snapshot(referral: Referral) -> dict:
    """Everything a transition may touch, to prove that a refused one touched nothing."""
    return {
        "referral": Referral.objects.filter(pk=referral.pk).values().get(),
        "activities": list(Activity.objects.filter(referral=referral).values()),
        "deals": list(Deal.objects.filter(referral=referral).values()),
        "roster": list(RosterEntry.objects.values("pk", "status", "updated_at")),
    }


def impossible(current: str, target: str) -> str:
    return IMPOSSIBLE_TRANSITION.format(
        current=Status(current).label.lower(), to=Status(target).label.lower()
    )


# --- The machine, pair by pair -----------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_an_allowed_transition_moves_the_referral_and_stamps_its_step(
    referral, alice, current, target
):
    referral = walk(referral, PATH_TO[current])
    before = Referral.objects.filter(pk=referral.pk).values().get()
    at = before["asked_at"] + timedelta(days=1)

    moved = referral_transition(referral=referral, to=target, at=at, actor=alice)

    stored = Referral.objects.filter(pk=referral.pk).values().get()
    assert moved.status == stored["status"] == target
    assert stored[STEP_TIME_FIELD[target]] == at
    for column in TIME_COLUMNS:  # the earlier steps' times are kept, none other is set
        if column != STEP_TIME_FIELD[target]:
            assert stored[column] == before[column]
    activity = Activity.objects.filter(referral=referral).latest("id")
    assert (activity.verb, activity.occurred_at, activity.actor) == (target, at, alice)
    assert activity.contact == referral.prospect


@pytest.mark.parametrize(("current", "target"), [pair for pair in ALL_PAIRS if pair not in ALLOWED])
def test_a_refused_transition_says_why_and_changes_nothing(referral, current, target):
    referral = walk(referral, PATH_TO[current])
    before = snapshot(referral)

    with pytest.raises(TransitionError) as refused:
        referral_transition(referral=referral, to=target)

    assert refused.value.messages == [impossible(current, target)]
    assert snapshot(referral) == before


def test_final_statuses_allow_nothing():
    for final in (Status.WON, Status.LOST, Status.DECLINED):
        assert TRANSITIONS[final] == frozenset()
        assert services.allowed_transitions(Referral(status=final)) == []


def test_allowed_transitions_lists_the_next_steps_in_pipeline_order(referral):
    assert services.allowed_transitions(referral) == [Status.CONFIRMED, Status.DECLINED]
    referral = walk(referral, PATH_TO[Status.CONTACTED])
    assert services.allowed_transitions(referral) == [Status.MEETING, Status.LOST]


@pytest.mark.parametrize("target", ["archived", "", "WON", None])
def test_an_unknown_target_is_refused(referral, target):
    before = snapshot(referral)
    with pytest.raises(TransitionError) as refused:
        referral_transition(referral=referral, to=target)
    assert refused.value.messages == [UNKNOWN_STATUS.format(to=target)]
    assert snapshot(referral) == before


def test_a_transition_works_on_the_stored_state_not_a_stale_object(referral):
    stale = Referral.objects.get(pk=referral.pk)
    referral_transition(referral=referral, to=Status.DECLINED)
    with pytest.raises(TransitionError) as refused:
        referral_transition(referral=stale, to=Status.CONFIRMED)
    assert refused.value.messages == [impossible(Status.DECLINED, Status.CONFIRMED)]


# --- Dating the steps ---------------------------------------------------------------------


def test_a_step_is_dated_now_by_default(referral):
    before = timezone.now()
    moved = referral_transition(referral=referral, to=Status.CONFIRMED)
    after = timezone.now()
    assert before <= moved.confirmed_at <= after
    moved.refresh_from_db()
    assert before <= moved.confirmed_at <= after


def test_a_past_time_is_kept(referral):
    three_days_ago = timezone.now().replace(microsecond=0) - timedelta(days=3)
    referral_transition(referral=referral, to=Status.CONFIRMED, at=three_days_ago)
    referral.refresh_from_db()
    assert referral.confirmed_at == three_days_ago


def test_a_step_in_the_future_is_refused(referral):
    before = snapshot(referral)
    with pytest.raises(TransitionError) as refused:
        referral_transition(
            referral=referral, to=Status.CONFIRMED, at=timezone.now() + timedelta(hours=1)
        )
    assert refused.value.messages == [TRANSITION_IN_FUTURE]
    assert snapshot(referral) == before


def test_a_few_seconds_ahead_is_clock_skew_not_the_future(referral):
    # Browsers' and API clients' clocks drift; a minute of slack is allowed.
    moved = referral_transition(
        referral=referral, to=Status.CONFIRMED, at=timezone.now() + timedelta(seconds=20)
    )
    assert moved.status == Status.CONFIRMED


def test_a_step_before_the_previous_one_is_refused(referral):
    referral = walk(referral, [Status.CONFIRMED])
    before = snapshot(referral)
    too_early = referral.confirmed_at - timedelta(minutes=1)

    with pytest.raises(TransitionError) as refused:
        referral_transition(referral=referral, to=Status.CONTACTED, at=too_early)

    previous = timezone.localtime(referral.confirmed_at).strftime("%Y-%m-%d %H:%M")
    assert refused.value.messages == [TRANSITION_BEFORE_PREVIOUS.format(previous=previous)]
    assert snapshot(referral) == before


def test_the_first_step_cannot_be_dated_before_the_ask(referral):
    with pytest.raises(TransitionError) as refused:
        referral_transition(
            referral=referral, to=Status.DECLINED, at=referral.asked_at - timedelta(hours=1)
        )
    previous = timezone.localtime(referral.asked_at).strftime("%Y-%m-%d %H:%M")
    assert refused.value.messages == [TRANSITION_BEFORE_PREVIOUS.format(previous=previous)]


def test_a_step_may_share_the_time_of_the_previous_one(referral):
    # Confirmed and contacted in the same three-way email: one moment, two steps.
    referral = walk(referral, [Status.CONFIRMED])
    moved = referral_transition(referral=referral, to=Status.CONTACTED, at=referral.confirmed_at)
    assert moved.contacted_at == moved.confirmed_at


def test_reaching_confirmed_is_still_known_after_a_loss(referral):
    referral = walk(referral, [Status.CONFIRMED, Status.CONTACTED, Status.LOST])
    referral.refresh_from_db()
    assert referral.status == Status.LOST
    assert referral.asked_at < referral.confirmed_at < referral.contacted_at < referral.lost_at
    assert referral.meeting_at is None
    assert referral.won_at is None


# --- Value --------------------------------------------------------------------------------


def test_won_with_a_value_stores_it(referral):
    referral = walk(referral, PATH_TO[Status.MEETING])
    referral_transition(referral=referral, to=Status.WON, value=Decimal("48000.00"))
    referral.refresh_from_db()
    assert (referral.status, referral.value) == (Status.WON, Decimal("48000.00"))


def test_won_without_a_value_keeps_the_one_estimated_earlier(referral):
    Referral.objects.filter(pk=referral.pk).update(value=Decimal("30000"))
    referral = walk(referral, PATH_TO[Status.WON])
    referral.refresh_from_db()
    assert referral.value == Decimal("30000")


def test_a_negative_value_is_refused_and_nothing_moves(referral):
    referral = walk(referral, PATH_TO[Status.MEETING])
    before = snapshot(referral)
    with pytest.raises(ValidationError) as refused:
        referral_transition(referral=referral, to=Status.WON, value=Decimal("-1"))
    assert refused.value.message_dict == {"value": [NEGATIVE_VALUE]}
    assert snapshot(referral) == before


def test_a_zero_value_is_a_value(referral):
    referral = walk(referral, PATH_TO[Status.MEETING])
    moved = referral_transition(referral=referral, to=Status.WON, value=Decimal("0"))
    assert moved.value == Decimal("0")


# --- The deal a referral opens and closes -------------------------------------------------


def test_reaching_a_meeting_opens_one_referral_deal(referral, acme, alice):
    referral = walk(referral, PATH_TO[Status.CONTACTED])
    meeting_at = referral.contacted_at + timedelta(hours=2)
    Referral.objects.filter(pk=referral.pk).update(value=Decimal("25000"))

    referral_transition(referral=referral, to=Status.MEETING, at=meeting_at)

    deal = Deal.objects.get(referral=referral)
    assert Deal.objects.count() == 1
    assert deal.source == Deal.Source.REFERRAL
    assert deal.outcome == Deal.Outcome.OPEN
    assert (deal.team, deal.owner, deal.contact) == (acme, alice, referral.prospect)
    assert deal.value == Decimal("25000")
    assert deal.opened_on == meeting_at.date()  # alice's zone is UTC
    assert deal.closed_on is None


@pytest.mark.parametrize("outcome", [Status.WON, Status.LOST])
def test_won_or_lost_after_a_meeting_closes_the_deal_with_the_same_date_and_value(
    referral, outcome
):
    referral = walk(referral, PATH_TO[Status.MEETING])
    closed_at = referral.meeting_at + timedelta(days=2)

    referral_transition(referral=referral, to=outcome, at=closed_at, value=Decimal("9999.50"))

    deal = Deal.objects.get(referral=referral)
    assert Deal.objects.count() == 1
    assert deal.outcome == outcome  # Deal.Outcome uses the same words
    assert deal.closed_on == closed_at.date()
    assert deal.value == Decimal("9999.50")


@pytest.mark.parametrize("path", [PATH_TO[Status.LOST], PATH_TO[Status.DECLINED]])
def test_a_referral_that_never_reached_a_meeting_opens_no_deal(referral, path):
    walk(referral, path)
    assert not Deal.objects.exists()


def test_lost_after_contact_opens_no_deal(referral):
    walk(referral, [Status.CONFIRMED, Status.CONTACTED, Status.LOST])
    assert not Deal.objects.exists()


def test_deal_dates_are_the_owners_calendar_days_whoever_moves_the_referral(referral, alice):
    """A referral's deal is dated on its owner's calendar: a meeting at 03:00 UTC is the
    evening before for a rep in Los Angeles, whether she records it herself, her manager
    does from Tokyo, or the API (no zone) does."""
    alice.time_zone = "America/Los_Angeles"
    alice.save(update_fields=["time_zone"])
    los_angeles = zoneinfo.ZoneInfo("America/Los_Angeles")
    two_days_ago = (timezone.now() - timedelta(days=2)).date()
    meeting_at = datetime.combine(two_days_ago, datetime.min.time(), tzinfo=UTC).replace(hour=3)
    won_at = meeting_at + timedelta(days=1)
    referral = walk(referral, PATH_TO[Status.CONTACTED], step=timedelta(minutes=10))
    assert referral.contacted_at < meeting_at

    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
        referral_transition(referral=referral, to=Status.MEETING, at=meeting_at)
    referral_transition(referral=referral, to=Status.WON, at=won_at)

    deal = Deal.objects.get(referral=referral)
    assert deal.opened_on == meeting_at.astimezone(los_angeles).date()
    assert deal.opened_on == two_days_ago - timedelta(days=1)
    assert deal.closed_on == won_at.astimezone(los_angeles).date()


# --- The roster entry follows its referral ------------------------------------------------


@pytest.fixture
def rostered(acme, alice):
    """Pete is on Alice's roster; she asks Cora for the introduction."""
    pete = ContactFactory(team=acme, owner=alice, first_name="Pete")
    entry = RosterEntryFactory(prospect=pete, owner=alice, team=acme)
    cora = ClientFactory(team=acme, owner=alice, first_name="Cora")
    referral = referral_create(
        owner=alice,
        team=acme,
        referrer=cora,
        prospect=pete,
        asked_at=timezone.now() - timedelta(days=7),
    )
    return referral, entry


@pytest.mark.parametrize(
    ("status", "roster_status"),
    [
        (Status.ASKED, RosterEntry.Status.ASKED),
        (Status.CONFIRMED, RosterEntry.Status.INTRODUCED),
        (Status.CONTACTED, RosterEntry.Status.INTRODUCED),
        (Status.MEETING, RosterEntry.Status.MEETING),
        (Status.WON, RosterEntry.Status.WON),
        (Status.LOST, RosterEntry.Status.LOST),
        (Status.DECLINED, RosterEntry.Status.WANTED),  # back to looking for a path
    ],
)
def test_the_roster_entry_follows_its_referral(rostered, status, roster_status):
    referral, entry = rostered
    assert referral.roster_entry == entry
    walk(referral, PATH_TO[status])
    entry.refresh_from_db()
    assert entry.status == roster_status


def test_a_second_ask_does_not_undo_the_progress_of_the_first(rostered, acme, alice):
    """Alice asks two connectors for the same introduction. One declining does not send
    Pete back to "looking for a path" while the other ask is open, and a new ask does not
    send a prospect already met back to "asked"."""
    first, entry = rostered
    other = ClientFactory(team=acme, owner=alice)
    second = referral_create(
        owner=alice,
        team=acme,
        referrer=other,
        prospect=first.prospect,
        asked_at=timezone.now() - timedelta(days=1),
    )
    assert second.roster_entry == entry

    referral_transition(referral=first, to=Status.DECLINED)
    entry.refresh_from_db()
    assert entry.status == RosterEntry.Status.ASKED

    walk(second, PATH_TO[Status.MEETING])
    third = referral_create(
        owner=alice,
        team=acme,
        referrer=ClientFactory(team=acme, owner=alice),
        prospect=first.prospect,
    )
    entry.refresh_from_db()
    assert entry.status == RosterEntry.Status.MEETING

    referral_transition(referral=third, to=Status.DECLINED)
    referral_transition(referral=second, to=Status.LOST)
    entry.refresh_from_db()
    assert entry.status == RosterEntry.Status.LOST


def test_a_referral_without_roster_entry_moves_alone(referral):
    assert referral.roster_entry is None
    walk(referral, PATH_TO[Status.WON])
    assert not RosterEntry.objects.exists()


# --- Every transition leaves a line on the timeline ---------------------------------------


def test_every_transition_writes_one_activity_on_the_referral(referral, alice):
    path = PATH_TO[Status.WON]
    walk(referral, path)
    verbs = list(
        Activity.objects.filter(referral=referral)
        .order_by("occurred_at")
        .values_list("verb", flat=True)
    )
    assert verbs == path  # the factory's ask wrote none: it bypassed the service


# --- Every event is announced to the layers above (referrals.events) ------------------------


@pytest.fixture
def announced():
    """The (event, at, status in the database) of each referral_event sent during the test,
    read inside the write's transaction, as a receiver sees it."""
    events = []

    def record(*, referral, event, at, **kwargs):
        stored = Referral.objects.filter(pk=referral.pk).values_list("status", flat=True).get()
        events.append((event, at, stored))

    referral_event.connect(record, dispatch_uid="test_announced")
    yield events
    referral_event.disconnect(dispatch_uid="test_announced")


def test_each_event_is_announced_once_after_the_write_with_its_time(
    announced, acme, alice, cora, pete
):
    asked_at = timezone.now() - timedelta(days=1)
    referral = referral_create(
        owner=alice, team=acme, referrer=cora, prospect=pete, asked_at=asked_at
    )
    walk(referral, PATH_TO[Status.WON])

    expected = [(ASKED, asked_at, Status.ASKED)]
    for number, status in enumerate(PATH_TO[Status.WON], start=1):
        expected.append((status, asked_at + timedelta(hours=number), status))
    assert announced == expected


def test_a_refused_step_announces_nothing(announced, referral):
    with pytest.raises(TransitionError):
        referral_transition(referral=referral, to=Status.WON)
    assert announced == []


# --- Two transitions racing on PostgreSQL -------------------------------------------------


@pytest.mark.services
def test_two_racing_transitions_cannot_both_pass(transactional_db, monkeypatch, acme, alice):
    """Two clicks at once, "won" and "lost", on one referral: the row lock makes the second
    wait for the first and then see a final status. Each thread has its own connection."""
    referral = walk(
        ReferralFactory(referrer=ClientFactory(team=acme, owner=alice)), PATH_TO[Status.MEETING]
    )
    # Widen the window between reading the status and writing the new one, so that without
    # the lock both threads would read "meeting" and both pass.
    original = services.previous_step_time

    def slow_previous_step_time(locked):
        threading.Event().wait(0.3)
        return original(locked)

    monkeypatch.setattr(services, "previous_step_time", slow_previous_step_time)
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def attempt(to):
        try:
            start.wait()
            outcomes[to] = referral_transition(referral=referral, to=to).status
        except TransitionError as error:
            outcomes[to] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(to,)) for to in (Status.WON, Status.LOST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    passed = [to for to, outcome in outcomes.items() if outcome == to]
    refused = [outcome for outcome in outcomes.values() if isinstance(outcome, TransitionError)]
    assert len(passed) == 1, outcomes
    assert len(refused) == 1, outcomes
    winner = passed[0]
    loser = Status.LOST if winner == Status.WON else Status.WON
    assert refused[0].messages == [impossible(winner, loser)]
    referral.refresh_from_db()
    assert referral.status == winner
    assert getattr(referral, STEP_TIME_FIELD[loser]) is None
    assert (
        Activity.objects.filter(referral=referral, verb__in=[Status.WON, Status.LOST]).count() == 1
    )
    assert Deal.objects.get(referral=referral).outcome == winner


# --- Recording an ask ---------------------------------------------------------------------


@pytest.fixture
def cora(acme, alice):
    return ClientFactory(team=acme, owner=alice, first_name="Cora")


@pytest.fixture
def pete(acme, alice):
    return ContactFactory(team=acme, owner=alice, first_name="Pete")


def nothing_written():
    return not Referral.objects.exists() and not Activity.objects.exists()


def test_an_ask_is_recorded_with_its_activity(acme, alice, cora, pete):
    asked_at = timezone.now() - timedelta(hours=3)
    referral = referral_create(
        owner=alice, team=acme, referrer=cora, prospect=pete, asked_at=asked_at, reason="Growth"
    )
    referral.refresh_from_db()
    assert (referral.status, referral.asked_at, referral.owner) == (Status.ASKED, asked_at, alice)
    assert all(getattr(referral, column) is None for column in TIME_COLUMNS)
    activity = Activity.objects.get(referral=referral)
    assert (activity.verb, activity.occurred_at, activity.contact) == ("asked", asked_at, cora)


def test_an_ask_is_dated_now_by_default(acme, alice, cora, pete):
    before = timezone.now()
    referral = referral_create(owner=alice, team=acme, referrer=cora, prospect=pete)
    assert before <= referral.asked_at <= timezone.now()


def test_the_referrer_cannot_be_the_prospect(acme, alice, cora):
    with pytest.raises(ValidationError) as refused:
        referral_create(owner=alice, team=acme, referrer=cora, prospect=cora)
    assert refused.value.message_dict == {"prospect": [REFERRER_IS_PROSPECT]}
    assert nothing_written()


@pytest.mark.parametrize("outsider", ["referrer", "prospect"])
def test_everyone_on_an_ask_belongs_to_the_reps_team(acme, globex, alice, cora, pete, outsider):
    stranger = ContactFactory(team=globex)
    people = {"referrer": cora, "prospect": pete, outsider: stranger}
    with pytest.raises(ValidationError) as refused:
        referral_create(owner=alice, team=acme, **people)
    assert refused.value.messages == [OUTSIDE_TEAM]
    assert nothing_written()


def test_an_ask_cannot_be_dated_in_the_future(acme, alice, cora, pete):
    with pytest.raises(ValidationError) as refused:
        referral_create(
            owner=alice,
            team=acme,
            referrer=cora,
            prospect=pete,
            asked_at=timezone.now() + timedelta(hours=2),
        )
    assert refused.value.message_dict == {"asked_at": [ASKED_IN_FUTURE]}
    assert nothing_written()


def test_a_roster_entry_for_another_prospect_is_refused(acme, alice, cora, pete):
    someone_else = RosterEntryFactory(prospect=ContactFactory(team=acme, owner=alice))
    with pytest.raises(ValidationError) as refused:
        referral_create(
            owner=alice, team=acme, referrer=cora, prospect=pete, roster_entry=someone_else
        )
    assert refused.value.message_dict == {"roster_entry": [ROSTER_ENTRY_MISMATCH]}
    assert nothing_written()
    someone_else.refresh_from_db()
    assert someone_else.status == RosterEntry.Status.WANTED


@pytest.mark.parametrize("asker", ["bob", "maya"])
def test_a_roster_entry_on_someone_elses_roster_is_refused(request, acme, alice, cora, pete, asker):
    """Bob, or their manager, asking with Alice's entry would move Alice's roster through an
    ask that is not hers (and that she cannot see)."""
    alices = RosterEntryFactory(prospect=pete, owner=alice, team=acme)
    with pytest.raises(ValidationError) as refused:
        referral_create(
            owner=request.getfixturevalue(asker),
            team=acme,
            referrer=cora,
            prospect=pete,
            roster_entry=alices,
        )
    assert refused.value.message_dict == {"roster_entry": [ROSTER_ENTRY_OF_SOMEONE_ELSE]}
    assert nothing_written()
    alices.refresh_from_db()
    assert alices.status == RosterEntry.Status.WANTED


def test_the_roster_entry_is_found_when_the_prospect_is_on_the_owners_roster(
    acme, alice, bob, cora, pete
):
    RosterEntryFactory(prospect=pete, owner=bob, team=acme)  # bob's roster does not count
    entry = RosterEntryFactory(prospect=pete, owner=alice, team=acme)
    referral = referral_create(owner=alice, team=acme, referrer=cora, prospect=pete)
    assert referral.roster_entry == entry
    entry.refresh_from_db()
    assert entry.status == RosterEntry.Status.ASKED


def test_no_roster_entry_when_the_prospect_is_only_on_a_teammates_roster(
    acme, alice, bob, cora, pete
):
    theirs = RosterEntryFactory(prospect=pete, owner=bob, team=acme)
    referral = referral_create(owner=alice, team=acme, referrer=cora, prospect=pete)
    assert referral.roster_entry is None
    theirs.refresh_from_db()
    assert theirs.status == RosterEntry.Status.WANTED


# --- The green-light warning --------------------------------------------------------------


def test_no_readiness_check_means_a_warning(cora):
    assert referrer_warning(referrer=cora) == NO_GREEN_LIGHT.format(client=cora)


def test_a_latest_check_without_green_light_means_a_warning(cora):
    today = timezone.localdate()
    ReadinessCheckFactory(client=cora, checked_on=today - timedelta(days=30), green_light=True)
    ReadinessCheckFactory(client=cora, checked_on=today, green_light=False)
    assert referrer_warning(referrer=cora) == NO_GREEN_LIGHT.format(client=cora)


def test_a_latest_check_with_green_light_means_no_warning(cora):
    today = timezone.localdate()
    ReadinessCheckFactory(client=cora, checked_on=today - timedelta(days=30), green_light=False)
    ReadinessCheckFactory(client=cora, checked_on=today, green_light=True)
    assert referrer_warning(referrer=cora) is None


def test_latest_means_by_date_then_by_entry_order(cora):
    today = timezone.localdate()
    # Recorded later but about an older conversation: the date decides.
    ReadinessCheckFactory(client=cora, checked_on=today, green_light=True)
    ReadinessCheckFactory(client=cora, checked_on=today - timedelta(days=1), green_light=False)
    assert referrer_warning(referrer=cora) is None
    # Two the same day: the one recorded last decides.
    ReadinessCheckFactory(client=cora, checked_on=today, green_light=False)
    assert referrer_warning(referrer=cora) == NO_GREEN_LIGHT.format(client=cora)


def test_another_clients_green_light_does_not_count(acme, alice, cora):
    ReadinessCheckFactory(client=ClientFactory(team=acme, owner=alice), green_light=True)
    assert referrer_warning(referrer=cora) == NO_GREEN_LIGHT.format(client=cora)


def test_the_warning_never_blocks_an_ask(acme, alice, cora, pete):
    ReadinessCheckFactory(client=cora, green_light=False)
    assert referrer_warning(referrer=cora) is not None
    referral = referral_create(owner=alice, team=acme, referrer=cora, prospect=pete)
    assert referral.pk is not None


# --- Deals of any source ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"outcome": Deal.Outcome.OPEN, "closed_on": "today"},
            {"closed_on": [OPEN_WITH_DATE]},
        ),
        ({"outcome": Deal.Outcome.WON}, {"closed_on": [CLOSED_WITHOUT_DATE]}),
        ({"outcome": Deal.Outcome.LOST}, {"closed_on": [CLOSED_WITHOUT_DATE]}),
        (
            {"outcome": Deal.Outcome.WON, "closed_on": "yesterday", "opened_on": "today"},
            {"closed_on": [CLOSED_BEFORE_OPENED]},
        ),
        ({"value": Decimal("-0.01")}, {"value": [NEGATIVE_VALUE]}),
    ],
)
def test_deal_create_refuses_inconsistent_deals(acme, alice, pete, fields, errors):
    days = {"today": timezone.localdate(), "yesterday": timezone.localdate() - timedelta(days=1)}
    fields = {name: days.get(value, value) for name, value in fields.items()}
    fields = {"source": Deal.Source.COLD, "opened_on": days["yesterday"], **fields}
    with pytest.raises(ValidationError) as refused:
        deal_create(owner=alice, contact=pete, **fields)
    assert refused.value.message_dict == errors
    assert not Deal.objects.exists()
    assert not Activity.objects.exists()


def test_deal_create_records_a_consistent_deal(acme, alice, pete):
    today = timezone.localdate()
    deal = deal_create(
        owner=alice,
        contact=pete,
        source=Deal.Source.INBOUND,
        value=Decimal("1200"),
        outcome=Deal.Outcome.WON,
        opened_on=today - timedelta(days=10),
        closed_on=today,
    )
    assert (deal.team, deal.owner, deal.outcome) == (acme, alice, Deal.Outcome.WON)
    assert Activity.objects.get(contact=pete).verb == "deal"


def test_a_deal_may_close_the_day_it_opened(alice, pete):
    today = timezone.localdate()
    deal = deal_create(
        owner=alice,
        contact=pete,
        source=Deal.Source.EVENT,
        outcome=Deal.Outcome.LOST,
        opened_on=today,
        closed_on=today,
    )
    assert deal.closed_on == deal.opened_on


# --- Referrals we give --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   "])
def test_a_referral_given_needs_a_contact_or_a_name(alice, cora, name):
    with pytest.raises(ValidationError) as refused:
        referral_given_record(
            owner=alice, client=cora, given_on=timezone.localdate(), introduced_name=name
        )
    assert refused.value.message_dict == {"introduced_name": [GIVEN_NEEDS_SOMEONE]}
    assert not ReferralGiven.objects.exists()
    assert not Activity.objects.exists()


def test_a_referral_given_by_name(alice, cora):
    given = referral_given_record(
        owner=alice, client=cora, given_on=timezone.localdate(), introduced_name="  Ada Byron "
    )
    assert (given.introduced, given.introduced_name) == (None, "Ada Byron")
    assert Activity.objects.get(contact=cora).verb == "gave_referral"


def test_a_referral_given_to_a_contact(alice, cora, pete):
    given = referral_given_record(
        owner=alice, client=cora, given_on=timezone.localdate(), introduced=pete
    )
    assert given.introduced == pete


def test_a_referral_given_to_a_contact_of_another_team_is_refused(globex, alice, cora):
    with pytest.raises(ValidationError) as refused:
        referral_given_record(
            owner=alice,
            client=cora,
            given_on=timezone.localdate(),
            introduced=ContactFactory(team=globex),
        )
    assert refused.value.message_dict == {"introduced": [OUTSIDE_TEAM]}
    assert not ReferralGiven.objects.exists()


# --- Properties of the machine ------------------------------------------------------------

REACHED_BEFORE = {  # the steps that must have been reached for a status to be reached
    Status.ASKED: set(),
    Status.CONFIRMED: set(),
    Status.CONTACTED: {Status.CONFIRMED},
    Status.MEETING: {Status.CONFIRMED, Status.CONTACTED},
    Status.WON: {Status.CONFIRMED, Status.CONTACTED, Status.MEETING},
    Status.LOST: {Status.CONFIRMED},
    Status.DECLINED: set(),
}
# In pipeline order: each may only be dated no earlier than the ones before it.
ORDERED_COLUMNS = ["asked_at", "confirmed_at", "contacted_at", "meeting_at"]

ANY_TARGET = st.sampled_from([*Status.values, "bogus"])
# Hours after the previous step: None = now; mostly a little later, sometimes before it
# (refused) or far on (the future, refused).
STEP_HOURS = st.one_of(
    st.none(), st.integers(min_value=0, max_value=12), st.integers(min_value=-6, max_value=60)
)
VALUES = st.one_of(
    st.none(), st.none(), st.sampled_from([Decimal("-5"), Decimal("0"), Decimal("700")])
)


FORWARD = {  # the next step of the happy path
    Status.ASKED: Status.CONFIRMED,
    Status.CONFIRMED: Status.CONTACTED,
    Status.CONTACTED: Status.MEETING,
    Status.MEETING: Status.WON,
}


def next_target(status: str):
    """Mostly the next step of the happy path, else a step the machine allows, else any
    target at all: so deep paths (won, then one more attempt) are tried often, not only by
    the luck of several right draws in a row."""
    if status not in FORWARD:
        return ANY_TARGET
    legal = st.sampled_from(sorted(target for current, target in ALLOWED if current == status))
    forward = st.just(FORWARD[status])
    return st.one_of(forward, forward, legal, ANY_TARGET)


@settings(
    max_examples=50,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_sequence_of_attempts_keeps_the_referral_consistent(acme, alice, data):
    # The db fixture's transaction spans every example; each runs in a savepoint that is
    # rolled back, so every example starts from a fresh referral and an empty table.
    with transaction.atomic():
        referral = ReferralFactory(referrer=ClientFactory(team=acme, owner=alice))
        asked_at = referral.asked_at
        # The model: where the referral should be, the steps taken, the last step's time.
        expected_status, visited, last_time = Status.ASKED, [Status.ASKED], asked_at
        for _ in range(data.draw(st.integers(min_value=0, max_value=12), label="attempts")):
            to = data.draw(next_target(expected_status), label="to")
            hours = data.draw(STEP_HOURS, label="hours after the previous step")
            value = data.draw(VALUES, label="value")
            at = None if hours is None else last_time + timedelta(hours=hours)
            should_pass = (
                (expected_status, to) in ALLOWED
                and (at is None or last_time <= at <= timezone.now())
                and (value is None or value >= 0)
            )
            try:
                referral_transition(referral=referral, to=to, at=at, value=value)
                passed = True
            except ValidationError:
                passed = False
            assert passed == should_pass, (to, at, value, expected_status)
            stored = Referral.objects.get(pk=referral.pk)
            if passed:
                expected_status = to
                visited.append(to)
                last_time = getattr(stored, STEP_TIME_FIELD[to])
                assert at is None or last_time == at
            assert stored.status == expected_status
            # A step's time is set exactly when the step was reached, and only then.
            stamped = {
                status for status, column in STEP_TIME_FIELD.items() if getattr(stored, column)
            }
            assert stamped == set(visited)
            assert REACHED_BEFORE[stored.status] <= stamped
            # Times follow the pipeline.
            times = [getattr(stored, column) for column in ORDERED_COLUMNS]
            times = [moment for moment in times if moment is not None]
            final = stored.won_at or stored.lost_at or stored.declined_at
            if final:
                times.append(final)
            assert times == sorted(times)
            assert (
                sum(1 for moment in (stored.won_at, stored.lost_at, stored.declined_at) if moment)
                <= 1
            )
            # The deal exists exactly from the meeting on.
            assert Deal.objects.filter(referral=referral).exists() == bool(stored.meeting_at)
            # One line on the timeline per step taken.
            assert Activity.objects.filter(referral=referral).count() == len(visited) - 1
        transaction.set_rollback(True)
