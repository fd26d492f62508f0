"""The weekly summary to managers (reporting/weekly_summary.py): last week's numbers by
the KPI definitions, once per manager, team and week — run twice, it sends nothing new
(STYLE.md). Nothing here reaches a broker."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from config.schedule import PERIODIC_TASKS
from outbox.models import OutgoingEmail
from referrals.connectors import connectors_for
from referrals.models import Referral, RosterEntry, WeeklyGoal
from reporting import tasks, weekly_summary
from tests.factories import (
    ClientFactory,
    ContactFactory,
    FollowUpFactory,
    MembershipFactory,
    ReferralFactory,
    RelationshipFactory,
    RosterEntryFactory,
)

MONDAY_7 = datetime(2026, 11, 30, 7, 5, tzinfo=UTC)  # last week: 23–29 November
# The clock reads MONDAY_7 in every test here, so records made "now" by a factory default
# fall where the test means them to, whatever the day the suite runs (tests/clock.py).
pytestmark = [pytest.mark.django_db, pytest.mark.dates, pytest.mark.now(MONDAY_7.isoformat())]


def test_managers_get_last_weeks_numbers_against_the_goal_once(acme, alice, bob, maya):
    in_week = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    before = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    alice_client = ClientFactory(team=acme, owner=alice)
    ReferralFactory(referrer=alice_client, asked_at=in_week)
    ReferralFactory(referrer=alice_client, asked_at=in_week, confirmed_at=in_week)
    ReferralFactory(
        referrer=alice_client,
        asked_at=before,
        confirmed_at=before,
        won_at=in_week,
        status=Referral.Status.WON,
    )
    ReferralFactory(referrer=ClientFactory(team=acme, owner=bob), asked_at=before)
    FollowUpFactory(
        referral=ReferralFactory(referrer=ClientFactory(team=acme, owner=bob), asked_at=before),
        due_at=MONDAY_7 - timedelta(days=1),
    )  # overdue now
    WeeklyGoal.objects.create(team=acme, week_start=in_week.date() - timedelta(days=2), asks=5)
    charlie_team_referral = ReferralFactory(asked_at=in_week)  # another team

    assert weekly_summary.weekly_summaries_send(now=MONDAY_7) == 1
    assert weekly_summary.weekly_summaries_send(now=MONDAY_7 + timedelta(hours=1)) == 0

    email = OutgoingEmail.objects.get()
    assert email.to == maya.email
    assert email.dedupe_key == f"weekly:{maya.pk}:{acme.pk}:2026-11-23"
    assert email.subject == "Acme: referral week of 23 November — 2 asks, 1 intro, 1 win"
    lines = email.body.splitlines()
    team_line = next(line for line in lines if line.strip().startswith("Team"))
    assert team_line.split()[1:] == ["2", "1", "1", "1"]
    goal_line = next(line for line in lines if line.strip().startswith("Goal"))
    assert goal_line.split()[1:] == ["5", "0", "0"]
    alice_line = next(line for line in lines if line.strip().startswith("Alice"))
    assert alice_line.split()[-4:] == ["2", "1", "1", "0"]
    assert charlie_team_referral.team_id != acme.pk


def test_no_weekly_summary_on_other_days_or_for_reps(acme, alice, maya):
    assert weekly_summary.weekly_summaries_send(now=MONDAY_7 + timedelta(days=1)) == 0
    assert weekly_summary.weekly_summaries_send(now=MONDAY_7 - timedelta(hours=2)) == 0
    assert weekly_summary.weekly_summaries_send(now=MONDAY_7) == 1
    assert OutgoingEmail.objects.get().to == maya.email


def test_without_a_goal_the_summary_says_so(acme, maya):
    weekly_summary.weekly_summaries_send(now=MONDAY_7)

    assert "No weekly goal was set" in OutgoingEmail.objects.get().body


def test_beat_sends_the_task_by_its_stable_name():
    entry = next(e for e in PERIODIC_TASKS if e.name == "Weekly summary to managers")

    assert entry.task == tasks.weekly_summaries_send.name
    assert entry.task == "reporting.tasks.weekly_summaries_send"


# --- Warm paths waiting: the team's best asks not yet made (issue 17, invariant 5) ----------


def _waiting(rep, *, name: str, via: list | None = None, strengths=None):
    """A prospect on the rep's roster, waiting for an ask, reached through `via` (a chain of
    contacts ending next to the prospect), the ties of the given strengths."""
    first, last = name.split(" ", 1)
    team = rep.memberships.get().team
    entry = RosterEntryFactory(
        prospect=ContactFactory(team=team, owner=rep, first_name=first, last_name=last)
    )
    chain = [*(via or []), entry.prospect]
    ties = list(itertools.pairwise(chain))
    for (one, other), strength in zip(ties, strengths or [5] * len(ties), strict=True):
        RelationshipFactory(between=(one, other), strength=strength)
    return entry


def _section(body: str) -> list[str]:
    lines = body.splitlines()
    if "Warm paths waiting:" not in lines:
        return []
    start = lines.index("Warm paths waiting:") + 1
    return [line for line in lines[start:] if line.startswith("  - ")]


def test_warm_paths_waiting_show_each_reps_first_ask_as_the_connectors_page(acme, alice, bob, maya):
    carla = ClientFactory(team=acme, owner=alice, first_name="Carla", last_name="Client")
    wendy = _waiting(alice, name="Wendy Warm", via=[carla], strengths=[5])
    _waiting(alice, name="Colin Cold")  # no path: not a warm path
    ben = ClientFactory(team=acme, owner=bob, first_name="Ben", last_name="Client")
    # Xavier, whom Bob's client Ben knows very well, is nobody's in particular on the team:
    # asking Ben to introduce him beats asking Xavier cold (docs/ranking.md).
    xavier = ContactFactory(team=acme, first_name="Xavier", last_name="Middle", kind="other")
    paula = _waiting(bob, name="Paula Far", via=[ben, xavier], strengths=[5, 5])
    asked = _waiting(alice, name="Anna Asked", via=[carla], strengths=[5])
    RosterEntry.objects.filter(pk=asked.pk).update(status=RosterEntry.Status.ASKED)

    weekly_summary.weekly_summaries_send(now=MONDAY_7)

    body = OutgoingEmail.objects.get().body
    lines = _section(body)
    # Each line is that rep's best path as the connectors page ranks it for them: the
    # one favour asked of Alice's client before the chain of two.
    expected = []
    for entry in (wendy, paula):
        best = connectors_for(target=entry.prospect, user=entry.owner, max_hops=2)[0]
        expected.append((entry, best))
    assert expected[0][1].score > expected[1][1].score
    assert len(lines) == 2
    wendy_best, paula_best = expected[0][1], expected[1][1]
    assert lines[0] == (
        f"  - {alice}: ask {wendy_best.first_ask.full_name} to introduce Wendy Warm"
        f" ({wendy_best.reason})"
    )
    assert wendy_best.first_ask.pk == carla.pk
    assert lines[1] == (
        f"  - {bob}: ask {paula_best.first_ask.full_name} to introduce"
        f" {paula_best.introduces.full_name}, on the way to Paula Far ({paula_best.reason})"
    )
    assert (paula_best.first_ask.pk, paula_best.introduces.pk) == (ben.pk, xavier.pk)
    link = f"/contacts/{wendy.prospect_id}/connectors/?max_hops=2"
    assert any(
        line.strip().startswith("http") and line.endswith(link) for line in body.splitlines()
    )
    assert "Colin Cold" not in body and "Anna Asked" not in body
    assert "\n\n\n" not in body


def test_no_warm_paths_section_without_a_path(acme, alice, maya):
    _waiting(alice, name="Colin Cold")

    weekly_summary.weekly_summaries_send(now=MONDAY_7)

    body = OutgoingEmail.objects.get().body
    assert "Warm paths waiting" not in body
    assert "Colin Cold" not in body
    assert "\n\n\n" not in body  # no hole where the section would be


def test_warm_paths_are_the_reps_of_the_managers_team_only(acme, globex, alice, maya, charlie):
    carla = ClientFactory(team=acme, owner=alice, first_name="Carla", last_name="Client")
    _waiting(alice, name="Wendy Warm", via=[carla])
    gus = ClientFactory(team=globex, owner=charlie, first_name="Gus", last_name="Globex")
    _waiting(charlie, name="Olga Other", via=[gus])
    # The manager's own roster is theirs to work: the section is about the reps'.
    mia = ClientFactory(team=acme, owner=maya, first_name="Mia", last_name="Client")
    _waiting(maya, name="Manny Managers", via=[mia])

    weekly_summary.weekly_summaries_send(now=MONDAY_7)

    body = OutgoingEmail.objects.get(to=maya.email).body
    assert len(_section(body)) == 1
    assert "Wendy Warm" in body and "Olga Other" not in body and "Gus" not in body
    assert "Manny" not in body


def test_warm_paths_are_plain_text(acme, alice, maya):
    odd = ClientFactory(team=acme, owner=alice, first_name="Seán", last_name="O'Brien <&> Co")
    _waiting(alice, name="Zoë D'Arcy & <Sons>", via=[odd])

    weekly_summary.weekly_summaries_send(now=MONDAY_7)

    line = _section(OutgoingEmail.objects.get().body)[0]
    assert "ask Seán O'Brien <&> Co to introduce Zoë D'Arcy & <Sons> (" in line
    assert "&amp;" not in line and "&lt;" not in line and "&#x27;" not in line


@pytest.mark.parametrize("size", [2, 7])
def test_weekly_summary_query_count(acme, maya, django_assert_max_num_queries, size):
    for number in range(size):
        rep = MembershipFactory(team=acme).user
        client = ClientFactory(team=acme, owner=rep)
        for other in range(3):
            _waiting(rep, name=f"Prospect {number}-{other}", via=[client], strengths=[1 + other])
        _waiting(rep, name=f"Cold {number}")
    MembershipFactory(team=acme)  # a rep with nothing waiting costs nothing

    # 1. managers, 2. emails already sent, 3.-12. the week's KPIs (reporting/kpis.py
    # team_table, at most ten), 13. the manager's memberships (visibility), 14. the members
    # whose roster entries wait; then three per such rep (roster_next_asks: their waiting
    # entries, their memberships, one search for all their prospects: the ranking reads
    # the rep's own ties, so it runs from each rep's side); last, the email (outbox):
    # its dedupe key, savepoint, insert, release.
    with django_assert_max_num_queries(18 + 3 * size):
        assert weekly_summary.weekly_summaries_send(now=MONDAY_7) == 1

    lines = _section(OutgoingEmail.objects.get().body)
    assert len(lines) == weekly_summary.WEEKLY_WARM_PATHS
    # Best first across the team: each rep's strongest tie (the prospect "-2") comes
    # before anyone's weaker one.
    strongest = min(size, weekly_summary.WEEKLY_WARM_PATHS)
    assert all(" to introduce Prospect " in line for line in lines)
    assert all("-2 (" in line for line in lines[:strongest])
    assert not any("-2 (" in line for line in lines[strongest:])
