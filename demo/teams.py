"""The teams of each size and their logins, and deleting them again (``seed --fresh``)."""

from __future__ import annotations

import random
from collections.abc import Iterable

from django.contrib.auth.hashers import make_password
from django.db import connection
from faker import Faker

from accounts.models import Membership, Team, User
from contacts import services as contact_services
from contacts.models import Activity, Company, Contact, IdealClientProfile, Relationship
from contacts.services import team_member_add
from demo import DEMO_ADMIN, DEMO_PASSWORD, DEMO_PEOPLE, DEMO_TEAM
from demo.plan import Member, Size
from demo.words import ascii_slug
from followups.models import FollowUp
from referrals.models import (
    Deal,
    ReadinessCheck,
    Referral,
    ReferralGiven,
    RosterEntry,
    WeeklyGoal,
)


def demo_team_ensure(*, reset_passwords: bool = True) -> Team:
    """The demo team and its three logins (idempotent). With reset_passwords the demo
    password is set again, so the printed logins always work."""
    for username, first_name, last_name, role in DEMO_PEOPLE:
        exists = User.objects.filter(username=username).exists()
        team_member_add(
            team_name=DEMO_TEAM,
            username=username,
            role=role,
            password=DEMO_PASSWORD if reset_passwords or not exists else None,
            email=f"{username}@northwind.example",
            first_name=first_name,
            last_name=last_name,
        )
    return Team.objects.get(name=DEMO_TEAM)


def demo_admin_ensure(*, reset_password: bool = True) -> User:
    """The demo's admin (idempotent): staff and superuser, in no team, so a newcomer can
    open /admin/ at once. With reset_password the demo password is set again, as for the
    team's logins; an existing user of that name is made staff, never demoted."""
    username, first_name, last_name = DEMO_ADMIN
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "email": f"{username}@northwind.example",
        },
    )
    user.is_staff = user.is_superuser = user.is_active = True
    if created or reset_password:
        user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def generated_members_ensure(size: Size, seed: int) -> None:
    """Teams of the bulk sizes: a manager and `reps_per_team` reps each, with human names
    and the demo password (hashed once, not once per user)."""
    rng = random.Random(f"{seed}/{size.name}/members")
    fake = Faker(["en_US", "en_GB"])
    fake.seed_instance(seed)
    taken = set(User.objects.values_list("username", flat=True))
    password = make_password(DEMO_PASSWORD)
    for team_name in size.teams:
        domain = f"{ascii_slug(team_name)}.example"
        roles = [Membership.Role.MANAGER] + [Membership.Role.REP] * size.reps_per_team
        for role in roles:
            first, last = fake.first_name(), fake.last_name()
            base = f"{ascii_slug(first, '')}.{ascii_slug(last, '')}"
            username = base
            while username in taken:
                username = f"{base}{rng.randint(2, 99)}"
            taken.add(username)
            team_member_add(
                team_name=team_name,
                username=username,
                role=role,
                email=f"{username}@{domain}",
                first_name=first,
                last_name=last,
            )
        User.objects.filter(memberships__team__name=team_name).update(password=password)


def team_members(team: Team) -> list[Member]:
    memberships = Membership.objects.filter(team=team).select_related("user").order_by("id")
    members = []
    for membership in memberships:
        contact = contact_services.contact_for_user_ensure(user=membership.user, team=team)
        members.append(Member(membership.user, membership.role, contact))
    return members


# Deleted in this order by --fresh (children before parents); rows of other features that
# point at them go first, through the ORM.
TEAM_TABLES_IN_DELETE_ORDER = [
    FollowUp,  # a million rows in "large": emptied in bulk, before referrals and contacts
    Activity,
    Deal,
    Referral,
    RosterEntry,
    ReadinessCheck,
    ReferralGiven,
    WeeklyGoal,
    Relationship,
    IdealClientProfile,
    Contact,
    Company,
]


def teams_delete(team_names: Iterable[str]) -> int:
    """Delete these teams with everything in them, and the logins that belonged to them
    only (never staff). Big tables are emptied with plain DELETEs, not row by row."""
    teams = list(Team.objects.filter(name__in=list(team_names)))
    if not teams:
        return 0
    team_ids = [team.pk for team in teams]
    ours = set(TEAM_TABLES_IN_DELETE_ORDER)
    for model in TEAM_TABLES_IN_DELETE_ORDER:
        for relation in model._meta.related_objects:
            related = relation.related_model
            if related in ours or relation.many_to_many or not relation.field.concrete:
                continue
            related._base_manager.filter(
                **{f"{relation.field.name}__team_id__in": team_ids}
            ).delete()
    for model in TEAM_TABLES_IN_DELETE_ORDER:
        model._base_manager.filter(team_id__in=team_ids)._raw_delete(connection.alias)
    member_ids = set(
        Membership.objects.filter(team_id__in=team_ids).values_list("user_id", flat=True)
    )
    elsewhere = set(
        Membership.objects.filter(user_id__in=member_ids)
        .exclude(team_id__in=team_ids)
        .values_list("user_id", flat=True)
    )
    Team.objects.filter(pk__in=team_ids).delete()
    User.objects.filter(pk__in=member_ids - elsewhere, is_staff=False).delete()
    return len(teams)


def team_has_data(team: Team) -> bool:
    """Anything besides the members' own contact records."""
    return Contact.objects.filter(team=team, user__isnull=True).exists()
