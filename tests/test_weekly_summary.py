"""The weekly summary to managers (reporting/weekly_summary.py): last week's numbers by
the KPI definitions, once per manager, team and week — run twice, it sends nothing new
(STYLE.md). Nothing here reaches a broker."""

from datetime import UTC, datetime, timedelta

import pytest

from config.schedule import PERIODIC_TASKS
from outbox.models import OutgoingEmail
from referrals.models import Referral, WeeklyGoal
from reporting import tasks, weekly_summary
from tests.factories import ClientFactory, FollowUpFactory, ReferralFactory

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
