"""Reads of the team's network shared by pages, API, admin and exports.

Every function takes the user and returns a queryset already scoped through
accounts.visibility, with the joins the callers need, so no caller can forget either.
"""

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import User
from accounts.visibility import visible_owned, visible_shared
from contacts.models import Activity, Company, Contact, Relationship
from core.search import TRIGRAM_LENGTH, InRows, search_words
from referrals.models import Deal, ReadinessCheck, Referral, RosterEntry

# A detail page shows the most recent rows of each section, however long the history.
DETAIL_SECTION_LIMIT = 50
RELATIONSHIP_LIMIT = 100
SEARCH_RESULT_LIMIT = 20


# --- Companies ----------------------------------------------------------------------------


def companies_visible(*, user) -> QuerySet[Company]:
    return visible_shared(Company.objects.all(), user)


def company_list(*, user, team=None, q: str = "", industry: str = "") -> QuerySet[Company]:
    """The companies the user sees (of one team when given), with how many people each
    has, sorted by name."""
    companies = companies_visible(user=user)
    if team is not None:
        companies = companies.filter(team=team)
    for word in search_words(q):
        companies = companies.filter(name__icontains=word)
    if industry:
        companies = companies.filter(industry=industry)
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


def contacts_visible(*, user) -> QuerySet[Contact]:
    return visible_shared(Contact.objects.all(), user)


def contact_search_filter(q: str) -> Q:
    """Every word of q must appear in the first or last name, the email or the company
    name: "ann acme" finds Ann Client of Acme Corp (core.search's rule).

    The company part is asked as "the contact's company is one of the companies whose
    name matches" rather than through a join, so that on PostgreSQL every branch of the
    OR reads an index (the trigram indexes of contacts' migration 0006 and the company
    foreign key's) instead of every contact of the team (~30-40 → ~2 ms per statement on
    the large data set). Words under three characters, which no trigram index serves,
    keep the join."""
    condition = Q()
    for word in search_words(q):
        if len(word) >= TRIGRAM_LENGTH:
            companies = Company.objects.filter(name__icontains=word).values("pk")
            in_companies = Q(InRows(F("company"), companies.query))
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


def contact_list(
    *,
    user,
    team=None,
    q: str = "",
    kind: str = "",
    owner_id: int | None = None,
    industry: str = "",
    company_id: int | None = None,
) -> QuerySet[Contact]:
    """The contacts the user sees (of one team when given), filtered, sorted by name."""
    contacts = contacts_visible(user=user)
    if team is not None:
        contacts = contacts.filter(team=team)
    if q:
        contacts = contacts.filter(contact_search_filter(q))
    if kind:
        contacts = contacts.filter(kind=kind)
    if owner_id:
        contacts = contacts.filter(owner_id=owner_id)
    if industry:
        contacts = contacts.filter(company__industry=industry)
    if company_id:
        contacts = contacts.filter(company_id=company_id)
    return contacts.select_related("company", "owner").order_by("last_name", "first_name", "pk")


def contact_search(*, user, team, q: str, exclude_pk: int | None = None) -> QuerySet[Contact]:
    """A few contacts of the team matching q, for search-as-you-type pickers."""
    contacts = contacts_visible(user=user).filter(team=team)
    if exclude_pk:
        contacts = contacts.exclude(pk=exclude_pk)
    return (
        contacts.filter(contact_search_filter(q))
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


# --- Relationships ------------------------------------------------------------------------


def relationships_visible(*, user) -> QuerySet[Relationship]:
    return visible_shared(Relationship.objects.all(), user)


def relationship_for_page(*, user) -> QuerySet[Relationship]:
    return relationships_visible(user=user).select_related("contact_a", "contact_b")


def contact_relationships(*, contact: Contact) -> QuerySet[Relationship]:
    """The ties of a contact, either side of the pair, strongest first. The contact is
    already visible, so its ties are (they live in the same team)."""
    return (
        Relationship.objects.filter(Q(contact_a=contact) | Q(contact_b=contact))
        .select_related("contact_a__company", "contact_b__company")
        .order_by("-strength", "pk")
    )


# --- The contact's history ----------------------------------------------------------------


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
