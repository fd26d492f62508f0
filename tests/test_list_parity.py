"""Each list has one selector and one FilterSet, shared by its page and its API (core.filters,
docs/architecture.md): given the same query string, the page and the API list the same rows.

One varied team is built (every status, quality, channel, kind, source, outcome and
priority; asks spread over days and hours, so the days of the user's own time zone
matter; a teammate's records and another team's), then hypothesis draws combinations of
each list's filters and of search words taken from the data, and for a rep (alice) and a
manager (maya) the ids of the page's rows (response.context, every page of it) must be the
ids the API lists (?page_size=500). The API is called with a token, as integrations do: no
session, so no time zone set by the middleware — the filters must not depend on one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from contacts.models import Channel, ContactKind, Function, IdealClientProfile, Industry
from contacts.services import contact_fit_scores_refresh
from followups.models import FollowUp, Notification
from referrals.models import (
    Deal,
    Priority,
    Quality,
    Referral,
    RosterEntry,
    WeeklyGoal,
)
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    DealFactory,
    FollowUpFactory,
    ReadinessCheckFactory,
    ReferralFactory,
    ReferralGivenFactory,
    RosterEntryFactory,
)

EXAMPLES = 40

FIRST_NAMES = ["Ann", "Annika", "Boris", "Carla", "Dmitri", "Eve", "Farah", "Gus", "Hana"]
LAST_NAMES = ["Harbour", "Lighthouse", "Murphy", "Okafor", "Nakamura", "Silva", "Berg"]
COMPANIES = [
    ("Murphy Freight", Industry.LOGISTICS, "Ireland", "Munster"),
    ("Harbour Clinics", Industry.HEALTHCARE, "Canada", "Ontario"),
    ("Northwind Software", Industry.SOFTWARE, "United States", "Northeast"),
    ("Bluebird Insurance", Industry.INSURANCE, "Canada", "Quebec"),
    ("Okafor Steelworks", Industry.MANUFACTURING, "Nigeria", "Lagos"),
]
REASONS = [
    "They are opening three warehouses",
    "New CFO wants fewer vendors",
    "Expanding into Quebec next spring",
    "Merger with a Harbour company",
    "",
]
NOTES = ["Met at the expo", "Old classmate of Farah", "", "Sister company in Lagos"]


@dataclass
class World:
    """The records of the lists, and what a query may name (ids, words, days)."""

    acme: object
    people: dict[str, object]
    ids: dict[str, list[int]] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)
    days: list[date] = field(default_factory=list)
    now: datetime = field(default_factory=timezone.now)


def _cycle(values, n: int) -> list:
    return list(itertools.islice(itertools.cycle(values), n))


@pytest.fixture
def world(acme, globex, alice, bob, maya, charlie) -> World:
    # Zones far from UTC on both sides: a day of the user's calendar is not UTC's.
    alice.time_zone = "Pacific/Auckland"
    alice.save(update_fields=["time_zone"])
    maya.time_zone = "America/Los_Angeles"
    maya.save(update_fields=["time_zone"])
    now = timezone.now()
    world = World(acme=acme, people={"alice": alice, "bob": bob, "maya": maya}, now=now)

    companies = [
        CompanyFactory(team=acme, name=name, industry=industry, country=country, region=region)
        for name, industry, country, region in COMPANIES
    ]
    # Another team's records: never listed, whatever the query names.
    outsider_company = CompanyFactory(team=globex, name="Murphy Globex", country="Ireland")
    outsider = ContactFactory(
        team=globex, owner=charlie, first_name="Ann", last_name="Murphy", company=outsider_company
    )
    outsider_referral = ReferralFactory(
        referrer=ContactFactory(team=globex, owner=charlie, kind=ContactKind.CLIENT),
        prospect=outsider,
    )
    FollowUpFactory(referral=outsider_referral)
    RosterEntryFactory(prospect=outsider)
    DealFactory(contact=outsider)
    ReferralGivenFactory(client=outsider)

    owners = [alice, bob, maya]
    contacts = []
    for n, (first, last) in enumerate(
        itertools.islice(itertools.product(FIRST_NAMES, LAST_NAMES), 27)
    ):
        contacts.append(
            ContactFactory(
                team=acme,
                owner=owners[n % 3],
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{last.lower()}{n}@example.com",
                kind=ContactKind.values[n % len(ContactKind.values)],
                company=None if n % 7 == 6 else companies[n % len(companies)],
            )
        )

    # Each team wants someone: fit scores spread over the list, so that the fit filters
    # and the sort by fit have something to tell apart (another team's profile too).
    for n, contact in enumerate(contacts):
        contact.function = Function.values[n % len(Function.values)]
        contact.title = ["Head of Fleet", "CFO", "Warehouse lead", ""][n % 4]
        contact.save(update_fields=["function", "title"])
    IdealClientProfile.objects.create(
        team=acme,
        industries=[Industry.LOGISTICS, Industry.HEALTHCARE],
        regions=["Ontario", "ireland"],
        min_employees=100,
        functions=Function.values[:3],
        situation_keywords=["fleet", "warehouse"],
    )
    IdealClientProfile.objects.create(team=globex, industries=[Industry.LOGISTICS])
    contact_fit_scores_refresh(contacts=[*contacts, outsider])

    referrals = []
    for n in range(30):
        owner = owners[n % 3]
        mine = [c for c in contacts if c.owner_id == owner.pk]
        # Each referrer asked for a different prospect each time (n // 9): one open ask
        # per referrer and prospect.
        referrer = mine[n % len(mine)]
        prospect = mine[(n + 1 + n // len(mine)) % len(mine)]
        status = Referral.Status.values[n % len(Referral.Status.values)]
        # Spread over 12 days, at hours that fall on different days in Auckland and LA.
        asked_at = now - timedelta(days=n % 12, hours=(n * 5) % 24)
        referrals.append(
            ReferralFactory(
                team=acme,
                owner=owner,
                referrer=referrer,
                prospect=prospect,
                status=status,
                quality=Quality.values[n % 3],
                channel=Channel.values[n % len(Channel.values)],
                asked_at=asked_at,
                reason=REASONS[n % len(REASONS)],
            )
        )

    roster = []
    for n, contact in enumerate(contacts[:24]):
        roster.append(
            RosterEntryFactory(
                team=acme,
                owner=contact.owner,
                prospect=contact,
                status=RosterEntry.Status.values[n % len(RosterEntry.Status.values)],
                priority=Priority.values[n % 3],
                reason=REASONS[(n + 2) % len(REASONS)],
            )
        )

    deals = []
    for n, contact in enumerate(contacts[:20]):
        outcome = Deal.Outcome.values[n % 3]
        opened_on = now.date() - timedelta(days=30 + n)
        deals.append(
            DealFactory(
                team=acme,
                owner=contact.owner,
                contact=contact,
                name=["Fleet renewal", "Pilot", "", "Expansion"][n % 4],
                source=Deal.Source.values[n % len(Deal.Source.values)],
                outcome=outcome,
                value=Decimal(1000 * (n + 1)),
                opened_on=opened_on,
                closed_on=None if outcome == Deal.Outcome.OPEN else opened_on + timedelta(days=9),
            )
        )

    for n, client in enumerate(contacts[:16]):
        ReadinessCheckFactory(
            team=acme,
            owner=client.owner,
            client=client,
            checked_on=now.date() - timedelta(days=n * 3),
            green_light=n % 2 == 0,
            may_quote=n % 3 == 0,
            testimonial=NOTES[n % len(NOTES)] if n % 4 else "",
        )

    given_list = []
    for n, client in enumerate(contacts[:18]):
        introduced = contacts[(n + 5) % len(contacts)] if n % 2 else None
        given_list.append(
            ReferralGivenFactory(
                team=acme,
                owner=client.owner,
                client=client,
                introduced=introduced,
                introduced_name="" if introduced else f"{FIRST_NAMES[n % 9]} Outside",
                given_on=now.date() - timedelta(days=n * 2),
                note=NOTES[n % len(NOTES)],
            )
        )

    followups = []
    due_offsets = [
        timedelta(days=-5),
        timedelta(hours=-1),
        timedelta(hours=2),
        timedelta(days=1),
        timedelta(days=3),
        timedelta(days=10),
        timedelta(days=25),
        timedelta(days=40),
    ]
    for n, referral in enumerate(referrals):
        for k in range(2):
            status = FollowUp.Status.values[(n + k) % 3]
            followups.append(
                FollowUpFactory(
                    referral=referral,
                    recipient=referral.referrer if k == 0 else referral.prospect,
                    kind=FollowUp.Kind.values[(n + k) % len(FollowUp.Kind.values)],
                    status=status,
                    done_at=None if status == FollowUp.Status.PENDING else now,
                    due_at=now + due_offsets[(n + 3 * k) % len(due_offsets)],
                )
            )

    for user in (alice, maya, bob, charlie):
        for n in range(5):
            Notification.objects.create(
                user=user,
                message=f"Note {n}",
                url="/",
                read_at=now if n % 2 else None,
            )

    this_monday = now.date() - timedelta(days=now.date().weekday())
    goals = []
    for weeks in range(3):
        week = this_monday - timedelta(weeks=weeks)
        goals.append(WeeklyGoal.objects.create(team=acme, week_start=week, asks=10 + weeks))
        for rep in (alice, bob):
            goals.append(WeeklyGoal.objects.create(team=acme, rep=rep, week_start=week, asks=3))
    WeeklyGoal.objects.create(team=globex, week_start=this_monday, asks=1)

    world.ids = {
        "owner": [alice.pk, bob.pk, maya.pk, charlie.pk],
        "contact": [c.pk for c in contacts[::3]] + [outsider.pk],
        "company": [c.pk for c in companies] + [outsider_company.pk],
        "referral": [r.pk for r in referrals[::4]] + [outsider_referral.pk],
        "roster_entry": [r.pk for r in roster[::4]],
        "team": [acme.pk, globex.pk],
    }
    texts = [
        *(f"{c.first_name} {c.last_name} {c.email}" for c in contacts),
        *(f"{name} {country} {region}" for name, _, country, region in COMPANIES),
        *REASONS,
        *NOTES,
        *(d.name for d in deals),
        *(g.introduced_name for g in given_list),
    ]
    world.words = sorted({word for text in texts for word in text.split()})
    world.days = [now.date() - timedelta(days=n) for n in range(-2, 40, 3)]
    return world


# --- What a query may say ----------------------------------------------------------------------


def _search(world: World):
    """One or two words from the data, whole or cut, in any case, spaces or commas."""
    word = st.sampled_from(world.words).flatmap(
        lambda w: st.sampled_from([w, w.lower(), w.upper(), w[:3], w[1:4], w[-3:]])
    )
    return st.tuples(st.lists(word, min_size=1, max_size=2), st.sampled_from([" ", ", "])).map(
        lambda parts: parts[1].join(parts[0])
    )


def _ids(world: World, kind: str):
    return st.sampled_from(world.ids[kind])


def _days(world: World):
    return st.sampled_from(world.days).map(date.isoformat)


def _times(world: World):
    """Instants around the data, written with offsets on both sides of UTC."""
    offsets = [0, 13 * 60, -8 * 60, 5 * 60 + 30]
    return st.tuples(st.integers(0, 12 * 24), st.sampled_from(offsets)).map(
        lambda t: (
            (world.now - timedelta(hours=t[0]))
            .astimezone(timezone.get_fixed_timezone(t[1]))
            .replace(microsecond=0)
            .isoformat()
        )
    )


def _choices(values):
    return st.sampled_from([str(value) for value in values])


def _fit_query() -> dict:
    """The fit filters and the sort: a least fit, each criterion either way."""
    return {
        "min_fit": st.sampled_from(["0", "20", "50", "70", "100"]),
        "sort": st.sampled_from(["fit", "name"]),
        **{
            f"matches_{key}": st.sampled_from(["true", "false"])
            for key in ("industry", "region", "size", "function", "person_type", "situation")
        },
    }


def _query(optional: dict) -> st.SearchStrategy[dict]:
    """Up to three of the list's filters at once (more would mostly list nothing)."""
    names = sorted(optional)
    return st.lists(st.sampled_from(names), max_size=3, unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries({name: optional[name] for name in chosen})
    )


