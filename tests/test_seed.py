"""The data-set generator: `seed --size small|medium|large` and the demo of `make run`.

The small set goes through the services; medium and large are written in bulk (COPY on
PostgreSQL, bulk_create on SQLite), here scaled down with --scale so the bulk path runs
on whichever database the suite uses. Both must hold data the services could have made.
"""

from collections import Counter, defaultdict
from datetime import timedelta
from io import StringIO
from statistics import median

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F, Min
from django.test import Client
from django.utils import timezone

from accounts.models import Membership, Team, User
from contacts.fit import fit_score
from contacts.models import (
    Activity,
    Company,
    Contact,
    ContactKind,
    IdealClientProfile,
    Industry,
    Relationship,
)
from demo import DEMO_PASSWORD, DEMO_PEOPLE, DEMO_TEAM
from demo.plan import SIZES
from demo.teams import demo_admin_ensure, demo_team_ensure
from demo.write_bulk import BulkWriter
from followups.models import FollowUp
from referrals.models import (
    STEP_TIME_FIELD,
    Deal,
    ReadinessCheck,
    Referral,
    ReferralGiven,
    RosterEntry,
    WeeklyGoal,
)
from referrals.services import _roster_follow
from tests.factories import ContactFactory

Status = Referral.Status
MODELS = [
    Team,
    User,
    Membership,
    Company,
    Contact,
    Relationship,
    ReadinessCheck,
    RosterEntry,
    Referral,
    Deal,
    ReferralGiven,
    WeeklyGoal,
    Activity,
    IdealClientProfile,
]
# The steps each final or open status has passed through, in order.
STEPS = {
    Status.ASKED: [],
    Status.CONFIRMED: ["confirmed_at"],
    Status.CONTACTED: ["confirmed_at", "contacted_at"],
    Status.MEETING: ["confirmed_at", "contacted_at", "meeting_at"],
    Status.WON: ["confirmed_at", "contacted_at", "meeting_at", "won_at"],
    Status.DECLINED: ["declined_at"],
}
LOST_PATHS = [
    ["confirmed_at", "lost_at"],
    ["confirmed_at", "contacted_at", "lost_at"],
    ["confirmed_at", "contacted_at", "meeting_at", "lost_at"],
]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed", *args, stdout=out, no_color=True)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def teams_of(size: str) -> list[Team]:
    return list(Team.objects.filter(name__in=SIZES[size].teams))


# --- What every generated set must satisfy -------------------------------------------------


def assert_relationships_obey_the_rules(teams: list[Team]) -> None:
    team_of = dict(Contact.objects.filter(team__in=teams).values_list("pk", "team_id"))
    rows = list(
        Relationship.objects.filter(team__in=teams).values_list(
            "team_id", "contact_a_id", "contact_b_id", "strength"
        )
    )
    assert rows
    pairs = set()
    for team_id, low, high, strength in rows:
        assert low < high, "ordered pair, never oneself"
        assert team_of[low] == team_of[high] == team_id, "same team"
        assert 1 <= strength <= 5
        pairs.add((low, high))
    assert len(pairs) == len(rows), "each pair once"


def assert_referrals_are_consistent(teams: list[Team]) -> None:
    """Step times in order, a value when won, each referrer knows the prospect, and the
    referral's deal exactly as referrals.services would have made it."""
    now = timezone.now()
    ties = set(
        Relationship.objects.filter(team__in=teams).values_list("contact_a_id", "contact_b_id")
    )
    deals = {deal.referral_id: deal for deal in Deal.objects.filter(referral__team__in=teams)}
    referrals = list(Referral.objects.filter(team__in=teams))
    assert referrals
    for referral in referrals:
        reached = [
            name
            for status, name in STEP_TIME_FIELD.items()
            if status != Status.ASKED and getattr(referral, name)
        ]
        if referral.status == Status.LOST:
            assert reached in LOST_PATHS
        else:
            assert reached == STEPS[referral.status], referral.status
        times = [referral.asked_at] + [getattr(referral, name) for name in reached]
        assert times == sorted(times) and len(set(times)) == len(times), "strictly ordered"
        assert times[-1] <= now
        if referral.status == Status.WON:
            assert referral.value is not None
        pair = tuple(sorted((referral.referrer_id, referral.prospect_id)))
        assert pair in ties, "the referrer knows the prospect"

        deal = deals.get(referral.pk)
        if referral.meeting_at is None:
            assert deal is None
            continue
        assert deal is not None, "a meeting opens the referral's deal"
        assert deal.source == Deal.Source.REFERRAL
        assert (deal.owner_id, deal.contact_id, deal.team_id) == (
            referral.owner_id,
            referral.prospect_id,
            referral.team_id,
        )
        assert deal.opened_on == timezone.localdate(referral.meeting_at)
        assert deal.value == referral.value
        if referral.status == Status.MEETING:
            assert (deal.outcome, deal.closed_on) == (Deal.Outcome.OPEN, None)
        else:
            closed_at = referral.won_at or referral.lost_at
            assert deal.outcome == referral.status
            assert deal.closed_on == max(timezone.localdate(closed_at), deal.opened_on)
    assert set(deals) <= {referral.pk for referral in referrals}


