"""Whole sizes: plan and write each team of a size in one transaction, and count what
was written."""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import Membership, Team
from contacts import services as contact_services
from contacts.models import Activity, Company, Contact, Relationship
from core.database import statistics_refresh
from demo.plan import SIZES, Size, TeamPlanner
from demo.teams import (
    demo_team_ensure,
    generated_members_ensure,
    team_has_data,
    team_members,
    teams_delete,
)
from demo.words import ICP_TEMPLATES, NamePools
from demo.write_bulk import BulkWriter
from demo.write_services import ServiceWriter
from followups.models import FollowUp
from referrals.contact_facts import contact_facts_rebuild
from referrals.models import (
    Deal,
    ReadinessCheck,
    Referral,
    ReferralGiven,
    RosterEntry,
    WeeklyGoal,
)
from reporting.rollups import rollups_rebuild


class AlreadySeeded(Exception):
    """The teams of this size already hold data; generating again would duplicate it."""

    def __init__(self, teams: list[Team]):
        self.teams = teams
        names = ", ".join(team.name for team in teams)
        verb = "has" if len(teams) == 1 else "have"
        super().__init__(f"Already seeded: {names} already {verb} data.")


def _icp_for(team_index: int) -> dict:
    return dict(ICP_TEMPLATES[team_index % len(ICP_TEMPLATES)])


@dataclass
class Result:
    size: str
    seed: int
    teams: list[Team]
    counts: dict[str, int]
    statuses: dict[str, int]
    sources: dict[str, int]
    seconds: float
    logins: list[tuple[str, str, str]]  # team, role, username


def generate(
    size_name: str,
    *,
    seed: int = 1,
    scale: float = 1.0,
    fresh: bool = False,
    log: Callable[[str], None] | None = None,
) -> Result:
    """Generate a size's teams with their data, in one transaction. Refuses
    (AlreadySeeded) when one of those teams already has data, unless `fresh`, which
    deletes those teams first."""
    size = SIZES[size_name]
    log = log or (lambda message: None)
    started = time.monotonic()
    names = NamePools(seed)
    with transaction.atomic():
        if fresh:
            teams_delete(size.teams)
        if size.through_services:
            demo_team_ensure(reset_passwords=False)
        else:
            existing = list(Team.objects.filter(name__in=size.teams))
            busy = [team for team in existing if team_has_data(team)]
            if busy:
                raise AlreadySeeded(busy)
            generated_members_ensure(size, seed)
        teams = [Team.objects.get(name=name) for name in size.teams]
        busy = [team for team in teams if team_has_data(team)]
        if busy:
            raise AlreadySeeded(busy)
        # Whole minutes, shared by planner and writer: what falls in the activity window
        # depends on the seed only, not on the second the command runs.
        now = timezone.now().replace(second=0, microsecond=0)
        # Millions of young objects and no reference cycles: the cyclic garbage collector
        # would only rescan them over and over (it tripled the planning time of "large").
        collecting = gc.isenabled()
        gc.disable()
        try:
            _generate_teams(teams, size, seed, scale, names, now, log)
        finally:
            if collecting:
                gc.enable()
        # Written in bulk, past the signals that keep the KPI rollups: count them afresh.
        step = time.monotonic()
        cells = rollups_rebuild(team_ids=[team.pk for team in teams])
        log(f"KPI rollups: {cells:,} cells in {time.monotonic() - step:.1f} s")
        # And what each contact's row says of their asks and readiness (the same signals).
        contact_facts_rebuild(team_ids=[team.pk for team in teams])
    # Fresh planner statistics for the new data, on SQLite above all (it gathers none by
    # itself): without them a large team's pages pick the wrong indexes.
    statistics_refresh()
    result = _result(size, seed, teams)
    result.seconds = time.monotonic() - started
    return result


def _generate_teams(
    teams: list[Team],
    size: Size,
    seed: int,
    scale: float,
    names: NamePools,
    now: datetime,
    log: Callable[[str], None],
) -> None:
    for index, team in enumerate(teams):
        step = time.monotonic()
        members = team_members(team)
        profile = contact_services.ideal_client_profile_update(team=team, data=_icp_for(index))
        planner = TeamPlanner(
            team=team,
            members=members,
            size=size,
            rng=random.Random(f"{seed}/{size.name}/{index}"),
            names=names,
            profile=profile,
            share=1 / len(teams),
            scale=1.0 if size.through_services else scale,
            now=now,
        )
        plan = planner.build()
        planned = time.monotonic()
        log(
            f"{team.name}: planned {len(plan.contacts):,} contacts, {len(plan.edges):,} "
            f"relationships, {len(plan.referrals):,} referrals in {planned - step:.1f} s"
        )
        if size.through_services:
            ServiceWriter(plan).write()
        else:
            BulkWriter(plan, activity_days=size.activity_days, now=now).write()
        log(f"{team.name}: written in {time.monotonic() - planned:.1f} s")
        del plan, planner  # before the next team's plan is built


def _result(size: Size, seed: int, teams: list[Team]) -> Result:
    team_ids = [team.pk for team in teams]
    counts = {
        "teams": len(teams),
        "members": Membership.objects.filter(team_id__in=team_ids).count(),
        "companies": Company.objects.filter(team_id__in=team_ids).count(),
        "contacts": Contact.objects.filter(team_id__in=team_ids).count(),
        "relationships": Relationship.objects.filter(team_id__in=team_ids).count(),
        "readiness checks": ReadinessCheck.objects.filter(team_id__in=team_ids).count(),
        "roster entries": RosterEntry.objects.filter(team_id__in=team_ids).count(),
        "referrals": Referral.objects.filter(team_id__in=team_ids).count(),
        "deals": Deal.objects.filter(team_id__in=team_ids).count(),
        "referrals given": ReferralGiven.objects.filter(team_id__in=team_ids).count(),
        "weekly goals": WeeklyGoal.objects.filter(team_id__in=team_ids).count(),
        "activities": Activity.objects.filter(team_id__in=team_ids).count(),
        "follow-ups": FollowUp.objects.filter(team_id__in=team_ids).count(),
    }
    statuses = dict(
        Referral.objects.filter(team_id__in=team_ids)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    sources = dict(
        Deal.objects.filter(team_id__in=team_ids)
        .values_list("source")
        .annotate(n=Count("id"))
        .order_by()
    )
    logins = [
        (membership.team.name, membership.role, membership.user.username)
        for membership in Membership.objects.filter(team_id__in=team_ids)
        .select_related("team", "user")
        .order_by("team__name", "role", "user__username")
    ]
    return Result(size.name, seed, teams, counts, statuses, sources, 0.0, logins)
