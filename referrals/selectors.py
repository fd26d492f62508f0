"""Reads of the rep's referral work shared by pages, API, admin and the rep's week.

Every function scopes through accounts.visibility (a rep sees their own records, a
manager the team's, staff everything) and returns a queryset whose related rows are
already joined, so a page that loops over it costs the same whatever its size. Callers
slice them (`[:10]`) or paginate them.
"""

from collections.abc import Iterable

from django.db.models import Case, Count, Q, QuerySet, Value, When

from accounts.models import Team
from accounts.visibility import (
    owned_records_filter,
    shared_records_filter,
    visible_owned,
    visible_shared,
)
from contacts.models import Activity, Contact, ContactKind
from contacts.selectors import contact_search_filter
from referrals.models import (
    Deal,
    ReadinessCheck,
    Referral,
    ReferralGiven,
    RosterEntry,
    WeeklyGoal,
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


# --- A contact's page: their referrals, roster entry, readiness, deals, history -----------

# The page shows the most recent rows of each section, however long the history.
DETAIL_SECTION_LIMIT = 50


def contact_referrals_as_referrer(*, user, contact: Contact) -> QuerySet[Referral]:
    return visible_owned(Referral.objects.filter(referrer=contact), user).select_related(
        "prospect", "owner"
    )


def contact_referrals_as_prospect(*, user, contact: Contact) -> QuerySet[Referral]:
    return visible_owned(Referral.objects.filter(prospect=contact), user).select_related(
        "referrer", "owner"
    )


def contact_own_roster_entry(*, user, contact: Contact) -> RosterEntry | None:
    """The user's own roster entry for this person, if they have put them on it."""
    return RosterEntry.objects.filter(owner=user, prospect=contact).only("pk", "status").first()


def contact_latest_readiness(*, user, contact: Contact) -> ReadinessCheck | None:
    return (
        visible_owned(ReadinessCheck.objects.filter(client=contact), user)
        .order_by("-checked_on", "-id")
        .first()
    )


def contact_deals(*, user, contact: Contact) -> QuerySet[Deal]:
    return visible_owned(Deal.objects.filter(contact=contact), user).select_related("owner")


def contact_timeline(*, user, contact: Contact) -> QuerySet[Activity]:
    """What happened with this person, newest first: lines about them, and lines about
    the referrals where they are the referrer or the prospect."""
    their_referrals = Referral.objects.filter(Q(referrer=contact) | Q(prospect=contact)).values(
        "pk"
    )
    return (
        visible_shared(Activity.objects.all(), user)
        .filter(Q(contact=contact) | Q(referral__in=their_referrals))
        .select_related("actor")
        .order_by("-occurred_at", "-id")
    )


# --- Roster -------------------------------------------------------------------------------


def own_roster_entries_by_prospect(*, user, prospect_ids: Iterable[int]) -> dict[int, RosterEntry]:
    """The user's own roster entries for these people, by prospect id (one query): the
    fits page marks who is already on the roster."""
    entries = RosterEntry.objects.filter(owner=user, prospect_id__in=list(prospect_ids))
    return {entry.prospect_id: entry for entry in entries.only("pk", "prospect_id", "status")}


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


# --- Weekly goals ---------------------------------------------------------------------------


def goals_for_user(user, *, team: Team | None = None) -> QuerySet[WeeklyGoal]:
    """The weekly goals the user may read, newest week first: a team's own goal for every
    member, a rep's goal for that rep (the rep is its owner: accounts.visibility's owned
    records), every goal of the teams they manage; everything for staff. The goals page
    and /api/v1/goals/ read them, narrowed by referrals.filters.GoalFilter."""
    goals = WeeklyGoal.objects.all()
    if not (user.is_authenticated and user.is_staff):
        # Spelled out for staff: an empty Q() would vanish from the OR below.
        team_goals = shared_records_filter(user) & Q(rep__isnull=True)
        goals = goals.filter(owned_records_filter(user, owner_field="rep") | team_goals)
    return _in_team(goals, team).order_by("-week_start", "pk")