def assert_rosters_follow_their_referrals(teams: list[Team]) -> None:
    """Each entry says what referrals.services would say: asking it to follow one of its
    referrals again changes nothing."""
    entries = list(RosterEntry.objects.filter(team__in=teams))
    assert entries
    followed = {}
    for referral in Referral.objects.filter(team__in=teams, roster_entry__isnull=False):
        followed.setdefault(referral.roster_entry_id, referral)
        assert (referral.owner_id, referral.prospect_id) == (
            referral.roster_entry.owner_id,
            referral.roster_entry.prospect_id,
        )
    for entry in entries:
        if entry.pk in followed:
            _roster_follow(followed[entry.pk])
            entry_after = RosterEntry.objects.get(pk=entry.pk)
            assert entry_after.status == entry.status, entry.pk
        else:
            assert entry.status == RosterEntry.Status.WANTED


def assert_members_have_their_own_ties(teams: list[Team]) -> None:
    for membership in Membership.objects.filter(team__in=teams).select_related("user"):
        own = Contact.objects.get(user=membership.user)
        assert own.team_id == membership.team_id
        ties = Relationship.objects.filter(contact_a=own) | Relationship.objects.filter(
            contact_b=own
        )
        assert ties.exists(), f"{membership.user} knows people"


def assert_every_kind_of_record(teams: list[Team]) -> None:
    referrals = Referral.objects.filter(team__in=teams)
    assert set(referrals.values_list("status", flat=True)) == set(Status.values)
    deals = Deal.objects.filter(team__in=teams)
    assert set(deals.values_list("source", flat=True)) == set(Deal.Source.values)
    assert set(deals.values_list("outcome", flat=True)) == set(Deal.Outcome.values)
    for team in teams:
        industries = set(Company.objects.filter(team=team).values_list("industry", flat=True))
        assert industries == set(Industry.values)
        kinds = set(Contact.objects.filter(team=team, user=None).values_list("kind", flat=True))
        assert {ContactKind.CLIENT, ContactKind.PROSPECT, ContactKind.PARTNER} <= kinds
        checks = ReadinessCheck.objects.filter(team=team)
        green = checks.filter(green_light=True).count()
        assert green > checks.count() / 2 > 0, "most clients are green-lit"
        assert checks.filter(green_light=False).exists(), "some are not ready"
        assert ReferralGiven.objects.filter(team=team).exists()
        assert IdealClientProfile.objects.filter(team=team).exists()
        reps = Membership.objects.filter(team=team, role=Membership.Role.REP)
        goals = WeeklyGoal.objects.filter(team=team)
        this_week = timezone.localdate() - timezone.timedelta(days=timezone.localdate().weekday())
        assert goals.filter(rep=None, week_start=this_week).exists()
        for membership in reps:
            assert goals.filter(rep=membership.user, week_start=this_week).exists()
            assert RosterEntry.objects.filter(owner=membership.user).exists()
        assert Activity.objects.filter(team=team).exists()


def assert_fit_scores_computed(teams: list[Team]) -> None:
    for team in teams:
        profile = IdealClientProfile.objects.get(team=team)
        contacts = Contact.objects.filter(team=team, user=None).select_related("company")
        scores = [contact.fit_score for contact in contacts]
        assert max(scores) > 0
        for contact in contacts[:200]:
            assert contact.fit_score == fit_score(profile, contact)


def assert_all(teams: list[Team]) -> None:
    assert_relationships_obey_the_rules(teams)
    assert_referrals_are_consistent(teams)
    assert_rosters_follow_their_referrals(teams)
    assert_members_have_their_own_ties(teams)
    assert_every_kind_of_record(teams)
    assert_fit_scores_computed(teams)


# --- small: the demo -------------------------------------------------------------------------


