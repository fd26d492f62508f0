"""Who may see what — the one place the team/owner rules of DESIGN.md live.

- Team-shared records (companies, contacts, relationships, timeline): every member of
  the team sees them; nobody else does.
- Owned records (roster, readiness checks, referrals, deals, referrals given, follow-ups):
  a rep sees their own; a manager sees the whole team's.
- Admins (Django staff) see everything.
- Change history (audit): a record's owner, the team's managers and admins.
- Nothing crosses teams. Pages, API and admin filter their querysets through these
  functions, so an object of another team is simply not found (404, never 403).
- New records go to the team the user works in now (picked in the navigation, kept in
  the session: accounts.middleware sets request.membership), and lists show that team:
  `working_team`, `working_membership` and `working_team_or_none` below.
"""

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from accounts.models import Membership, Team

NO_TEAM = "You are not in a team yet: ask a manager to add you to theirs."

_CACHE_ATTRIBUTE = "_warmpath_memberships"


def user_memberships(user) -> list[Membership]:
    """The user's memberships with their teams, by team name. Cached on the user object:
    one query per request, for the team the request works in (accounts.selectors.
    active_membership) and however many querysets these rules scope."""
    if not hasattr(user, _CACHE_ATTRIBUTE):
        memberships = Membership.objects.filter(user=user).select_related("team")
        setattr(user, _CACHE_ATTRIBUTE, list(memberships.order_by("team__name", "pk")))
    return getattr(user, _CACHE_ATTRIBUTE)


def team_ids(user) -> list[int]:
    """The teams whose shared records the user sees."""
    if not user.is_authenticated:
        return []
    return [membership.team_id for membership in user_memberships(user)]


def managed_team_ids(user) -> list[int]:
    if not user.is_authenticated:
        return []
    return [m.team_id for m in user_memberships(user) if m.role == Membership.Role.MANAGER]


def is_manager_of(user, team_id: int) -> bool:
    return user.is_authenticated and (user.is_staff or team_id in managed_team_ids(user))


def shared_records_filter(user, *, team_field: str = "team") -> Q:
    if user.is_authenticated and user.is_staff:
        return Q()
    return Q(**{f"{team_field}__in": team_ids(user)})


def owned_records_filter(user, *, team_field: str = "team", owner_field: str = "owner") -> Q:
    if user.is_authenticated and user.is_staff:
        return Q()
    if not user.is_authenticated:
        return Q(pk__in=[])
    managed = managed_team_ids(user)
    as_rep = [team_id for team_id in team_ids(user) if team_id not in managed]
    return Q(**{f"{team_field}__in": managed}) | Q(
        **{f"{team_field}__in": as_rep, owner_field: user}
    )


def visible_shared(queryset: QuerySet, user, *, team_field: str = "team") -> QuerySet:
    return queryset.filter(shared_records_filter(user, team_field=team_field))


def visible_owned(
    queryset: QuerySet, user, *, team_field: str = "team", owner_field: str = "owner"
) -> QuerySet:
    return queryset.filter(
        owned_records_filter(user, team_field=team_field, owner_field=owner_field)
    )


def visible_history(
    queryset: QuerySet, user, *, team_field: str = "team", owner_field: str = "owner"
) -> QuerySet:
    """Records whose change history (who changed what, when) the user may read: their
    own, every record of the teams they manage, everything for admins. The same rule as
    owned records, also for contacts: a contact is shared with the whole team, but its
    audit trail is for its owner and the managers, so a teammate gets the same 404 as
    an outsider."""
    return visible_owned(queryset, user, team_field=team_field, owner_field=owner_field)


def get_visible_or_404(queryset: QuerySet, **lookup) -> Model:
    """Fetch one object from an already-scoped queryset; absent and forbidden look alike."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No {queryset.model._meta.verbose_name} matches.") from None


# --- The team the user works in ------------------------------------------------------------


class NoWorkingTeam(Http404):
    """The user belongs to no team, so there is no team to work in. A page answers 404 (an
    Http404, like any record out of reach); the API answers 400 {"detail": NO_TEAM}
    (config.api), as for any request it cannot carry out as sent."""

    def __init__(self):
        super().__init__(NO_TEAM)


def working_membership(request) -> Membership:
    """The user's membership in the team they work in now (its role included), or
    NoWorkingTeam."""
    membership = getattr(request, "membership", None)
    if not membership:
        raise NoWorkingTeam()
    return membership


def working_team(request) -> Team:
    """The team the user works in now: where new records go, what team pages show. Someone
    of no team gets NoWorkingTeam."""
    return working_membership(request).team


def working_team_or_none(request) -> Team | None:
    """The team lists show: the one the user works in; None for someone of no team, whose
    lists show what the visibility rules above allow (every team for staff, nothing for
    others). Also None without a request (a serializer built for the API schema)."""
    membership = getattr(request, "membership", None)
    return membership.team if membership else None