# --- The lists --------------------------------------------------------------------------------


def _page_rows(client, url: str, params: dict) -> set[int]:
    """The ids of every row of a paginated page (context "page"), all pages; the count the
    page shows (the pipeline's comes from its counts per status) is how many there are."""
    ids: set[int] = set()
    number = 1
    while True:
        response = client.get(url, {**params, "page": number})
        assert response.status_code == 200, (url, params)
        page = response.context["page"]
        ids |= {row.pk for row in page.object_list}
        if not page.has_next():
            assert page.paginator.count == len(ids), (url, params)
            return ids
        number += 1


def _inbox_rows(client, url: str, params: dict) -> set[int]:
    ids: set[int] = set()
    response = client.get(url, params)
    assert response.status_code == 200, params
    for name, _title, _empty, page in response.context["sections"]:
        # The count on the section's badge (the three counted in one query) is its rows.
        count = page.paginator.count
        section = {row.pk for row in page.object_list}
        number = page.number
        while page.has_next():
            number += 1
            more = client.get(url, {**params, f"{name}_page": number})
            page = {n: p for n, _t, _e, p in more.context["sections"]}[name]
            section |= {row.pk for row in page.object_list}
        assert count == len(section), (name, params)
        ids |= section
    return ids


def _goal_rows(client, url: str, params: dict) -> set[int]:
    response = client.get(url, params)
    assert response.status_code == 200, params
    return {goal.pk for goal in response.context["goals"]}