def test_small_is_the_demo_team_with_every_kind_of_record(db):
    printed = seed("--size", "small", "--seed", "3")

    teams = teams_of("small")
    assert [team.name for team in teams] == [DEMO_TEAM]
    assert_all(teams)
    team = teams[0]
    assert 40 <= Contact.objects.filter(team=team).count() <= 60
    assert 70 <= Relationship.objects.filter(team=team).count() <= 90
    assert 20 <= Referral.objects.filter(team=team).count() <= 30
    assert 10 <= Deal.objects.filter(team=team).count() <= 20
    # Through the services: the timeline has each ask and each step.
    assert Activity.objects.filter(verb="asked").count() == Referral.objects.count()
    assert "referrals" in printed and "Generated size small" in printed


def test_small_refuses_a_second_copy_and_fresh_makes_it_again(db):
    seed("--size", "small", "--seed", "3")
    counts = row_counts()

    with pytest.raises(CommandError, match="--fresh"):
        seed("--size", "small", "--seed", "3")
    assert row_counts() == counts

    seed("--size", "small", "--seed", "3", "--fresh")
    assert row_counts() == counts


def test_scale_is_for_the_bulk_sizes_only(db):
    with pytest.raises(CommandError, match="--scale"):
        seed("--size", "small", "--scale", "0.5")
    with pytest.raises(CommandError, match="--scale"):
        seed("--size", "medium", "--scale", "0")
    assert not Contact.objects.exists()


# --- seed_demo: what `make run` calls ----------------------------------------------------------


def test_seed_demo_loads_the_demo_once_and_its_logins_work(db):
    out = StringIO()
    call_command("seed_demo", stdout=out, no_color=True)
    counts = row_counts()
    assert counts["Contact"] > 40 and counts["Referral"] > 20

    again = StringIO()
    call_command("seed_demo", stdout=again, no_color=True)

    assert row_counts() == counts
    for printed in (out.getvalue(), again.getvalue()):
        assert f"{DEMO_PASSWORD}" in printed
        for username, *_rest in DEMO_PEOPLE:
            assert username in printed
    for username, *_rest in DEMO_PEOPLE:
        assert Client().login(username=username, password=DEMO_PASSWORD)


def test_seed_demo_adds_nothing_to_a_demo_team_that_already_has_contacts(db):
    team = demo_team_ensure()
    demo_admin_ensure()  # the logins are there (seed_demo makes sure of them each time)
    maria = User.objects.get(username="maria")
    ContactFactory(team=team, owner=maria)  # entered by hand before the demo was loaded
    counts = row_counts()

    out = StringIO()
    call_command("seed_demo", stdout=out, no_color=True)

    assert row_counts() == counts
    assert "maria" in out.getvalue()


# --- medium and large: the bulk path, scaled down --------------------------------------------


def test_medium_is_written_in_bulk_and_obeys_the_same_rules(db, monkeypatch):
    copies = []
    copy = BulkWriter._copy

    def counted_copy(writer, model, fields, chunk):
        copies.append(model)
        copy(writer, model, fields, chunk)

    monkeypatch.setattr(BulkWriter, "_copy", counted_copy)

    printed = seed("--size", "medium", "--scale", "0.01", "--seed", "5")

    # COPY on PostgreSQL, bulk_create elsewhere.
    assert bool(copies) == (connection.vendor == "postgresql")

    teams = teams_of("medium")
    assert len(teams) == 2
    assert Membership.objects.filter(team__in=teams, role=Membership.Role.REP).count() == 10
    assert Membership.objects.filter(team__in=teams, role=Membership.Role.MANAGER).count() == 2
    assert_all(teams)
    assert Contact.objects.filter(team__in=teams).count() == 200
    assert Relationship.objects.filter(team__in=teams).count() >= 1000
    assert Referral.objects.filter(team__in=teams).count() == 300
    assert Deal.objects.filter(team__in=teams).count() >= 200
    # Some people know many, most know few.
    degree = Counter()
    for low, high in Relationship.objects.filter(team__in=teams).values_list(
        "contact_a_id", "contact_b_id"
    ):
        degree[low] += 1
        degree[high] += 1
    assert max(degree.values()) >= 4 * median(degree.values())
    # Every login works with the printed password.
    manager = Membership.objects.filter(team=teams[0], role=Membership.Role.MANAGER).get()
    assert manager.user.username in printed and DEMO_PASSWORD in printed
    assert Client().login(username=manager.user.username, password=DEMO_PASSWORD)


def test_the_same_seed_gives_the_same_data(db):
    seed("--size", "medium", "--scale", "0.01", "--seed", "11")
    counts = row_counts()
    statuses = Counter(Referral.objects.values_list("status", flat=True))
    names = sorted(Contact.objects.values_list("first_name", "last_name"))

    seed("--size", "medium", "--scale", "0.01", "--seed", "11", "--fresh")

    assert row_counts() == counts
    assert Counter(Referral.objects.values_list("status", flat=True)) == statuses
    assert sorted(Contact.objects.values_list("first_name", "last_name")) == names


