"""Every KPI of DESIGN.md ("KPI definitions") on a hand-built data set, the expected
answers worked out by hand in each test. Period: Monday 2 to Sunday 8 March 2026, UTC.

The data set (acme: alice and bob reps, maya manager; globex: charlie):
  alice  R1 asked 3 Mar, best,   confirmed 4, meeting 5, won 6 (1000)   referrer Rita
         R2 asked 3 Mar, good,   confirmed 5, lost 7                    referrer Rita
         R3 asked 8 Mar 23:59:59, better, still asked
         R4 asked 20 Feb, better, confirmed 21 Feb, meeting 25 Feb, won 4 Mar (500)
         R5 asked 9 Mar 00:00:00 (just after the period)
  bob    B1 asked 2 Mar 00:00:00, good, confirmed 2 Mar, meeting 7 Mar
  charlie (globex) C1 asked 3 Mar, best, confirmed, meeting, won 6 Mar (9999)
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from referrals.models import Deal, Referral, ReferralGiven, WeeklyGoal
from reporting import kpis
from reporting.kpis import Period, Scope
from reporting.weekly_summary import team_week_numbers
from tests.factories import (
    ClientFactory,
    ContactFactory,
    DealFactory,
    FollowUpFactory,
    ReferralFactory,
    ReferralGivenFactory,
)

# Calendar-sensitive: .ci/run also runs these at hostile moments (tests/clock.py).
pytestmark = pytest.mark.dates

UTC = ZoneInfo("UTC")
PERIOD = Period(date(2026, 3, 2), date(2026, 3, 8), UTC)
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def at(day, hour=10, minute=0, second=0, zone=UTC):
    return datetime(2026, 3, day, hour, minute, second, tzinfo=zone)


def feb(day):
    return datetime(2026, 2, day, 10, 0, tzinfo=UTC)


def referral(referrer, **fields):
    status = fields.pop("status", Referral.Status.ASKED)
    return ReferralFactory(referrer=referrer, status=status, **fields)


def deal(owner, team, source, outcome, closed_on, value):
    return DealFactory(
        contact=ContactFactory(team=team, owner=owner),
        source=source,
        outcome=outcome,
        opened_on=date(2026, 2, 1),
        closed_on=closed_on,
        value=Decimal(value),
    )


@pytest.fixture
def data(acme, globex, alice, bob, maya, charlie):
    rita = ClientFactory(team=acme, owner=alice, first_name="Rita", last_name="Referrer")
    r1 = referral(
        rita, quality="best", asked_at=at(3), confirmed_at=at(4), meeting_at=at(5),
        won_at=at(6), status="won", value=Decimal("1000"),
    )  # fmt: skip
    r2 = referral(
        rita, quality="good", asked_at=at(3), confirmed_at=at(5), lost_at=at(7), status="lost"
    )
    r3 = referral(
        ClientFactory(team=acme, owner=alice), quality="better", asked_at=at(8, 23, 59, 59)
    )
    r4 = referral(
        ClientFactory(team=acme, owner=alice), quality="better", asked_at=feb(20),
        confirmed_at=feb(21), meeting_at=feb(25), won_at=at(4), status="won",
        value=Decimal("500"),
    )  # fmt: skip
    referral(ClientFactory(team=acme, owner=alice), asked_at=at(9, 0))
    b1 = referral(
        ClientFactory(team=acme, owner=bob), quality="good", asked_at=at(2, 0),
        confirmed_at=at(2, 1), meeting_at=at(7), status="meeting",
    )  # fmt: skip
    c1 = referral(
        ClientFactory(team=globex, owner=charlie), quality="best", asked_at=at(3),
        confirmed_at=at(4), meeting_at=at(5), won_at=at(6), status="won", value=Decimal("9999"),
    )  # fmt: skip

    # Thank-the-referrer follow-ups of the cohort: on time to the second, one second late,
    # pending and past due; one of an ask before the period; bob's not yet due.
    FollowUpFactory(referral=r1, due_at=at(4), status="done", done_at=at(4))
    FollowUpFactory(referral=r2, due_at=at(4), status="done", done_at=at(4, 10, 0, 1))
    FollowUpFactory(referral=r3, due_at=at(9, 23, 59, 59))
    FollowUpFactory(referral=r4, due_at=feb(21), status="done", done_at=feb(21))
    FollowUpFactory(referral=b1, due_at=at(11))
    # Overdue whatever the period: a status report due before it; a skipped one is not.
    FollowUpFactory(referral=r4, kind="status_report", due_at=at(1))
    FollowUpFactory(
        referral=r4, kind="status_report", due_at=at(1), status="skipped", done_at=at(1)
    )
    FollowUpFactory(referral=c1, due_at=at(5))

    ReferralGivenFactory(client=rita, given_on=date(2026, 3, 2))
    ReferralGivenFactory(client=ClientFactory(team=acme, owner=alice), given_on=date(2026, 3, 8))
    ReferralGivenFactory(client=ClientFactory(team=acme, owner=alice), given_on=date(2026, 3, 9))
    ReferralGivenFactory(
        client=ClientFactory(team=globex, owner=charlie), given_on=date(2026, 3, 3)
    )

    S = Deal.Source
    O = Deal.Outcome  # noqa: E741
    deal(alice, acme, S.REFERRAL, O.WON, date(2026, 3, 6), "1000")
    deal(alice, acme, S.REFERRAL, O.LOST, date(2026, 3, 7), "7000")
    deal(alice, acme, S.COLD, O.WON, date(2026, 3, 2), "3000")
    deal(bob, acme, S.INBOUND, O.WON, date(2026, 3, 8), "1000")
    deal(alice, acme, S.EVENT, O.LOST, date(2026, 3, 3), "2000")
    deal(alice, acme, S.COLD, O.LOST, date(2026, 3, 4), "2000")
    deal(alice, acme, S.COLD, O.WON, date(2026, 3, 9), "50000")  # after the period
    DealFactory(contact=ContactFactory(team=acme, owner=alice), source=S.REFERRAL)  # open
    deal(charlie, globex, S.REFERRAL, O.WON, date(2026, 3, 6), "9999")

    week = date(2026, 3, 2)
    goal = {"asks": 9, "intros": 6, "meetings": 4, "referrals_given": 2, "wins": 3}
    WeeklyGoal.objects.create(team=acme, week_start=week, **goal)
    WeeklyGoal.objects.create(
        team=acme, rep=alice, week_start=week, asks=5, intros=3, meetings=2, referrals_given=1,
        wins=1,
    )  # fmt: skip
    WeeklyGoal.objects.create(team=acme, week_start=date(2026, 3, 9), asks=100)
    WeeklyGoal.objects.create(team=globex, week_start=week, asks=50)
    return {"acme": acme, "globex": globex, "alice": alice, "bob": bob, "rita": rita}


def acme_scope(data, rep=None):
    return Scope(team_ids=(data["acme"].pk,), rep_id=rep.pk if rep else None)


def test_the_team_numbers(data):
    numbers = kpis.kpis(acme_scope(data), PERIOD, now=NOW)

    assert numbers["asks"] == 4  # R1, R2, R3, B1 (not R4: before; not R5: after)
    assert numbers["intros"] == 3  # R1, R2, B1
    assert numbers["intros_by_quality"] == {"good": 2, "better": 0, "best": 1}
    assert numbers["meetings"] == 2  # R1, B1
    assert numbers["wins"] == 2  # R1, and R4 asked before the period, won in it
    assert numbers["won_value"] == "1500.00"
    assert numbers["referrals_given"] == 2  # 2 and 8 March, not 9 March
    # Cohort R1 R2 R3 B1: confirmed R1 R2 B1 (R2 lost: confirmed_at kept), meeting R1 B1, won R1.
    assert numbers["conversion"] == {
        "ask_to_intro": 0.75,
        "intro_to_meeting": round(2 / 3, 4),
        "meeting_to_win": 0.5,
    }
    # R1 on time, R2 one second late, R3 pending past due; B1 not yet due; R4 not cohort.
    assert numbers["followup_on_time_rate"] == round(1 / 3, 4)
    assert numbers["overdue_followups"] == 2  # R3's thank-you and R4's status report
    # Referral: 1 won of 2 closed, mean 1000; other: 2 won (3000, 1000) of 4 closed.
    assert numbers["win_rate"] == {"referral": 0.5, "other": 0.5}
    assert numbers["avg_deal"] == {"referral": "1000.00", "other": "2000.00"}
    assert numbers["goals"] == {
        "asks": 9,
        "intros": 6,
        "meetings": 4,
        "referrals_given": 2,
        "wins": 3,
    }
    assert numbers["attainment"] == {
        "asks": round(4 / 9, 4),
        "intros": 0.5,
        "meetings": 0.5,
        "referrals_given": 1.0,
        "wins": round(2 / 3, 4),
    }
    assert set(kpis.CONTRACT_KEYS) <= set(numbers)


def test_a_reps_numbers_with_their_own_goal(data):
    numbers = kpis.kpis(acme_scope(data, data["alice"]), PERIOD, now=NOW)

    assert (numbers["asks"], numbers["intros"], numbers["meetings"], numbers["wins"]) == (
        3,
        2,
        1,
        2,
    )
    assert numbers["intros_by_quality"] == {"good": 1, "better": 0, "best": 1}
    assert numbers["won_value"] == "1500.00"
    assert numbers["conversion"] == {
        "ask_to_intro": round(2 / 3, 4),
        "intro_to_meeting": 0.5,
        "meeting_to_win": 1.0,
    }
    assert numbers["followup_on_time_rate"] == round(1 / 3, 4)
    assert numbers["overdue_followups"] == 2
    # Alice's deals: referral won 1000 + lost; other: cold won 3000, event lost, cold lost.
    assert numbers["win_rate"] == {"referral": 0.5, "other": round(1 / 3, 4)}
    assert numbers["avg_deal"] == {"referral": "1000.00", "other": "3000.00"}
    assert numbers["goals"] == {
        "asks": 5,
        "intros": 3,
        "meetings": 2,
        "referrals_given": 1,
        "wins": 1,
    }
    assert numbers["attainment"] == {
        "asks": 0.6,
        "intros": round(2 / 3, 4),
        "meetings": 0.5,
        "referrals_given": 2.0,
        "wins": 2.0,
    }


def test_a_rep_without_a_goal_gets_the_team_goal_shared_by_its_reps(data):
    numbers = kpis.kpis(acme_scope(data, data["bob"]), PERIOD, now=NOW)

    assert (numbers["asks"], numbers["intros"], numbers["meetings"], numbers["wins"]) == (
        1,
        1,
        1,
        0,
    )
    assert numbers["won_value"] == "0.00"
    assert numbers["conversion"] == {
        "ask_to_intro": 1.0,
        "intro_to_meeting": 1.0,
        "meeting_to_win": 0.0,
    }
    assert numbers["followup_on_time_rate"] is None  # his only thank-you is not yet due
    assert numbers["overdue_followups"] == 0
    assert numbers["win_rate"] == {"referral": None, "other": 1.0}
    assert numbers["avg_deal"] == {"referral": None, "other": "1000.00"}
    # Team goal 9/6/4/2/3 shared by acme's two reps (maya is a manager, not a rep).
    assert numbers["goals"] == {
        "asks": 4.5,
        "intros": 3,
        "meetings": 2,
        "referrals_given": 1,
        "wins": 1.5,
    }
    assert numbers["attainment"] == {
        "asks": round(1 / 4.5, 4),
        "intros": round(1 / 3, 4),
        "meetings": 0.5,
        "referrals_given": 0.0,
        "wins": 0.0,
    }


def test_an_empty_period_gives_zeros_and_nulls(data):
    numbers = kpis.kpis(acme_scope(data), Period(date(2025, 1, 6), date(2025, 1, 12), UTC), now=NOW)

    assert numbers["asks"] == numbers["intros"] == numbers["meetings"] == numbers["wins"] == 0
    assert numbers["won_value"] == "0.00"
    assert numbers["intros_by_quality"] == {"good": 0, "better": 0, "best": 0}
    assert numbers["conversion"] == {
        "ask_to_intro": None,
        "intro_to_meeting": None,
        "meeting_to_win": None,
    }
    assert numbers["followup_on_time_rate"] is None
    assert numbers["overdue_followups"] == 2  # as of now, whatever the period
    assert numbers["win_rate"] == {"referral": None, "other": None}
    assert numbers["avg_deal"] == {"referral": None, "other": None}
    assert numbers["goals"] == dict.fromkeys(kpis.GOAL_KEYS)
    assert numbers["attainment"] == dict.fromkeys(kpis.GOAL_KEYS)


def test_conversion_looks_at_the_cohorts_status_now(data, acme, alice):
    # Asked inside the period, confirmed the day after it: an ask of the period, not an
    # intro of it, but its cohort has reached "confirmed" by now.
    referral(
        ClientFactory(team=acme, owner=alice), quality="best", asked_at=at(6),
        confirmed_at=at(9, 8), status="confirmed",
    )  # fmt: skip

    numbers = kpis.kpis(acme_scope(data), PERIOD, now=NOW)

    assert (numbers["asks"], numbers["intros"]) == (5, 3)
    assert numbers["intros_by_quality"] == {"good": 2, "better": 0, "best": 1}
    # Cohort R1 R2 R3 B1 + the new one: confirmed 4, meeting 2 (R1, B1), won 1 (R1).
    assert numbers["conversion"] == {
        "ask_to_intro": 0.8,
        "intro_to_meeting": 0.5,
        "meeting_to_win": 0.5,
    }


def test_goals_over_two_weeks_sum_per_week_own_goal_or_team_share(data):
    two_weeks = Period(date(2026, 3, 2), date(2026, 3, 15), UTC)

    totals, reps = kpis.team_table((data["acme"].pk,), two_weeks, now=NOW)

    # Team: week of 2 March 9/6/4/2/3, week of 9 March 100 asks (the rest 0); globex's
    # 50 is another team's.
    assert totals["goals"] == {
        "asks": 109, "intros": 6, "meetings": 4, "referrals_given": 2, "wins": 3,
    }  # fmt: skip
    assert totals["asks"] == 5  # R5 of 9 March joins
    assert totals["attainment"]["asks"] == round(5 / 109, 4)
    alice, bob = reps
    # Alice: her own goal the first week, half the team's the second.
    assert alice.goals == {
        "asks": 55, "intros": 3, "meetings": 2, "referrals_given": 1, "wins": 1,
    }  # fmt: skip
    # Bob: half the team's goal both weeks.
    assert bob.goals == {
        "asks": 54.5, "intros": 3, "meetings": 2, "referrals_given": 1, "wins": 1.5,
    }  # fmt: skip
    assert kpis.kpis(acme_scope(data, data["alice"]), two_weeks, now=NOW)["goals"] == alice.goals


def test_a_reps_share_of_the_team_goal_is_divided_by_its_reps_to_two_places():
    team_goal = WeeklyGoal(asks=10, intros=0, meetings=1, referrals_given=2, wins=5)

    assert kpis.goal_share(team_goal, reps=3) == {
        "asks": 3.33, "intros": 0, "meetings": 0.33, "referrals_given": 0.67, "wins": 1.67,
    }  # fmt: skip
    assert kpis.goal_share(team_goal, reps=2)["asks"] == 5
    assert kpis.goal_share(team_goal, reps=0) is None  # a team without reps shares nothing


def test_the_goals_page_and_the_kpis_share_the_team_goal_alike(data, alice_client):
    # Acme's team goal for the week of 9 March, shared by alice and bob: alice has no goal
    # of her own that week, so her KPIs and her goals page say the same.
    week_of_the_9th = Period(date(2026, 3, 9), date(2026, 3, 15), UTC)
    WeeklyGoal.objects.filter(team=data["acme"], week_start=date(2026, 3, 9)).update(asks=7)

    numbers = kpis.kpis(acme_scope(data, data["alice"]), week_of_the_9th, now=NOW)
    page = alice_client.get("/dashboard/goals/?week=2026-03-09")

    assert numbers["goals"]["asks"] == 3.5
    assert page.context["share"] == {key: numbers["goals"][key] for key in kpis.GOAL_KEYS}


def test_a_goal_of_zero_has_no_attainment(data):
    week_of_the_9th = Period(date(2026, 3, 9), date(2026, 3, 15), UTC)

    numbers = kpis.kpis(acme_scope(data), week_of_the_9th, now=NOW)

    assert numbers["goals"] == {
        "asks": 100, "intros": 0, "meetings": 0, "referrals_given": 0, "wins": 0,
    }  # fmt: skip
    assert numbers["asks"] == 1  # R5
    assert numbers["attainment"] == {
        "asks": 0.01, "intros": None, "meetings": None, "referrals_given": None, "wins": None,
    }  # fmt: skip


def test_on_time_counts_only_thank_yous_done_or_past_due(acme, alice):
    asked = ClientFactory(team=acme, owner=alice)
    cohort = [referral(asked, asked_at=at(3)) for _ in range(4)]
    FollowUpFactory(referral=cohort[0], due_at=at(4), status="done", done_at=at(4))
    FollowUpFactory(referral=cohort[1], due_at=at(4), status="skipped", done_at=at(4))
    FollowUpFactory(referral=cohort[2], due_at=at(4), status="done", done_at=at(5))
    FollowUpFactory(referral=cohort[3], due_at=NOW + timedelta(hours=1))  # not yet due
    # Another kind, done late: not a thank-the-referrer follow-up, not counted.
    FollowUpFactory(
        referral=cohort[0], kind="status_report", due_at=at(4), status="done", done_at=at(6)
    )

    numbers = kpis.kpis(Scope(team_ids=(acme.pk,)), PERIOD, now=NOW)

    assert numbers["followup_on_time_rate"] == 0.5  # on time 1 of 2: done ones only
    assert numbers["overdue_followups"] == 0


def test_two_teams_do_not_mix_and_admins_see_both(data):
    globex = kpis.kpis(Scope(team_ids=(data["globex"].pk,)), PERIOD, now=NOW)
    everything = kpis.kpis(Scope(), PERIOD, now=NOW)

    assert (globex["asks"], globex["wins"], globex["won_value"]) == (1, 1, "9999.00")
    assert globex["overdue_followups"] == 1
    assert globex["goals"]["asks"] == 50
    assert everything["asks"] == 5
    assert everything["won_value"] == "11499.00"
    assert everything["referrals_given"] == 3
    assert everything["win_rate"]["referral"] == round(2 / 3, 4)
    assert everything["goals"]["asks"] == 59  # both teams' goals for the week


def test_periods_are_whole_days_in_the_viewers_time_zone(data):
    new_york = ZoneInfo("America/New_York")
    # R5 asked 9 March 00:00 UTC = 8 March 20:00 in New York: inside the week there;
    # B1 asked 2 March 00:00 UTC = 1 March 19:00 in New York: outside.
    numbers = kpis.kpis(
        acme_scope(data), Period(date(2026, 3, 2), date(2026, 3, 8), new_york), now=NOW
    )

    assert numbers["asks"] == 4  # R1 R2 R3 R5


def test_team_table_rows_match_the_single_scope_numbers(data, django_assert_num_queries):
    # 1. the reps, 2. every count by owner (the rollups: referrals, given, thank-yous,
    # deals, follow-ups overdue), 3. the goals.
    with django_assert_num_queries(3):
        totals, reps = kpis.team_table((data["acme"].pk,), PERIOD, now=NOW)

    assert [row.user.username for row in reps] == ["alice", "bob"]
    assert totals["asks"] == 4 and totals["won_value"] == "1500.00"
    alice, bob = reps
    for row, rep in ((alice, data["alice"]), (bob, data["bob"])):
        single = kpis.kpis(acme_scope(data, rep), PERIOD, now=NOW)
        for key in ("asks", "intros", "intros_by_quality", "meetings", "wins", "won_value",
                    "referrals_given", "conversion", "followup_on_time_rate",
                    "overdue_followups"):  # fmt: skip
            assert row.numbers[key] == single[key], key
        assert row.goals == single["goals"]
    assert bob.goals["asks"] == 4.5
    assert totals["funnel"] == {"asked": 4, "confirmed": 3, "meeting": 2, "won": 1}
    best = next(q for q in totals["quality"] if q["quality"] == "best")
    assert (best["intros"], best["meeting"], best["won"], best["to_win"]) == (1, 1, 1, 1.0)


@pytest.mark.parametrize("who", [None, "alice", "bob"])
def test_the_weeks_goal_progress_is_the_kpis_goal_part(data, who, django_assert_max_num_queries):
    scope = acme_scope(data, data[who]) if who else acme_scope(data)
    full = kpis.kpis(scope, PERIOD, now=NOW)
    with django_assert_max_num_queries(4):
        progress = kpis.goal_progress(scope, PERIOD)
    assert {key: progress[key] for key in kpis.GOAL_KEYS} == {
        key: full[key] for key in kpis.GOAL_KEYS
    }
    assert progress["goals"] == full["goals"]
    assert progress["attainment"] == full["attainment"]


def test_kpis_query_count_is_fixed(data, django_assert_num_queries):
    # the counts (the rollups: referrals, given, thank-yous, deals, follow-ups overdue),
    # the goals
    with django_assert_num_queries(2):
        kpis.kpis(acme_scope(data), PERIOD, now=NOW)
    # … and the team's number of reps, for a rep's share of the team goal.
    with django_assert_num_queries(3):
        kpis.kpis(acme_scope(data, data["bob"]), PERIOD, now=NOW)


def test_weekly_trend(data, django_assert_num_queries):
    # asks by asked_at, intros by confirmed_at, wins by won_at: one read of the rollups
    with django_assert_num_queries(1):
        trend = kpis.weekly_trend(acme_scope(data), date(2026, 3, 8), UTC)

    assert len(trend) == 12
    assert trend[-1] == {"week_start": date(2026, 3, 2), "asks": 4, "intros": 3, "wins": 2}
    assert trend[-3] == {"week_start": date(2026, 2, 16), "asks": 1, "intros": 1, "wins": 0}
    assert trend[0]["week_start"] == date(2026, 3, 2) - timedelta(weeks=11)


def test_top_referrers_and_reciprocity(data, django_assert_num_queries):
    # 1. the referrers ranked by intros, 2. the people of that ranking and of the
    # ranking by what we gave them (a subquery), with names and counts.
    with django_assert_num_queries(2):
        result = kpis.referrers(acme_scope(data), PERIOD)

    rita = data["rita"]
    bobs_referrer = Referral.objects.get(owner=data["bob"]).referrer
    gave_on_the_8th = ReferralGiven.objects.get(given_on=date(2026, 3, 8)).client
    # Intros of the period: Rita's R1 (best) and R2, B1 by bob's referrer; R3 is no intro,
    # R4's was in February, charlie's is another team.
    assert result.top == [
        {
            "referrer_id": rita.pk,
            "name": "Rita Referrer",
            "received": 2,  # R1 and R2 asked of her in the period
            "intros": 2,
            "best": 1,
            "wins": 1,  # R1 (R4 was asked before the period)
            "given": 1,  # 2 March
        },
        {
            "referrer_id": bobs_referrer.pk,
            "name": bobs_referrer.full_name,
            "received": 1,
            "intros": 1,
            "best": 0,
            "wins": 0,
            "given": 0,
        },
    ]
    # Reciprocity: everyone who gave us an intro or got one from us in the period — the
    # client we gave to on 8 March sent us nothing; 9 March is after the period.
    by_client = {row["contact_id"]: row for row in result.reciprocity}
    assert set(by_client) == {rita.pk, bobs_referrer.pk, gave_on_the_8th.pk}
    assert result.reciprocity[0] == {
        "contact_id": rita.pk,
        "name": "Rita Referrer",
        "received": 2,
        "given": 1,
        "balance": -1,
    }
    assert (by_client[bobs_referrer.pk]["received"], by_client[bobs_referrer.pk]["given"]) == (
        1,
        0,
    )
    assert by_client[gave_on_the_8th.pk] == {
        "contact_id": gave_on_the_8th.pk,
        "name": gave_on_the_8th.full_name,
        "received": 0,
        "given": 1,
        "balance": 1,
    }


def test_referrers_of_an_empty_period(data, django_assert_num_queries):
    with django_assert_num_queries(2):
        result = kpis.referrers(acme_scope(data), Period(date(2025, 1, 6), date(2025, 1, 12)))

    assert (result.top, result.reciprocity) == ([], [])


def test_named_periods():
    today = date(2026, 3, 12)  # a Thursday
    this_week = kpis.named_period("this_week", today=today, zone=UTC)
    assert (this_week.start, this_week.end) == (date(2026, 3, 9), today)
    last_week = kpis.named_period("last_week", today=today, zone=UTC)
    assert (last_week.start, last_week.end) == (date(2026, 3, 2), date(2026, 3, 8))
    four = kpis.named_period("last_4_weeks", today=today, zone=UTC)
    assert (four.start, four.end) == (date(2026, 2, 16), today)
    twelve = kpis.named_period("last_12_weeks", today=today, zone=UTC)
    assert twelve.start == date(2025, 12, 22) and len(twelve.week_starts()) == 12
    quarter = kpis.named_period("this_quarter", today=today, zone=UTC)
    assert (quarter.start, quarter.end) == (date(2026, 1, 1), today)


def test_the_team_tables_trend_is_the_weekly_trend(data, django_assert_num_queries):
    # The same three queries: the trend rides on the counts' read of the rollups.
    with django_assert_num_queries(3):
        totals, _reps = kpis.team_table((data["acme"].pk,), PERIOD, now=NOW, with_trend=True)

    assert totals["trend"] == kpis.weekly_trend(acme_scope(data), PERIOD.end, UTC)


def test_the_weekly_email_counts_with_the_kpi_module(data):
    reps, total = team_week_numbers(
        team_id=data["acme"].pk, start=PERIOD.start_at, end=PERIOD.end_before, now=NOW
    )

    assert [(r.name, r.asks, r.intros, r.wins, r.overdue) for r in reps] == [
        (str(data["alice"]), 3, 2, 2, 2),
        (str(data["bob"]), 1, 1, 0, 0),
    ]
    assert (total.asks, total.intros, total.wins, total.overdue) == (4, 3, 2, 2)
    assert total.goals["asks"] == 9


def test_a_won_deal_without_a_value_counts_in_the_win_rate_not_the_average(acme, alice):
    S, O = Deal.Source, Deal.Outcome  # noqa: E741
    deal(alice, acme, S.REFERRAL, O.WON, date(2026, 3, 3), "4000")
    unknown = deal(alice, acme, S.REFERRAL, O.WON, date(2026, 3, 4), "0")
    unknown.value = None
    unknown.save()
    deal(alice, acme, S.REFERRAL, O.LOST, date(2026, 3, 5), "100")

    numbers = kpis.kpis(Scope(team_ids=(acme.pk,)), PERIOD, now=NOW)

    assert numbers["win_rate"]["referral"] == round(2 / 3, 4)
    assert numbers["avg_deal"]["referral"] == "4000.00"
