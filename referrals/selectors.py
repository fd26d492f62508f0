"""Reads of the rep's referral work shared by pages, API, admin and the rep's week.

Every function scopes through accounts.visibility (a rep sees their own records, a
manager the team's, staff everything) and returns a queryset whose related rows are
already joined, so a page that loops over it costs the same whatever its size. Callers
slice them (`[:10]`) or paginate them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import (
    Case,
    Count,
    Exists,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from accounts.models import Membership, Team, User
from accounts.visibility import (
    owned_records_filter,
    shared_records_filter,
    visible_owned,
    visible_shared,
)
from contacts import rhythm
from contacts import selectors as contact_selectors
from contacts.models import Activity, Contact, ContactKind
from contacts.selectors import contact_search_filter
from referrals import connectors, ranking
from referrals.models import (
    OPEN_STATUSES,
    ROSTER_ORDER,
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
    contacts = contacts.filter(contact_search_filter(query, user=user, team=team))
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


# What a row of the page's referral sections shows (templates/contacts/contact_detail.html):
# the other person's name, the status and the day of the ask. Reading only that, not the
# joined tables' every column, halves the cost of composing and loading the sections.
CONTACT_REFERRAL_FIELDS = ("id", "status", "asked_at")


def _named(whom: str) -> tuple[str, ...]:
    """The fields that name the person of a referral's `whom` field (a row's link and
    name): their id, first and last name."""
    return (whom, f"{whom}__first_name", f"{whom}__last_name")


def _contact_referral_rows(referrals: QuerySet[Referral], other: str) -> QuerySet[Referral]:
    return referrals.select_related(other).only(*CONTACT_REFERRAL_FIELDS, *_named(other))


def contact_referrals_as_referrer(*, user, contact: Contact) -> QuerySet[Referral]:
    """The asks for an introduction made of this person that the user may see, newest
    first, each with the prospect's name."""
    referrals = visible_owned(Referral.objects.filter(referrer=contact), user)
    return _contact_referral_rows(referrals, "prospect")


def contact_referrals_as_prospect(*, user, contact: Contact) -> QuerySet[Referral]:
    """The asks for an introduction to this person that the user may see, newest first,
    each with the referrer's name."""
    referrals = visible_owned(Referral.objects.filter(prospect=contact), user)
    return _contact_referral_rows(referrals, "referrer")


def contact_own_roster_entry(*, user, contact: Contact) -> RosterEntry | None:
    """The user's own roster entry for this person, if they have put them on it."""
    return RosterEntry.objects.filter(owner=user, prospect=contact).only("pk", "status").first()


def contact_readiness_history(*, user, contact: Contact) -> QuerySet[ReadinessCheck]:
    """The readiness conversations with this person the user may see, latest first."""
    return visible_owned(ReadinessCheck.objects.filter(client=contact), user).order_by(
        "-checked_on", "-id"
    )


def contact_latest_readiness(*, user, contact: Contact) -> ReadinessCheck | None:
    return (
        visible_owned(ReadinessCheck.objects.filter(client=contact), user)
        .order_by("-checked_on", "-id")
        .first()
    )


def contact_deals(*, user, contact: Contact) -> QuerySet[Deal]:
    return visible_owned(Deal.objects.filter(contact=contact), user)


TIMELINE_FIELDS = (
    *("id", "occurred_at", "description"),
    *("actor", "actor__first_name", "actor__last_name", "actor__username"),
)


def contact_timeline(*, user, contact: Contact) -> QuerySet[Activity]:
    """What happened with this person, newest first: lines about them, and lines about
    the referrals where they are the referrer or the prospect. Their referrals are read
    first (a few ids): a list, unlike a subquery, lets the database read the lines of each
    from its own index, where it read all the team's lines to test each against the
    subquery (7 ms for 12 lines on the large set)."""
    their_referrals = list(
        Referral.objects.filter(Q(referrer=contact) | Q(prospect=contact)).values_list(
            "pk", flat=True
        )
    )
    return (
        visible_shared(Activity.objects.all(), user)
        .filter(Q(contact=contact) | Q(referral__in=their_referrals))
        .select_related("actor")
        # What a line shows: when, what, and who (the actor's name, or "you").
        .only(*TIMELINE_FIELDS)
        .order_by("-occurred_at", "-id")
    )