def test_medium_refuses_a_second_copy_and_fresh_spares_other_teams(db, acme, alice):
    ContactFactory(team=acme, owner=alice)
    seed("--size", "medium", "--scale", "0.01")
    counts = row_counts()

    with pytest.raises(CommandError, match="already have data"):
        seed("--size", "medium", "--scale", "0.01")
    assert row_counts() == counts

    seed("--size", "medium", "--scale", "0.01", "--fresh")

    assert row_counts() == counts
    assert Contact.objects.filter(team=acme).count() == 1
    assert User.objects.filter(username="alice").exists()


def test_sizes_match_the_design_figures():
    large = SIZES["large"]
    assert (len(large.teams), large.reps_per_team * len(large.teams)) == (5, 50)
    assert (large.contacts, large.relationships, large.referrals, large.deals) == (
        200_000,
        1_000_000,
        300_000,
        200_000,
    )
    assert large.followups == 1_000_000
    medium = SIZES["medium"]
    assert (len(medium.teams), medium.reps_per_team * len(medium.teams)) == (2, 10)
    assert not set(medium.teams) & set(large.teams)


def test_per_team_owned_records_stay_in_their_team(db):
    seed("--size", "medium", "--scale", "0.01", "--seed", "2")
    members = defaultdict(set)
    for team_id, user_id in Membership.objects.values_list("team_id", "user_id"):
        members[team_id].add(user_id)
    for model in (Referral, RosterEntry, Deal, ReadinessCheck, ReferralGiven):
        for team_id, owner_id in model.objects.values_list("team_id", "owner_id"):
            assert owner_id in members[team_id], model.__name__
    for team_id, owner_id in Contact.objects.values_list("team_id", "owner_id"):
        assert owner_id in members[team_id]


def test_the_demo_inbox_looks_lived_in_not_months_behind(db):
    # A demo rep should open a realistic inbox: old follow-ups done on time, only what
    # came due in the last couple of days still waiting.
    call_command("seed_demo", stdout=StringIO())
    two_days_ago = timezone.now() - timedelta(days=2)

    pending_and_old = FollowUp.objects.filter(status="pending", due_at__lt=two_days_ago)

    assert not pending_and_old.exists()
    assert FollowUp.objects.filter(status="done").count() > 20


def test_follow_ups_come_in_the_design_ratio_to_referrals(db):
    # DESIGN.md's "large": 1,000,000 follow-ups for 300,000 referrals (medium: 100,000 for
    # 30,000), all made by the follow-up rules; scaled down, the ratio holds.
    seed("--size", "medium", "--scale", "0.03", "--seed", "4")

    teams = teams_of("medium")
    referrals = Referral.objects.filter(team__in=teams).count()
    # The design's ratio counts the follow-ups of the method (thanks, reports, updates);
    # keeping the network warm (#17) adds, on top, a chase per ask left unconfirmed and
    # an expectation and a readiness conversation per win.
    warmth = (FollowUp.Kind.CHASE_CONFIRMATION, FollowUp.Kind.EXPECTATIONS, FollowUp.Kind.READINESS)
    followups = FollowUp.objects.filter(team__in=teams).exclude(kind__in=warmth).count()
    medium, large = SIZES["medium"], SIZES["large"]
    assert referrals == round(medium.referrals * 0.03)
    assert medium.followups / medium.referrals == large.followups / large.referrals
    assert abs(followups / round(medium.followups * 0.03) - 1) < 0.08, followups
    wins = Referral.objects.filter(team__in=teams, status="won").count()
    for kind in (FollowUp.Kind.EXPECTATIONS, FollowUp.Kind.READINESS):
        assert FollowUp.objects.filter(team__in=teams, kind=kind).count() == wins
    mine = FollowUp.objects.filter(team__in=teams)
    assert set(mine.values_list("kind", flat=True)) == set(FollowUp.Kind.values)
    # Done on time, done late, skipped, pending (some overdue, some not yet due).
    now = timezone.now()
    assert mine.filter(status="done", done_at__lte=F("due_at")).count() > followups / 2
    assert mine.filter(status="done", done_at__gt=F("due_at")).exists()
    assert mine.filter(status="skipped").exists()
    assert mine.filter(status="pending", due_at__lt=now).exists()
    assert mine.filter(status="pending", due_at__gte=now).exists()
    # Asks spread over two years.
    asked = Referral.objects.filter(team__in=teams).aggregate(first=Min("asked_at"))
    assert now - asked["first"] > timedelta(days=600)
