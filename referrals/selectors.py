"""Reads of the rep's referral work shared by pages, API, admin and the rep's week.

Every function scopes through accounts.visibility (a rep sees their own records, a
manager the team's, staff everything) and returns a queryset whose related rows are
already joined, so a page that loops over it costs the same whatever its size. Callers
slice them (`[:10]`) or paginate them.
"""

from collections.abc import Iterable

from django.db.models import Case, Count, OuterRef, QuerySet, Subquery, Value, When

from accounts.models import Team
from accounts.selectors import team_members
from accounts.visibility import visible_owned, visible_shared
from contacts.models import Activity, Contact, ContactKind
from contacts.selectors import contact_search_filter
from referrals.models import (
    Deal,
    IdealClientProfile,
    ReadinessCheck,
    Referral,
    ReferralGiven,
    RosterEntry,
)

# A contact "fits well" from this score on (the ICP page counts them; the roster marks them).
GOOD_FIT_SCORE = 70
# Statuses of a referral still in progress, in pipeline order.
OPEN_STATUSES = (
    Referral.Status.ASKED,
    Referral.Status.CONFIRMED,
    Referral.Status.CONTACTED,
    Referral.Status.MEETING,
)


def _in_team(queryset: QuerySet, team: Team | None) -> QuerySet:
    return queryset if team is None else queryset.filter(team=team)


# --- Contacts to pick from ----------------------------------------------------------------


def contacts_for_picking(user, *, team: Team | None = None) -> QuerySet[Contact]:
    """The team's contacts a form may refer to (referrer, prospect, client…)."""
    contacts = visible_shared(Contact.objects.all(), user)
    return _in_team(contacts, team).select_related("company")


def contact_search(
    user, *, team: Team | None, query: str = "", prefer_kind: str = "", limit: int = 20
) -> list[Contact]:
    """At most `limit` contacts matching a name, email or company, for the pickers, those
    of `prefer_kind` (e.g. clients, for a referrer) first. Bounded on purpose: a team may
    hold hundreds of thousands of contacts."""
    contacts = contacts_for_picking(user, team=team)
    contacts = contacts.filter(contact_search_filter(query))
    order = ["-fit_score", "last_name", "first_name", "pk"]
    if prefer_kind in ContactKind.values:
        contacts = contacts.alias(
            preferred=Case(When(kind=prefer_kind, then=Value(0)), default=Value(1))
        )
        order.insert(0, "preferred")
    return list(contacts.order_by(*order)[:limit])


# --- Roster -------------------------------------------------------------------------------


def roster_for_user(user, *, team: Team | None = None) -> QuerySet[RosterEntry]:
    """The roster the user may see (their own; a manager's whole team), highest priority
    first, then the best fit."""
    entries = visible_owned(RosterEntry.objects.all(), user)
    return (
        _in_team(entries, team)
        .select_related("owner", "prospect", "prospect__company")
        .order_by("priority", "-prospect__fit_score", "-created_at", "-pk")
    )


# --- Referrals ------------------------------------------------------------------------------


def referrals_for_user(
    user, status: str | Iterable[str] | None = None, *, team: Team | None = None
) -> QuerySet[Referral]:
    """The referrals the user may see, newest ask first; `status` one value or several."""
    referrals = _in_team(visible_owned(Referral.objects.all(), user), team)
    if isinstance(status, str):
        referrals = referrals.filter(status=status)
    elif status is not None:
        referrals = referrals.filter(status__in=list(status))
    return referrals.select_related(
        "owner", "referrer", "referrer__company", "prospect", "prospect__company"
    ).order_by("-asked_at", "-pk")


def pipeline_counts(user, *, team: Team | None = None) -> dict[str, int]:
    """How many of the user's visible referrals are in each status — one query; every
    status is present (0 when none). Counted on team_id, not the id: the (team, owner,
    status) index then holds all the query reads, and PostgreSQL never visits the rows."""
    counts = dict.fromkeys(Referral.Status.values, 0)
    rows = (
        _in_team(visible_owned(Referral.objects.all(), user), team)
        .order_by()
        .values_list("status")
        .annotate(total=Count("team"))
    )
    counts.update(dict(rows))
    return counts