# --- Roster -------------------------------------------------------------------------------


def own_roster_entries_by_prospect(*, user, prospect_ids: Iterable[int]) -> dict[int, RosterEntry]:
    """The user's own roster entries for these people, by prospect id (one query): the
    fits page marks who is already on the roster."""
    entries = RosterEntry.objects.filter(owner=user, prospect_id__in=list(prospect_ids))
    return {entry.prospect_id: entry for entry in entries.only("pk", "prospect_id", "status")}


def roster_for_user(user, *, team: Team | None = None) -> QuerySet[RosterEntry]:
    """The roster the user may see (their own; a manager's whole team): the prospects still
    to win first, won and lost ones last; in each, highest priority first, then the best
    fit."""
    entries = visible_owned(RosterEntry.objects.all(), user)
    # Read in the order of the indexes roster_owner_order and roster_team_order.
    return (
        _in_team(entries, team)
        .select_related("owner", "prospect", "prospect__company")
        .order_by(*ROSTER_ORDER)
    )


# How many waiting roster entries are looked at for a warm path (one query, bounded).
WARM_PATH_CANDIDATES = 20


def roster_next_asks(user, *, team: Team, limit: int) -> list[RosterEntry]:
    """Whom to ask about next: the user's own roster entries still looking for a path (the
    first WARM_PATH_CANDIDATES in roster order), each with `best_connector`, the best path
    within two introductions as the connectors page ranks it (connectors.best_connectors_
    for), those with a path first. Shared by the rep's week and the morning digest."""
    waiting = list(
        roster_for_user(user, team=team).filter(owner=user, status=RosterEntry.Status.WANTED)[
            :WARM_PATH_CANDIDATES
        ]
    )
    best = connectors.best_connectors_for(targets=[e.prospect for e in waiting], user=user)
    for entry in waiting:
        entry.best_connector = best.get(entry.prospect_id)
    # An ask needs a path: prospects with one first, each group in roster order.
    return sorted(waiting, key=lambda entry: entry.best_connector is None)[:limit]


def team_next_asks(viewer, *, team: Team, limit: int) -> list[RosterEntry]:
    """The team's best asks not yet made (the weekly summary's "warm paths waiting"): of
    the team's reps' roster entries waiting for an ask that `viewer` may see (a manager:
    the team's), those with a warm path, best chance first across the team, at most `limit`. Each is
    an entry of its owner's roster_next_asks, so its `best_connector` is the path the
    connectors page ranks first *for that rep* (the ranking reads the rep's own ties):
    one ranking, read from each rep's side, then ordered by the model's rank key.

    Queries: the reps whose entries wait (one), then for each of them their roster's
    waiting entries, their memberships (visibility) and one search for all their
    prospects (roster_next_asks: three). A rep with nothing waiting costs nothing."""
    waiting = visible_owned(
        RosterEntry.objects.filter(team=team, status=RosterEntry.Status.WANTED), viewer
    )
    owners = User.objects.filter(
        is_active=True,
        memberships__team=team,
        memberships__role=Membership.Role.REP,
        pk__in=waiting.order_by().values("owner_id"),
    ).order_by("first_name", "last_name", "username", "pk")
    asks = [
        entry
        for owner in owners
        for entry in roster_next_asks(owner, team=team, limit=WARM_PATH_CANDIDATES)
        if entry.best_connector is not None
    ]

    def best_first(entry: RosterEntry):
        best = entry.best_connector
        return ranking.rank_key(best.score, best.hops, best.connector.full_name, best.connector.pk)

    # sorted() is stable: at an equal rank key, owners by name, each in roster order.
    return sorted(asks, key=best_first)[:limit]


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