@dataclass
class ListCase:
    page: str
    api: str
    query: Callable[[World], st.SearchStrategy[dict]]
    page_rows: Callable = _page_rows
    # Parameters the API needs to list what the page shows (the inbox is a view of it).
    api_extra: Callable[[World, object], dict] = lambda world, user: {}
    # What the page shows when no filter is given (the goals page: this week).
    default: Callable[[World], dict] = lambda world: {}


def _inbox_extra(world: World, user) -> dict:
    # The inbox: the user's own pending follow-ups due within the next two weeks (its
    # horizon is the start of a day about 15 days ahead; no follow-up is due near it).
    horizon = world.now + timedelta(days=15)
    return {"status": "pending", "owner": user.pk, "due_before": horizon.isoformat()}


LISTS = {
    "pipeline": ListCase(
        "referrals:pipeline",
        "referral-list",
        lambda w: _query(
            {
                "q": _search(w),
                "search": _search(w),
                "status": _choices(["open", *Referral.Status.values]),
                "quality": _choices(Quality.values),
                "channel": _choices(Channel.values),
                "owner": _ids(w, "owner"),
                "referrer": _ids(w, "contact"),
                "prospect": _ids(w, "contact"),
                "roster_entry": _ids(w, "roster_entry"),
                "asked_from": _days(w),
                "asked_to": _days(w),
                "asked_at__gte": _times(w),
                "asked_at__lte": _times(w),
            }
        ),
    ),
    "roster": ListCase(
        "referrals:roster",
        "roster-list",
        lambda w: _query(
            {
                "q": _search(w),
                "search": _search(w),
                "status": _choices(RosterEntry.Status.values),
                "priority": _choices(Priority.values),
                "owner": _ids(w, "owner"),
                "prospect": _ids(w, "contact"),
            }
        ),
    ),
    "deals": ListCase(
        "referrals:deal-list",
        "deal-list",
        lambda w: _query(
            {
                "q": _search(w),
                "search": _search(w),
                "source": _choices(Deal.Source.values),
                "outcome": _choices(Deal.Outcome.values),
                "owner": _ids(w, "owner"),
                "contact": _ids(w, "contact"),
            }
        ),
    ),
    "readiness": ListCase(
        "referrals:readiness-list",
        "readiness-check-list",
        lambda w: _query(
            {
                "q": _search(w),
                "search": _search(w),
                "green_light": _choices(["true", "false"]),
                "may_quote": _choices(["true", "false"]),
                "owner": _ids(w, "owner"),
                "client": _ids(w, "contact"),
            }
        ),
    ),
    "referrals given": ListCase(
        "referrals:given-list",
        "referral-given-list",
        lambda w: _query(
            {
                "q": _search(w),
                "search": _search(w),
                "given_from": _days(w),
                "given_to": _days(w),
                "given_on__gte": _days(w),
                "given_on__lte": _days(w),
                "owner": _ids(w, "owner"),
                "client": _ids(w, "contact"),
            }
        ),
    ),
    "contacts": ListCase(
        "contacts:list",
        "contact-list",
        lambda w: _query(
            {
                "q": _search(w),
                "search": _search(w),
                "kind": _choices(ContactKind.values),
                "owner": _ids(w, "owner"),
                "company": _ids(w, "company"),
                "industry": _choices([c[1] for c in COMPANIES] + [Industry.MEDIA]),
                **_fit_query(),
                "prospective": _choices(["true", "false"]),
            }
        ),
    ),
    # The ideal client profile's good fits: the contact list, never a client.
    "fits": ListCase(
        "referrals:fits",
        "contact-list",
        lambda w: _query({"q": _search(w), **_fit_query()}),
        api_extra=lambda world, user: {"prospective": "true"},
    ),
    "companies": ListCase(
        "contacts:company-list",
        "company-list",
        lambda w: _query(
            {
                "q": _search(w),
                "search": _search(w),
                "industry": _choices([c[1] for c in COMPANIES] + [Industry.MEDIA]),
                "country": st.sampled_from(["Canada", "Ireland", "Nigeria", "France"]),
            }
        ),
    ),
    "follow-ups (inbox)": ListCase(
        "followups:inbox",
        "followup-list",
        lambda w: _query(
            {
                "q": _search(w),
                "search": _search(w),
                "kind": _choices(FollowUp.Kind.values),
                "recipient": _ids(w, "contact"),
                "referral": _ids(w, "referral"),
                "due_after": _times(w),
            }
        ),
        page_rows=_inbox_rows,
        api_extra=_inbox_extra,
    ),
    "notifications": ListCase(
        "followups:notifications",
        "notification-list",
        lambda w: _query(
            {
                "show": st.sampled_from(["unread", "all"]),
                "unread": st.sampled_from(["true", "false"]),
            }
        ),
    ),
    "goals": ListCase(
        "dashboard:goals",
        "goal-list",
        # The goals page edits one week: `week` is its only filter (any day of it).
        lambda w: st.fixed_dictionaries({"week": _days(w)}),
        page_rows=_goal_rows,
        default=lambda w: {"week": w.now.date().isoformat()},
    ),
}


