"""GET /api/v1/kpis/ (exactly the contract's keys, scoped) and /api/v1/goals/ (CRUD scoped:
reps read their own and their team's goals, managers write their team's).

Decision: a rep asking for another rep's numbers (rep=<id>) gets a 404, never their own
numbers in disguise; `team=` their own team gives the team's totals, which carry no names."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.models import Membership
from referrals.models import WeeklyGoal
from reporting import kpis
from tests.factories import ClientFactory, MembershipFactory, ReferralFactory, UserFactory

# Calendar-sensitive: .ci/run also runs these at hostile moments (tests/clock.py).
pytestmark = pytest.mark.dates

CONTRACT_KEYS = {
    "asks", "intros", "intros_by_quality", "meetings", "wins", "won_value", "referrals_given",
    "conversion", "followup_on_time_rate", "overdue_followups", "win_rate", "avg_deal",
    "goals", "attainment", "clients_asked_share", "referrer_confirmed_share",
}  # fmt: skip
URL = "/api/v1/kpis/"


@pytest.fixture
def asks(acme, globex, alice, bob, charlie):
    yesterday = timezone.now() - timedelta(days=1)
    for owner, team, n in ((alice, acme, 2), (bob, acme, 1), (charlie, globex, 5)):
        for _ in range(n):
            ReferralFactory(referrer=ClientFactory(team=team, owner=owner), asked_at=yesterday)


def _period():
    today = timezone.localdate()
    return f"start={today - timedelta(days=3)}&end={today}"


def test_exactly_the_contract_keys(maya_client, asks):
    body = maya_client.get(f"{URL}?{_period()}").json()

    assert set(body) == CONTRACT_KEYS
    assert set(body["intros_by_quality"]) == {"good", "better", "best"}
    assert set(body["conversion"]) == {"ask_to_intro", "intro_to_meeting", "meeting_to_win"}
    assert set(body["win_rate"]) == set(body["avg_deal"]) == {"referral", "other"}
    assert set(body["goals"]) == set(body["attainment"]) == set(kpis.GOAL_KEYS)
    assert body["asks"] == 3


def test_defaults_to_this_week(maya_client, asks):
    assert maya_client.get(URL).status_code == 200


def test_rep_and_team_parameters(maya_client, alice, bob, acme, asks):
    assert maya_client.get(f"{URL}?{_period()}&rep={alice.pk}").json()["asks"] == 2
    assert maya_client.get(f"{URL}?{_period()}&rep={bob.pk}").json()["asks"] == 1
    assert maya_client.get(f"{URL}?{_period()}&team={acme.pk}").json()["asks"] == 3


def test_a_rep_sees_their_own_numbers_only(alice_client, alice, bob, charlie, acme, globex, asks):
    assert alice_client.get(f"{URL}?{_period()}").json()["asks"] == 2
    assert alice_client.get(f"{URL}?{_period()}&rep={alice.pk}").json()["asks"] == 2
    assert alice_client.get(f"{URL}?{_period()}&rep={bob.pk}").status_code == 404
    assert alice_client.get(f"{URL}?{_period()}&rep={charlie.pk}").status_code == 404
    # The team's total, without anyone's name, is fine; another team is not.
    assert alice_client.get(f"{URL}?{_period()}&team={acme.pk}").json()["asks"] == 3
    assert alice_client.get(f"{URL}?{_period()}&team={globex.pk}").status_code == 404


def test_a_manager_of_another_team_gets_404(maya_client, charlie, globex, asks):
    assert maya_client.get(f"{URL}?{_period()}&rep={charlie.pk}").status_code == 404
    assert maya_client.get(f"{URL}?{_period()}&team={globex.pk}").status_code == 404
    assert maya_client.get(f"{URL}?{_period()}&rep=nope").status_code == 404


def test_admins_see_all(admin_client_, charlie, asks):
    assert admin_client_.get(f"{URL}?{_period()}").json()["asks"] == 8
    assert admin_client_.get(f"{URL}?{_period()}&rep={charlie.pk}").json()["asks"] == 5


@pytest.mark.parametrize(
    "query",
    ["start=2026-13-01&end=2026-12-31", "start=yesterday", "end=31/12/2026",
     "start=2026-03-09&end=2026-03-08", "start=2010-01-01&end=2026-01-01"],
)  # fmt: skip
def test_bad_dates_are_400(maya_client, query):
    response = maya_client.get(f"{URL}?{query}")

    assert response.status_code == 400
    assert response.json()


def test_anonymous_is_refused(client):
    assert client.get(URL).status_code in (401, 403)


def test_kpi_api_query_count(maya_client, asks, django_assert_max_num_queries):
    # session, user, memberships (×2), referrals (asked, confirmed, meeting, won), given,
    # on time, overdue, deals, goals
    with django_assert_max_num_queries(13):
        assert maya_client.get(f"{URL}?{_period()}").status_code == 200


# --- Goals ----------------------------------------------------------------------------------

GOALS = "/api/v1/goals/"
MONDAY = date(2026, 3, 2)


@pytest.fixture
def goals(acme, globex, alice, bob, charlie):
    return {
        "team": WeeklyGoal.objects.create(team=acme, week_start=MONDAY, asks=10),
        "alice": WeeklyGoal.objects.create(team=acme, rep=alice, week_start=MONDAY, asks=6),
        "bob": WeeklyGoal.objects.create(team=acme, rep=bob, week_start=MONDAY, asks=4),
        "globex": WeeklyGoal.objects.create(team=globex, week_start=MONDAY, asks=50),
    }


def _ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_a_rep_reads_the_team_goal_and_their_own(alice_client, goals):
    assert _ids(alice_client.get(GOALS)) == {goals["team"].pk, goals["alice"].pk}
    assert alice_client.get(f"{GOALS}{goals['bob'].pk}/").status_code == 404
    assert alice_client.get(f"{GOALS}{goals['globex'].pk}/").status_code == 404


def test_a_rep_cannot_write_goals(alice_client, acme, alice, goals):
    assert (
        alice_client.patch(
            f"{GOALS}{goals['alice'].pk}/", {"asks": 99}, content_type="application/json"
        ).status_code
        == 403
    )
    created = alice_client.post(GOALS, {"team": acme.pk, "week_start": "2026-03-09", "asks": 1})
    assert created.status_code == 403
    assert alice_client.delete(f"{GOALS}{goals['team'].pk}/").status_code == 403


def test_a_manager_writes_their_teams_goals(maya_client, acme, globex, alice, charlie, goals):
    assert _ids(maya_client.get(GOALS)) == {goals["team"].pk, goals["alice"].pk, goals["bob"].pk}
    created = maya_client.post(
        GOALS, {"team": acme.pk, "rep": alice.pk, "week_start": "2026-03-09", "asks": 3}
    )
    assert created.status_code == 201, created.content
    assert created.json()["asks"] == 3
    updated = maya_client.patch(
        f"{GOALS}{goals['team'].pk}/", {"wins": 2}, content_type="application/json"
    )
    assert updated.status_code == 200
    assert updated.json()["asks"] == 10 and updated.json()["wins"] == 2
    assert maya_client.delete(f"{GOALS}{goals['bob'].pk}/").status_code == 204
    # Another team's goal: not found; another team as target: refused.
    assert (
        maya_client.patch(
            f"{GOALS}{goals['globex'].pk}/", {"asks": 1}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        maya_client.post(GOALS, {"team": globex.pk, "week_start": "2026-03-09"}).status_code == 400
    )
    # A rep of another team, a day that is not a Monday: 400, nothing written.
    assert (
        maya_client.post(
            GOALS, {"team": acme.pk, "rep": charlie.pk, "week_start": "2026-03-09"}
        ).status_code
        == 400
    )
    assert maya_client.post(GOALS, {"team": acme.pk, "week_start": "2026-03-10"}).status_code == 400
    assert not WeeklyGoal.objects.filter(week_start=date(2026, 3, 10)).exists()


def test_posting_an_existing_week_updates_it(maya_client, acme, goals):
    response = maya_client.post(
        GOALS, {"team": acme.pk, "week_start": MONDAY.isoformat(), "asks": 12}
    )

    assert response.status_code == 201
    assert WeeklyGoal.objects.get(pk=goals["team"].pk).asks == 12


def test_admin_sees_every_goal(admin_client_, goals):
    assert len(_ids(admin_client_.get(GOALS))) == 4


def test_a_manager_of_two_teams(acme, globex, goals):
    from tests.conftest import _client_for

    both = UserFactory(username="boss")
    MembershipFactory(team=acme, user=both, role=Membership.Role.MANAGER)
    MembershipFactory(team=globex, user=both, role=Membership.Role.MANAGER)
    assert len(_ids(_client_for(both).get(GOALS))) == 4