def referral_timeline(referral: Referral, *, limit: int = 100) -> list[Activity]:
    return list(
        Activity.objects.filter(referral=referral)
        .select_related("actor")
        .order_by("-occurred_at", "-pk")[:limit]
    )


# --- Readiness ------------------------------------------------------------------------------


def latest_readiness_by_client(
    client_ids: Iterable[int], *, user=None
) -> dict[int, ReadinessCheck]:
    """The most recent readiness check of each of these clients, in one query. With
    `user`, only checks that user may see count (a rep's own; a manager's team's)."""
    client_ids = list(client_ids)
    if not client_ids:
        return {}
    checks = ReadinessCheck.objects.all()
    if user is not None:
        checks = visible_owned(checks, user)
    latest_per_client = checks.filter(client_id=OuterRef("client_id")).order_by(
        "-checked_on", "-pk"
    )
    latest = checks.filter(
        client_id__in=client_ids, pk=Subquery(latest_per_client.values("pk")[:1])
    )
    return {check.client_id: check for check in latest}


def readiness_checks_for_user(user, *, team: Team | None = None) -> QuerySet[ReadinessCheck]:
    checks = _in_team(visible_owned(ReadinessCheck.objects.all(), user), team)
    return checks.select_related("owner", "client", "client__company").order_by(
        "-checked_on", "-pk"
    )


# --- Deals and reciprocity -------------------------------------------------------------------


def deals_for_user(user, *, team: Team | None = None) -> QuerySet[Deal]:
    deals = _in_team(visible_owned(Deal.objects.all(), user), team)
    return deals.select_related("owner", "contact", "contact__company", "referral").order_by(
        "-opened_on", "-pk"
    )


def referrals_given_for_user(user, *, team: Team | None = None) -> QuerySet[ReferralGiven]:
    given = _in_team(visible_owned(ReferralGiven.objects.all(), user), team)
    return given.select_related("owner", "client", "client__company", "introduced").order_by(
        "-given_on", "-pk"
    )


# --- Ideal client profile -------------------------------------------------------------------


def ideal_client_profile_for_team(team: Team) -> IdealClientProfile:
    """The team's profile, or an unsaved empty one (with the default weights)."""
    profile = IdealClientProfile.objects.filter(team=team).first() or IdealClientProfile()
    profile.team = team  # the caller's object: no query to show its name
    return profile


def good_fit_count(team: Team) -> int:
    return Contact.objects.filter(team=team, fit_score__gte=GOOD_FIT_SCORE).count()


# --- The team at a glance (manager's page) ---------------------------------------------------


def team_activity_by_member(*, team: Team) -> list[dict]:
    """One row per member of the team: their roster size and how many of their referrals
    stand in each status. Three queries whatever the team's size (members, roster counts,
    referral counts by owner and status)."""
    members = list(team_members(team=team))
    roster_sizes = dict(
        RosterEntry.objects.filter(team=team)
        .order_by()
        .values_list("owner")
        .annotate(total=Count("pk"))
    )
    by_owner: dict[int, dict[str, int]] = {}
    for owner_id, status, total in (
        Referral.objects.filter(team=team)
        .order_by()
        .values_list("owner", "status")
        .annotate(total=Count("pk"))
    ):
        by_owner.setdefault(owner_id, {})[status] = total
    rows = []
    for membership in members:
        counts = dict.fromkeys(Referral.Status.values, 0)
        counts.update(by_owner.get(membership.user_id, {}))
        rows.append(
            {
                "membership": membership,
                "user": membership.user,
                "roster": roster_sizes.get(membership.user_id, 0),
                "counts": counts,
                "by_status": [counts[status] for status in Referral.Status.values],
                "asked_total": sum(counts.values()),
            }
        )
    return rows


def team_activity_totals(rows: list[dict]) -> dict:
    return {
        "roster": sum(row["roster"] for row in rows),
        "by_status": [
            sum(row["by_status"][index] for row in rows)
            for index in range(len(Referral.Status.values))
        ],
        "asked_total": sum(row["asked_total"] for row in rows),
    }