def _api_rows(client, url: str, params: dict) -> set[int]:
    response = client.get(url, {**params, "page_size": 500})
    assert response.status_code == 200, (url, params, response.content[:300])
    body = response.json()
    assert body["next"] is None
    return {row["id"] for row in body["results"]}


@pytest.mark.parametrize("persona", ["alice", "maya"])
@pytest.mark.parametrize("name", list(LISTS))
def test_the_page_and_the_api_list_the_same_rows(name, persona, world):
    case = LISTS[name]
    user = world.people[persona]
    page_client = Client()
    page_client.force_login(user)
    api_client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    page_url, api_url = reverse(case.page), reverse(case.api)
    seen_rows = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(case.query(world))
    def same_rows(params):
        page_rows = case.page_rows(page_client, page_url, params)
        api_rows = _api_rows(api_client, api_url, {**params, **case.api_extra(world, user)})
        assert page_rows == api_rows, params
        seen_rows.append(len(page_rows))

    same_rows()
    # The unfiltered list has rows, and the draws were not all empty answers.
    everything = case.page_rows(page_client, page_url, case.default(world))
    assert everything
    assert everything == _api_rows(
        api_client, api_url, {**case.default(world), **case.api_extra(world, user)}
    )
    assert any(seen_rows), f"{name}: every drawn query listed nothing"


