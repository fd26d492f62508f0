"""The KPI of issue 18: the share of intros the referrer confirmed themselves, with a link
of the ask (reporting.kpis.referrer_confirmed_share)."""

from datetime import UTC, date, datetime

import pytest
from django.test import Client
from django.urls import reverse

from referrals import links, services
from referrals.models import AnsweredBy
from reporting import kpis
from reporting.kpis import Period, Scope
from tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.dates


def ask(team, owner):
    return services.referral_create(
        owner=owner,
        team=team,
        referrer=ClientFactory(team=team, owner=owner),
        prospect=ContactFactory(team=team, owner=owner),
        asked_at=datetime(2026, 2, 2, 9, tzinfo=UTC),
    )


def by_link(referral, step=links.INTRODUCED):
    token = links.referrer_link_token(referral=referral, step=step, nonce=f"n{referral.pk}")
    assert (
        Client().post(reverse("public:referrer-link", kwargs={"token": token})).status_code == 200
    )


@pytest.mark.now("2026-03-04T10:00:00+00:00")
def test_the_share_counts_intros_of_the_period_by_who_confirmed(acme, alice, bob, globex, charlie):
    mine = [ask(acme, alice) for _ in range(3)]
    by_link(mine[0])
    by_link(mine[1], links.AGREED)
    services.referral_transition(referral=mine[2], to="confirmed", actor=alice)
    declined = ask(acme, alice)
    by_link(declined, links.NOT_NOW)  # an answer, not an intro
    bobs = ask(acme, bob)
    services.referral_transition(referral=bobs, to="confirmed", actor=bob)
    theirs = ask(globex, charlie)
    by_link(theirs)  # another team's: never in Acme's numbers

    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    team = kpis.referrer_confirmed_share(Scope(team_ids=(acme.pk,)), march)
    assert (team.intros, team.by_referrer, team.share) == (4, 2, 0.5)
    rep = kpis.referrer_confirmed_share(Scope(team_ids=(acme.pk,), rep_id=alice.pk), march)
    assert (rep.intros, rep.by_referrer, rep.share) == (3, 2, 0.6667)
    assert mine[2].__class__.objects.get(pk=mine[2].pk).confirmed_by == AnsweredBy.REP


def test_no_intros_no_share(acme):
    empty = kpis.referrer_confirmed_share(
        Scope(team_ids=(acme.pk,)), Period(date(2026, 3, 1), date(2026, 3, 31))
    )
    assert (empty.intros, empty.by_referrer, empty.share) == (0, 0, None)


def test_the_kpi_is_one_query(acme, alice, django_assert_num_queries):
    with django_assert_num_queries(1):
        kpis.referrer_confirmed_share(
            Scope(team_ids=(acme.pk,)), Period(date(2026, 3, 1), date(2026, 3, 31))
        )


@pytest.mark.now("2026-03-04T10:00:00+00:00")
def test_the_api_and_the_dashboard_show_the_same_share(acme, alice, maya_client):
    asks = [ask(acme, alice) for _ in range(4)]
    by_link(asks[0])
    for referral in asks[1:]:
        services.referral_transition(referral=referral, to="confirmed", actor=alice)

    body = maya_client.get("/api/v1/kpis/?start=2026-03-01&end=2026-03-31").json()
    assert body["referrer_confirmed_share"] == 0.25
    page = maya_client.get(
        "/dashboard/?period=custom&start=2026-03-01&end=2026-03-31"
    ).content.decode()
    assert 'id="referrer-confirmed"' in page
    assert "<strong>25%</strong>" in page
    rep_page = maya_client.get(
        f"/dashboard/reps/{alice.pk}/?period=custom&start=2026-03-01&end=2026-03-31"
    )
    assert "Intros confirmed by the referrer" in rep_page.content.decode()
