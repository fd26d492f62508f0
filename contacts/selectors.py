"""Reads of the team's network shared by pages, API, admin and exports.

Every function takes the user and returns a queryset already scoped through
accounts.visibility, with the joins the callers need, so no caller can forget either.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Team, User
from accounts.visibility import visible_shared
from contacts import rhythm
from contacts.fit import GOOD_FIT_SCORE
from contacts.models import Company, Contact, ContactKind, IdealClientProfile, Relationship
from core.search import TRIGRAM_LENGTH, InRows, search_words

# A contact's page shows at most so many of their ties (strongest first).
RELATIONSHIP_LIMIT = 100
SEARCH_RESULT_LIMIT = 20


# --- Companies ----------------------------------------------------------------------------


def companies_visible(*, user) -> QuerySet[Company]:
    return visible_shared(Company.objects.all(), user)


def company_list(*, user, team=None) -> QuerySet[Company]:
    """The company list of pages and API (contacts.filters.CompanyFilter narrows it): the
    companies the user sees (of one team when given), with how many people each has,
    sorted by name."""
    companies = companies_visible(user=user)
    if team is not None:
        companies = companies.filter(team=team)
    # Counted per company shown, after the page is cut (PostgreSQL evaluates the
    # subquery past ORDER BY … LIMIT): a join and GROUP BY counted the whole team's
    # contacts for every page (~130 → ~30 ms on the large data set).
    people = (
        Contact.objects.filter(company=OuterRef("pk"))
        .order_by()
        .values("company")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return companies.annotate(
        contact_count=Coalesce(Subquery(people, output_field=IntegerField()), 0)
    ).order_by("name", "pk")


def company_search(*, user, team, q: str) -> QuerySet[Company]:
    companies = companies_visible(user=user).filter(team=team)
    for word in search_words(q):
        companies = companies.filter(name__icontains=word)
    return companies.order_by("name", "pk")[:SEARCH_RESULT_LIMIT]


# --- Contacts -----------------------------------------------------------------------------


# What a list of people going cold shows of each (the rep's week, the morning digest):
# who, what kind of contact, their rhythm; their silence comes from the query itself.
COLD_ROW_FIELDS = ("id", "first_name", "last_name", "kind", "stay_in_touch_days")


def contacts_going_cold(*, user, team, now) -> QuerySet[Contact]:
    """The people this rep looks after who are going cold (contacts.rhythm), longest
    silent first, read for their rows (COLD_ROW_FIELDS)."""
    owned = contacts_visible(user=user).filter(team=team, owner=user)
    return rhythm.going_cold(owned, now=now).only(*COLD_ROW_FIELDS)


def contacts_visible(*, user) -> QuerySet[Contact]:
    return visible_shared(Contact.objects.all(), user)


def contact_search_filter(q: str, *, user=None, team=None) -> Q:
    """Every word of q must appear in the first or last name, the email or the company
    name: "ann acme" finds Ann Client of Acme Corp (core.search's rule).

    Given the `user` whose contacts are searched (and their `team`), only the companies
    they see (of that team) are searched by name, else every company. On SQLite, which
    has no trigram index, the company names are read one by one: those of the user's
    teams only, not every team's (34,000 companies on the large set, 3.2 ms per
    statement).

    The company part is asked as "the contact's company is one of the companies whose
    name matches" rather than through a join, so that on PostgreSQL every branch of the
    OR reads an index (the trigram indexes of contacts' migration 0006 and the company
    foreign key's) instead of every contact of the team (~30-40 → ~2 ms per statement on
    the large data set). Words under three characters, which no trigram index serves,
    keep the join."""
    condition = Q()
    searched = Company.objects.all() if user is None else companies_visible(user=user)
    if team is not None:
        searched = searched.filter(team=team)
    for word in search_words(q):
        if len(word) >= TRIGRAM_LENGTH:
            matching = searched.filter(name__icontains=word).values("pk")
            in_companies = Q(InRows(F("company"), matching.query))
        else:
            # No index helps a word this short: the join reads no company it need not.
            in_companies = Q(company__name__icontains=word)
        condition &= (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | in_companies
        )
    return condition


def contact_list(*, user, team=None) -> QuerySet[Contact]:
    """The contact list of pages, API and CSV export (contacts.filters.ContactFilter
    narrows it): the contacts the user sees (of one team when given), sorted by name."""
    contacts = contacts_visible(user=user)
    if team is not None:
        contacts = contacts.filter(team=team)
    return contacts.select_related("company", "owner").order_by("last_name", "first_name", "pk")


def contact_search(*, user, team, q: str, exclude_pk: int | None = None) -> QuerySet[Contact]:
    """A few contacts of the team matching q, for search-as-you-type pickers."""
    contacts = contacts_visible(user=user).filter(team=team)
    if exclude_pk:
        contacts = contacts.exclude(pk=exclude_pk)
    return (
        contacts.filter(contact_search_filter(q, user=user, team=team))
        .select_related("company")
        .order_by("last_name", "first_name", "pk")[:SEARCH_RESULT_LIMIT]
    )


def contact_for_page(*, user) -> QuerySet[Contact]:
    """The queryset a contact's own page fetches from."""
    return contacts_visible(user=user).select_related("team", "company", "owner", "user")