def _page_order(client, url: str, params: dict) -> list[int]:
    ids: list[int] = []
    number = 1
    while True:
        response = client.get(url, {**params, "page": number})
        assert response.status_code == 200, (url, params)
        page = response.context["page"]
        ids += [row.pk for row in page.object_list]
        if not page.has_next():
            return ids
        number += 1


@pytest.mark.parametrize("persona", ["alice", "maya"])
@pytest.mark.parametrize("name", ["contacts", "fits"])
def test_sorted_by_fit_the_page_and_the_api_list_the_same_order(name, persona, world):
    """?sort= is one of the FilterSet's: the page and the API list the rows in the same
    order (the fits page sorts by fit unless told otherwise; the API by name)."""
    case = LISTS[name]
    user = world.people[persona]
    page_client = Client()
    page_client.force_login(user)
    api_client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    page_url, api_url = reverse(case.page), reverse(case.api)
    fit_orders = []

    @settings(
        max_examples=EXAMPLES // 2,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(case.query(world), st.sampled_from(["fit", "name"]))
    def same_order(params, sort):
        params = {**params, "sort": sort}
        page_rows = _page_order(page_client, page_url, params)
        response = api_client.get(
            api_url, {**params, **case.api_extra(world, user), "page_size": 500}
        )
        assert response.status_code == 200, response.content[:300]
        assert page_rows == [row["id"] for row in response.json()["results"]], params
        if sort == "fit" and len(page_rows) > 1:
            fit_orders.append(page_rows)

    same_order()
    assert fit_orders, "no draw sorted two rows or more by fit"
