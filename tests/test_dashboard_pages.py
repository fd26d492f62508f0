"""The KPI pages: manager dashboard, rep detail, goals, CSV exports — period picker,
sorting, formula-safe exports, visibility (404 for what is not yours) and query counts
that do not grow with the data."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Membership
from referrals.models import WeeklyGoal
from reporting import kpis
from tests.factories import (
    ClientFactory,
    FollowUpFactory,
    MembershipFactory,
    ReferralFactory,
    ReferralGivenFactory,
    UserFactory,
)

# Calendar-sensitive: .ci/run also runs these at hostile moments (tests/clock.py).
pytestmark = pytest.mark.dates


def _work(owner, team, asks: int, *, referrer_name="Rita"):
    """`asks` asks of this week, each confirmed (good), one won; a thank-you overdue."""
    now = timezone.now()
    monday = kpis.monday(timezone.localdate())
    asked = timezone.make_aware(timezone.datetime.combine(monday, timezone.datetime.min.time()))
    referrer = ClientFactory(team=team, owner=owner, first_name=referrer_name)
    made = []
    for _ in range(asks):
        made.append(
            ReferralFactory(
                referrer=referrer,
                asked_at=asked,
                confirmed_at=asked,
                quality="good",
                status="confirmed",
            )
        )
    FollowUpFactory(referral=made[0], due_at=now - timedelta(hours=1))
    ReferralGivenFactory(client=referrer, given_on=monday)
    return made


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def work(acme, globex, alice, bob, charlie):
    _work(alice, acme, 3, referrer_name='=HYPERLINK("http://x")')
    _work(bob, acme, 1)
    _work(charlie, globex, 2)


@pytest.fixture
def gina(globex):
    """Manager of Globex."""
    return MembershipFactory(
        team=globex, role=Membership.Role.MANAGER, user=UserFactory(username="gina")
    ).user


def test_the_dashboard_shows_the_managers_team(maya_client, work):
    response = maya_client.get("/dashboard/")

    assert response.status_code == 200
    assert [row.user.username for row in response.context["reps"]] == ["alice", "bob"]
    assert response.context["totals"]["asks"] == 4
    assert response.context["totals"]["overdue_followups"] == 2
    page = response.content.decode()
    assert "Charlie" not in page
    assert "<svg" in page and "<table" in page
    assert " style=" not in page
    assert "2 follow-ups overdue now" in page


def test_one_overdue_follow_up_is_said_in_the_singular(maya_client, acme, alice):
    _work(alice, acme, 1)

    page = maya_client.get("/dashboard/").content.decode()

    assert "1 follow-up overdue now" in page


@pytest.mark.parametrize(
    ("query", "days"),
    [("", None), ("?period=last_week", 7), ("?period=last_4_weeks", None),
     ("?period=last_12_weeks", None), ("?period=this_quarter", None)],
)  # fmt: skip
def test_the_period_picker(maya_client, work, query, days):
    response = maya_client.get("/dashboard/" + query)

    assert response.status_code == 200
    period = response.context["period"]
    if days:
        assert period.days == days
        assert period.start.weekday() == 0
    assert period.start <= period.end


def test_a_custom_period(maya_client, work):
    response = maya_client.get("/dashboard/?period=custom&start=2020-01-01&end=2020-01-31")

    assert response.context["period"].start.isoformat() == "2020-01-01"
    assert response.context["totals"]["asks"] == 0


@pytest.mark.parametrize(
    "query",
    ["?period=custom&start=2020-02-01&end=2020-01-01", "?period=custom&start=nope&end=x",
     "?period=custom", "?period=bogus"],
)  # fmt: skip
def test_bad_periods_fall_back_to_this_week_with_the_error(maya_client, work, query):
    response = maya_client.get("/dashboard/" + query)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["period"].start == kpis.monday(timezone.localdate())


def test_sorting_the_rep_table(maya_client, work):
    by_asks = maya_client.get("/dashboard/?sort=-asks").context["reps"]
    by_asks_up = maya_client.get("/dashboard/?sort=asks").context["reps"]
    unknown = maya_client.get("/dashboard/?sort=password").context["reps"]

    assert [row.user.username for row in by_asks] == ["alice", "bob"]
    assert [row.user.username for row in by_asks_up] == ["bob", "alice"]
    assert [row.user.username for row in unknown] == ["alice", "bob"]


def test_export_of_the_rep_table(maya_client, work):
    response = maya_client.get("/dashboard/export/reps.csv?period=this_week")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    header, *reps = rows
    assert header[:5] == ["Rep", "Username", "Period start", "Period end", "Asks"]
    by_name = {row[1]: dict(zip(header, row, strict=True)) for row in reps}
    assert set(by_name) == {"alice", "bob"}
    assert by_name["alice"]["Asks"] == "3"
    assert by_name["alice"]["Good intros"] == "3"
    assert by_name["alice"]["Overdue follow-ups"] == "1"


def test_export_of_the_referrals_is_formula_safe(maya_client, work):
    rows = _csv(maya_client.get("/dashboard/export/referrals.csv"))

    header, *referrals = rows
    assert header[0] == "Referral" and len(referrals) == 4
    referrers = {row[2] for row in referrals}
    assert '\'=HYPERLINK("http://x")' in {r.split(" ")[0] for r in referrers} or any(
        r.startswith("'=") for r in referrers
    )
    assert not any(cell.startswith("=") for row in referrals for cell in row)


def test_a_rep_cannot_open_the_dashboard_or_its_exports(alice_client, work):
    assert alice_client.get("/dashboard/").status_code == 404
    assert alice_client.get("/dashboard/export/reps.csv").status_code == 404
    assert alice_client.get("/dashboard/export/referrals.csv").status_code == 404


def test_rep_detail_visibility(alice, bob, charlie, alice_client, bob_client, maya_client,
                               admin_client_, work, gina):  # fmt: skip
    from tests.conftest import _client_for

    gina_client = _client_for(gina)
    url = f"/dashboard/reps/{alice.pk}/"
    assert alice_client.get(url).status_code == 200  # her own
    assert bob_client.get(url).status_code == 404  # a teammate
    assert maya_client.get(url).status_code == 200  # her manager
    assert gina_client.get(url).status_code == 404  # another team's manager
    assert admin_client_.get(url).status_code == 200
    assert maya_client.get(f"/dashboard/reps/{charlie.pk}/").status_code == 404
    assert gina_client.get(f"/dashboard/reps/{charlie.pk}/").status_code == 200
    assert maya_client.get("/dashboard/reps/999999/").status_code == 404


def test_rep_detail_numbers(maya_client, alice, work):
    response = maya_client.get(f"/dashboard/reps/{alice.pk}/?period=this_week")

    assert response.context["numbers"]["asks"] == 3
    assert len(response.context["page_obj"]) == 3
    assert " style=" not in response.content.decode()


def test_another_teams_manager_cannot_pick_our_team(acme, gina, work):
    from tests.conftest import _client_for

    client = _client_for(gina)
    assert client.get(f"/dashboard/?team={acme.pk}").status_code == 404
    assert client.get(f"/dashboard/export/reps.csv?team={acme.pk}").status_code == 404
    assert [r.user.username for r in client.get("/dashboard/").context["reps"]] == ["charlie"]


def test_admins_see_every_team(admin_client_, acme, work):
    everyone = admin_client_.get("/dashboard/")
    one = admin_client_.get(f"/dashboard/?team={acme.pk}")

    assert {r.user.username for r in everyone.context["reps"]} == {"alice", "bob", "charlie"}
    assert everyone.context["totals"]["asks"] == 6
    assert {r.user.username for r in one.context["reps"]} == {"alice", "bob"}


# --- Goals ----------------------------------------------------------------------------------


def _week():
    return kpis.monday(timezone.localdate())


def _goal_post(alice, bob, **overrides):
    data = {"week": _week().isoformat()}
    for prefix in ("team", f"rep-{alice.pk}", f"rep-{bob.pk}"):
        for key in kpis.GOAL_KEYS:
            data[f"{prefix}-{key}"] = ""
    data.update(overrides)
    return data


def test_a_manager_sets_the_team_goal_and_a_reps_goal(maya_client, acme, alice, bob):
    data = _goal_post(
        alice, bob, **{"team-asks": "10", "team-wins": "2", f"rep-{alice.pk}-asks": "6"}
    )

    response = maya_client.post("/dashboard/goals/", data)

    assert response.status_code == 302
    team_goal = WeeklyGoal.objects.get(team=acme, rep=None, week_start=_week())
    assert (team_goal.asks, team_goal.wins, team_goal.intros) == (10, 2, 0)
    assert WeeklyGoal.objects.get(rep=alice).asks == 6
    assert not WeeklyGoal.objects.filter(rep=bob).exists()  # empty row: the team share

    # Emptying a row removes that goal.
    maya_client.post("/dashboard/goals/", _goal_post(alice, bob, **{"team-asks": "10"}))
    assert not WeeklyGoal.objects.filter(rep=alice).exists()


def test_bad_goal_input_is_a_form_error(maya_client, acme, alice, bob):
    response = maya_client.post("/dashboard/goals/", _goal_post(alice, bob, **{"team-asks": "-3"}))

    assert response.status_code == 200
    assert not WeeklyGoal.objects.exists()


def test_a_week_without_goals_shows_empty_rows_and_saving_them_untouched_sets_none(
    maya_client, acme, alice, bob
):
    page = maya_client.get("/dashboard/goals/").content.decode()

    # Every number is empty (not the model's 0) and labelled with whose goal it is.
    assert 'name="team-asks"' in page and 'value=""' in page and 'value="0"' not in page
    assert f'for="id_rep-{alice.pk}-wins">Wins, {alice}</label>' in page

    # The browser sends the empty rows back as they are: the team goal alone is set, and
    # alice and bob keep their share of it (a 0 of their own would replace it).
    maya_client.post("/dashboard/goals/", _goal_post(alice, bob, **{"team-asks": "4"}))
    assert list(WeeklyGoal.objects.values_list("rep", "asks")) == [(None, 4)]


def test_bad_goal_input_says_nothing_was_saved_and_marks_the_number(maya_client, alice, bob):
    from dashboard.views import GOALS_NOT_SAVED

    response = maya_client.post(
        "/dashboard/goals/", _goal_post(alice, bob, **{f"rep-{bob.pk}-meetings": "2.5"})
    )

    page = response.content.decode()
    assert GOALS_NOT_SAVED in page
    assert f'id="id_rep-{bob.pk}-meetings-error"' in page and 'aria-invalid="true"' in page
    assert 'value="2.5"' in page  # what the manager typed stays there to correct
    assert not WeeklyGoal.objects.exists()


def test_copy_last_weeks_goals(maya_client, acme, alice, bob):
    last = _week() - timedelta(days=7)
    WeeklyGoal.objects.create(team=acme, week_start=last, asks=7)
    WeeklyGoal.objects.create(team=acme, rep=alice, week_start=last, asks=4)

    response = maya_client.post(
        "/dashboard/goals/", {"week": _week().isoformat(), "action": "copy"}
    )

    assert response.status_code == 302
    assert WeeklyGoal.objects.get(team=acme, rep=None, week_start=_week()).asks == 7
    assert WeeklyGoal.objects.get(rep=alice, week_start=_week()).asks == 4


def test_a_rep_reads_their_goals_and_cannot_write(alice_client, acme, alice, bob):
    WeeklyGoal.objects.create(team=acme, week_start=_week(), asks=10)

    response = alice_client.get("/dashboard/goals/")
    assert response.status_code == 200
    assert response.context["share"]["asks"] == 5  # 10 shared by alice and bob
    alice_client.post("/dashboard/goals/", _goal_post(alice, bob, **{"team-asks": "99"}))
    assert WeeklyGoal.objects.get(team=acme, rep=None).asks == 10


def test_the_reps_week_says_whose_goals_the_bars_measure(alice_client, acme, alice, bob):
    WeeklyGoal.objects.create(team=acme, week_start=_week(), asks=3)

    page = alice_client.get("/week/").content.decode()
    # 3 asks for the team of alice and bob: alice's bar measures against 1.5, and says so.
    assert "your share of the team's goals" in page
    assert 'aria-label="Asks: 0 of 1.5"' in page

    WeeklyGoal.objects.create(team=acme, rep=alice, week_start=_week(), asks=2)
    page = alice_client.get("/week/").content.decode()
    assert "Your own goals" in page
    assert 'aria-label="Asks: 0 of 2"' in page
    assert "share of the team" not in page


def test_the_rep_detail_says_whose_goals_to_the_manager_and_to_the_rep(
    maya_client, alice_client, acme, alice, bob
):
    WeeklyGoal.objects.create(team=acme, rep=alice, week_start=_week(), asks=2)
    url = f"/dashboard/reps/{alice.pk}/"

    assert "Their own goals" in maya_client.get(url).content.decode()
    assert "Your own goals" in alice_client.get(url).content.decode()
    WeeklyGoal.objects.filter(rep=alice).delete()
    WeeklyGoal.objects.create(team=acme, week_start=_week(), asks=2)
    assert "their share of the team's goals" in maya_client.get(url).content.decode()


def test_goal_basis_over_several_weeks(acme, alice, bob):
    this, last = _week(), _week() - timedelta(days=7)
    rows = [
        WeeklyGoal.objects.create(team=acme, week_start=last, asks=4),
        WeeklyGoal.objects.create(team=acme, week_start=this, asks=4),
    ]
    assert kpis.goal_basis(rows, rep_id=alice.pk) == "team_share"
    rows.append(WeeklyGoal.objects.create(team=acme, rep=alice, week_start=this, asks=1))
    assert kpis.goal_basis(rows, rep_id=alice.pk) == "mixed"
    assert kpis.goal_basis(rows[2:], rep_id=alice.pk) == "own"
    assert kpis.goal_basis([], rep_id=alice.pk) is None


def test_goals_page_without_a_team_is_404(admin_client_):
    assert admin_client_.get("/dashboard/goals/").status_code == 404


# --- Query counts -------------------------------------------------------------------------


@pytest.mark.parametrize("size", [3, 30])
def test_dashboard_query_count(maya_client, acme, django_assert_max_num_queries, size):
    for membership in MembershipFactory.create_batch(size, team=acme):
        _work(membership.user, acme, 2)

    # 1. session, 2. user, 3. memberships with teams (the active team), 4. memberships for
    # the visibility rules, 5. the team's reps, 6.-9. referral counts by owner (asked,
    # confirmed, meeting, won), 10. referrals given by owner, 11. follow-ups on time by
    # owner, 12. overdue by owner, 13. goals, 14. deals (the 12-week trend rides on
    # 6.-9.), 15.-16. top referrers (ranking, then names and counts of the ten), 17. the
    # bell's notifications, 18. the share of clients asked (tests/test_warmth.py).
    with django_assert_max_num_queries(18):
        response = maya_client.get("/dashboard/?period=last_12_weeks")

    assert len(response.context["reps"]) == size


@pytest.mark.parametrize("size", [3, 30])
def test_rep_detail_query_count(maya_client, alice, acme, django_assert_max_num_queries, size):
    _work(alice, acme, size)

    # 1. session, 2. user, 3.-4. memberships, 5. the rep, 6.-14. her KPIs (referrals:
    # asked, confirmed, meeting, won; given, on time, overdue, deals, goals), 15. reps of
    # the team, 16.-18. trend (asks, intros, wins), 19. count of the period's referrals,
    # 20. that page of them, 21. the bell, 22. the share of clients asked.
    with django_assert_max_num_queries(22):
        response = maya_client.get(f"/dashboard/reps/{alice.pk}/")

    assert len(response.context["page_obj"]) == min(size, 25)


@pytest.mark.parametrize("size", [3, 30])
def test_goals_page_query_count(maya_client, acme, django_assert_max_num_queries, size):
    for membership in MembershipFactory.create_batch(size, team=acme):
        WeeklyGoal.objects.create(team=acme, rep=membership.user, week_start=_week(), asks=1)

    # 1. session, 2. user, 3. memberships, 4. the team's reps with users, 5. the user's
    # memberships (the visibility rules of referrals.selectors.goals_for_user, as the API
    # reads them), 6. the week's goals, 7. the bell.
    with django_assert_max_num_queries(7):
        response = maya_client.get("/dashboard/goals/")

    assert len(response.context["forms"]) == size + 1


@pytest.mark.parametrize("size", [3, 30])
def test_exports_query_count(maya_client, acme, alice, django_assert_max_num_queries, size):
    _work(alice, acme, size)
    for membership in MembershipFactory.create_batch(size, team=acme):
        _work(membership.user, acme, 1)

    # 1. session, 2. user, 3.-4. memberships, 5.-14. the table (reps, referrals: asked,
    # confirmed, meeting, won; given, on time, overdue, goals, deals).
    with django_assert_max_num_queries(14):
        rows = _csv(maya_client.get("/dashboard/export/reps.csv"))
    assert len(rows) == size + 2  # the header, alice and the new reps
    # 1.-4. as above, 5. the count that tells a small export from a large one (bounded:
    # exports app), 6. the referrals with owner, referrer and prospect, in one go.
    with django_assert_max_num_queries(6):
        rows = _csv(maya_client.get("/dashboard/export/referrals.csv"))
    assert len(rows) == 2 * size + 1


def test_money_in_the_table(maya_client, alice, acme):
    referral = _work(alice, acme, 1)[0]
    referral.meeting_at = referral.won_at = referral.asked_at
    referral.status, referral.value = "won", Decimal("1234.5")
    referral.save()

    row = maya_client.get("/dashboard/").context["reps"][0]
    assert row.numbers["won_value"] == "1234.50"