def team_owners(*, team) -> QuerySet[User]:
    """The people who may own a team's contacts: its members."""
    return User.objects.filter(memberships__team=team).order_by(
        "first_name", "last_name", "username"
    )


# --- Ideal client profile -------------------------------------------------------------------


def ideal_client_profile_for_team(team: Team) -> IdealClientProfile:
    """The team's profile, or an unsaved empty one (with the default weights)."""
    profile = IdealClientProfile.objects.filter(team=team).first() or IdealClientProfile()
    profile.team = team  # the caller's object: no query to show its name
    return profile


def ideal_client_profiles_visible(*, user) -> list[IdealClientProfile]:
    """The profiles of the teams whose contacts the user sees (a list filtered by a
    criterion reads each team's contacts against its own)."""
    return list(visible_shared(IdealClientProfile.objects.all(), user).order_by("team_id"))


def good_fit_count(team: Team) -> int:
    return Contact.objects.filter(team=team, fit_score__gte=GOOD_FIT_SCORE).count()


def done_business_condition() -> Q:
    """The people the team has done business with, or who are the team: clients, former
    clients and the members' own records. The method's roster is the others: "people who
    fit and have not done business with us yet" (contacts.filters' ?prospective=)."""
    return Q(kind__in=(ContactKind.CLIENT, ContactKind.FORMER_CLIENT)) | Q(user__isnull=False)


def good_fit_counts(team: Team) -> tuple[int, int]:
    """(the team's good fits, those of them it has done no business with yet), in one
    query: the profile page's count, and what its link lists on the fits page
    (?prospective=true&min_fit=GOOD_FIT_SCORE)."""
    counts = Contact.objects.filter(team=team, fit_score__gte=GOOD_FIT_SCORE).aggregate(
        every=Count("pk"), prospective=Count("pk", filter=~done_business_condition())
    )
    return counts["every"], counts["prospective"]


# --- Relationships ------------------------------------------------------------------------


def relationships_visible(*, user) -> QuerySet[Relationship]:
    return visible_shared(Relationship.objects.all(), user)


def relationship_for_page(*, user) -> QuerySet[Relationship]:
    return relationships_visible(user=user).select_related("contact_a", "contact_b")


@dataclass(frozen=True)
class Tie:
    """One of a contact's relationships, seen from their side: the other person (name,
    company, whether they are a user of Warmpath) and the tie itself."""

    pk: int
    other_id: int
    other_name: str
    other_user_id: int | None
    other_company: str
    kind: str
    strength: int
    since: date | None
    source: str


_TIE_PERSON = ("", "__first_name", "__last_name", "__user_id", "__company__name")
_TIE_COLUMNS = (
    *("pk", "kind", "strength", "since", "source"),
    *(f"{side}{field}" for side in ("contact_a", "contact_b") for field in _TIE_PERSON),
)


def contact_ties(*, contact: Contact, limit: int) -> list[Tie]:
    """The ties of a contact, either side of the pair, strongest first, at most `limit`.
    The contact is already visible, so its ties are (they live in the same team). Read
    as plain values: a hundred ties as model instances (the tie, both people and their
    companies: five objects each) cost more to build than to read."""
    rows = (
        Relationship.objects.filter(Q(contact_a=contact) | Q(contact_b=contact))
        .order_by("-strength", "pk")
        .values_list(*_TIE_COLUMNS)[:limit]
    )
    ties, width = [], len(_TIE_PERSON)
    for pk, kind, strength, since, source, *people in rows:
        side = people[width:] if people[0] == contact.pk else people[:width]
        other_id, first, last, user_id, company = side
        name = f"{first} {last}".strip()
        ties.append(Tie(pk, other_id, name, user_id, company or "", kind, strength, since, source))
    return ties