# What a list of asks shows of each (the pipeline, the rep's week): where it stands, when
# it was asked and won, who was asked to introduce whom, the prospect's company, the rep.
ASK_ROW_FIELDS = (
    *("id", "status", "quality", "asked_at", "won_at", "value"),
    *("owner", "owner__first_name", "owner__last_name", "owner__username"),
    *("referrer", "referrer__first_name", "referrer__last_name"),
    *("prospect", "prospect__first_name", "prospect__last_name"),
    *("prospect__company", "prospect__company__name"),
)


def as_ask_rows(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """A list of referrals (referrals_for_user's) read for its rows only: composing and
    planning the five joined tables' every column cost more than reading the rows."""
    return (
        referrals.select_related(None)
        .select_related("owner", "referrer", "prospect__company")
        .only(*ASK_ROW_FIELDS)
    )


def pipeline_counts(user, *, team: Team | None = None, own: bool = False) -> dict[str, int]:
    """How many of the user's visible referrals (with `own`, only those they own: a
    manager's own week) are in each status — one query; every status is present (0 when
    none). Counted on team_id, not the id: the (team, owner, status) index — or, for a
    manager's whole team, (team, status) — then holds all the query reads, and the
    database never visits the rows."""
    counts = dict.fromkeys(Referral.Status.values, 0)
    referrals = _in_team(visible_owned(Referral.objects.all(), user), team)
    if own:
        referrals = referrals.filter(owner=user)
    rows = referrals.order_by().values_list("status").annotate(total=Count("team"))
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


# --- Keeping the network warm (the rep's week, the morning digest) ---------------------------

# A client whose last readiness conversation is older than this is due another.
READINESS_STALE_DAYS = 180
# "Their intro just closed": a referral of theirs won or lost this recently.
JUST_CLOSED_DAYS = 30
# "Asked in the last…" of the KPI and of "never asked".
ASKED_WITHIN_DAYS = 90


@dataclass(frozen=True)
class ColdContact:
    contact: Contact
    days_silent: int
    rhythm_days: int
    reason: str


REASON_OPEN_REFERRAL = "Tell them how it is going with {prospect}, whom they introduced."
REASON_READINESS = (
    "Time for a readiness conversation: what have we done right, what could we do better?"
)
REASON_BY_KIND = {
    ContactKind.CLIENT: "Check in: how is working with us going?",
    ContactKind.PARTNER: "Swap news: whom are they working with, and how can we help them?",
    ContactKind.FORMER_CLIENT: "Catch up: what has changed since we worked together?",
}
REASON_CATCH_UP = "Catch up: it has been a while."


def going_cold_for_user(user, *, team: Team, now: datetime, limit: int) -> tuple[list, int]:
    """The first `limit` people this rep looks after who are going cold (contacts.rhythm),
    longest silent first, each with a reason to call — an open referral they gave us,
    a readiness conversation due, else what their kind suggests — and how many there are.
    Four queries whatever the team's size."""
    cold = contact_selectors.contacts_going_cold(user=user, team=team, now=now)
    total = cold.count()
    people = list(cold[:limit])
    ids = [person.pk for person in people]
    open_asks: dict[int, str] = {}
    for referrer_id, first, last in (
        Referral.objects.filter(referrer_id__in=ids, status__in=OPEN_STATUSES, owner=user)
        .order_by("-asked_at")
        .values_list("referrer_id", "prospect__first_name", "prospect__last_name")
    ):
        open_asks.setdefault(referrer_id, f"{first} {last}".strip())
    checked: dict[int, date] = dict(
        ReadinessCheck.objects.filter(client_id__in=ids)
        .order_by()
        .values("client_id")
        .annotate(last=Max("checked_on"))
        .values_list("client_id", "last")
    )
    stale_before = now.date() - timedelta(days=READINESS_STALE_DAYS)
    rows = []
    for person in people:
        if person.pk in open_asks:
            reason = REASON_OPEN_REFERRAL.format(prospect=open_asks[person.pk])
        elif person.kind == ContactKind.CLIENT and checked.get(person.pk, date.min) < stale_before:
            reason = REASON_READINESS
        else:
            reason = REASON_BY_KIND.get(person.kind, REASON_CATCH_UP)
        rows.append(
            ColdContact(
                contact=person,
                days_silent=(now - person.silent_since).days,
                rhythm_days=rhythm.rhythm_days(person),
                reason=reason,
            )
        )
    return rows, total


LOST_LIKED_US_DAYS = 180


@dataclass(frozen=True)
class AskAgain:
    contact: Contact
    why: str
    referral: Referral | None = None


# What a row of "ask at the right moment" shows of a person (templates/dashboard/
# _week_ask_again_list.html: a name and a link), and of the referral it comes from.
ASK_AGAIN_PERSON = ("id", "first_name", "last_name")


def _ask_again_referral(when: str) -> tuple[str, ...]:
    return ("id", when, *_named("referrer"), *_named("prospect"))


def _open_ask_through(whom: str) -> Exists:
    """Whether the person in the row's `whom` field has an open ask through them: asked
    again since, so not someone to ask now."""
    return Exists(Referral.objects.filter(referrer=OuterRef(whom), status__in=OPEN_STATUSES))


def ask_again_for_user(user, *, team: Team, now: datetime, limit: int) -> dict[str, list]:
    """Whom to ask (again) for an introduction, three lists of at most `limit`, three
    queries: green-light clients of the rep never asked (their latest readiness
    conversation gave the green light); referrers whose introduction was won in the last
    JUST_CLOSED_DAYS ("they have more to give"); prospects lost after a meeting in the last
    LOST_LIKED_US_DAYS (they met us and liked us enough to meet: ask whom they know).
    Nobody with an open ask through them is listed."""
    # From the contact's own facts (referrals.contact_facts): the answer of their latest
    # readiness conversation, and their latest ask as a referrer — none, never asked.
    never_asked = list(
        Contact.objects.filter(
            team=team,
            owner=user,
            kind=ContactKind.CLIENT,
            green_light=True,
            last_asked_at__isnull=True,
        )
        .only(*ASK_AGAIN_PERSON)
        .order_by("last_name", "first_name", "pk")[:limit]
    )
    closed = (
        visible_owned(Referral.objects.all(), user)
        .filter(team=team, owner=user)
        .filter(status=Referral.Status.WON, won_at__gte=now - timedelta(days=JUST_CLOSED_DAYS))
        .filter(~_open_ask_through("referrer"))
        .select_related("referrer", "prospect")
        .only(*_ask_again_referral("won_at"))
        .order_by("-won_at", "-pk")
    )
    just_closed, seen = [], set()
    for referral in closed[: limit * 3]:
        if referral.referrer_id in seen or len(just_closed) == limit:
            continue
        seen.add(referral.referrer_id)
        just_closed.append(
            AskAgain(
                referral.referrer,
                f"Their introduction to {referral.prospect} became a client: they have more "
                "to give.",
                referral,
            )
        )
    lost = (
        visible_owned(Referral.objects.all(), user)
        .filter(
            team=team,
            owner=user,
            status=Referral.Status.LOST,
            meeting_at__isnull=False,
            lost_at__gte=now - timedelta(days=LOST_LIKED_US_DAYS),
        )
        .filter(~_open_ask_through("prospect"))
        .select_related("prospect", "referrer")
        .only(*_ask_again_referral("lost_at"))
        .order_by("-lost_at", "-pk")[:limit]
    )
    return {
        "never_asked": [
            AskAgain(client, "Gave the green light and has never been asked.")
            for client in never_asked
        ],
        "just_closed": just_closed,
        "lost_liked_us": [
            AskAgain(
                referral.prospect,
                f"Met us (via {referral.referrer}) but did not buy: ask whom they know.",
                referral,
            )
            for referral in lost
        ],
    }
