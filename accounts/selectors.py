"""Reads about users, teams and roles, shared by views, API, tasks and admin."""

from django.db.models import QuerySet

from accounts.models import Membership, Team, User
from accounts.visibility import user_memberships


def memberships_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("team").order_by("team__name")


def active_membership(*, user: User, team_id: int | None = None) -> Membership | None:
    """The membership a page works in: the team the user picked (kept in the session),
    else their first team. None for a user who belongs to no team (e.g. a pure admin)."""
    if not user.is_authenticated:
        return None
    memberships = user_memberships(user)  # read once per request, shared with the rules
    if not memberships:
        return None
    if team_id is not None:
        for membership in memberships:
            if membership.team_id == team_id:
                return membership
    return memberships[0]


def team_members(*, team: Team) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(team=team)
        .select_related("user")
        .order_by("-role", "user__first_name", "user__last_name", "user__username")
    )
