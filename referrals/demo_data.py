"""Realistic data for the demo and for load tests: a team's network (companies, people,
who knows whom), the ideal client profile and fit scores, readiness checks, rosters,
referrals in every state, deals of every source, referrals given and weekly goals.

One planner, two writers:

- ``TeamPlanner`` draws a team's data in memory from ``random.Random(seed)``: names from
  Faker's locales, a skewed network (a few people know very many, most know a few), asks
  that follow real ties, step times in order (asked < confirmed < contacted < meeting <
  won/lost; declined only from asked).
- ``ServiceWriter`` (size ``small``, the demo) writes the plan through contacts.services
  and referrals.services, so the demo is exactly what the app would have produced,
  activities included.
- ``BulkWriter`` (``medium``, ``large``) writes it with PostgreSQL ``COPY`` (or
  ``bulk_create`` on other databases), reproducing what the services would have written:
  each referral that reached a meeting has its Deal of source referral, closed with the
  same date and value; roster entries follow their referrals; fit scores come from
  referrals.scoring.

Counts are deterministic for a given seed; dates are relative to now, so the data always
looks current.
"""

from __future__ import annotations

import gc
import heapq
import io
import itertools
import math
import operator
import random
import re
import time
import unicodedata
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from faker import Faker

from accounts.models import Membership, Team, User
from accounts.services import team_member_add
from contacts import services as contact_services
from contacts.models import (
    Activity,
    Channel,
    Company,
    Contact,
    ContactKind,
    Function,
    Industry,
    PersonType,
    Relationship,
    RelationshipKind,
    RelationshipSource,
    RevenueBand,
    UpdateCadence,
)
from followups import services as followup_services
from followups.models import FollowUp
from referrals import services as referral_services
from referrals.models import (
    FINAL_STATUSES,
    Deal,
    IdealClientProfile,
    Priority,
    Quality,
    ReadinessCheck,
    Referral,
    ReferralGiven,
    RosterEntry,
    WeeklyGoal,
)
from referrals.scoring import fit_score

Status = Referral.Status

DEMO_TEAM = "Northwind Sales"
DEMO_PASSWORD = "warmpath-demo"  # noqa: S105 - printed on purpose: a demo login
DEMO_PEOPLE = [
    # username, first, last, role
    ("maria", "Maria", "Lopez", "manager"),
    ("ravi", "Ravi", "Patel", "rep"),
    ("sofia", "Sofia", "Berg", "rep"),
]
DEMO_SEED = 7


@dataclass(frozen=True)
class Size:
    name: str
    teams: tuple[str, ...]
    reps_per_team: int  # plus one manager per team
    contacts: int  # in all teams, the members' own records included
    relationships: int
    referrals: int
    deals: int  # every source; the referral deals are those of referrals that met
    referrals_given: int
    followups: int  # DESIGN.md's figure: what the rules make of the status and cadence mix
    history_days: int  # asks spread over this many days back from now
    activity_days: int | None  # bulk sizes: timeline rows for this many recent days
    through_services: bool


SIZES = {
    "small": Size("small", (DEMO_TEAM,), 2, 48, 80, 25, 12, 6, 0, 180, None, through_services=True),
    "medium": Size(
        "medium",
        ("Contoso Sales", "Fabrikam Partners"),
        5,
        20_000,
        100_000,
        30_000,
        20_000,
        3_000,
        100_000,
        730,
        180,
        through_services=False,
    ),
    "large": Size(
        "large",
        (
            "Tailspin Growth",
            "Litware Enterprise",
            "Adventure Works Sales",
            "Woodgrove Advisory",
            "Proseware Direct",
        ),
        10,
        200_000,
        1_000_000,
        300_000,
        200_000,
        30_000,
        1_000_000,
        730,
        60,
        through_services=False,
    ),
}

# The demo shows every state, a few of each.
SMALL_STATUS_COUNTS = {
    Status.ASKED: 3,
    Status.CONFIRMED: 3,
    Status.CONTACTED: 3,
    Status.MEETING: 3,
    Status.WON: 5,
    Status.LOST: 5,
    Status.DECLINED: 3,
}
# A funnel over two years: most asks have long ended, the open ones are recent. Many
# asks go nowhere (the referrer declines or never makes the introduction). With the
# cadences below this mix gives DESIGN.md's ratio of the "large" set, 1,000,000
# follow-ups to 300,000 referrals (~3.3 each; tests/test_seed.py holds it).
BULK_STATUS_WEIGHTS = {
    Status.ASKED: 6,
    Status.CONFIRMED: 5,
    Status.CONTACTED: 6,
    Status.MEETING: 8,
    Status.WON: 20,
    Status.LOST: 25,
    Status.DECLINED: 30,
}
OPEN_STATUSES = (Status.ASKED, Status.CONFIRMED, Status.CONTACTED, Status.MEETING)
# Where a lost referral stopped: after the intro, after the first contact, or after meeting.
LOST_AFTER_WEIGHTS = {Status.CONFIRMED: 30, Status.CONTACTED: 30, Status.MEETING: 40}
SMALL_LOST_AFTER = [Status.MEETING, Status.CONTACTED, Status.CONFIRMED, Status.MEETING]

# region, country, Faker locale, weight
REGIONS = [
    ("Northeast", "United States", "en_US", 14),
    ("Midwest", "United States", "en_US", 10),
    ("South", "United States", "en_US", 10),
    ("West", "United States", "en_US", 12),
    ("UK & Ireland", "United Kingdom", "en_GB", 10),
    ("DACH", "Germany", "de_DE", 9),
    ("Benelux", "Netherlands", "nl_NL", 6),
    ("Western Europe", "France", "fr_FR", 6),
    ("Nordics", "Sweden", "sv_SE", 5),
    ("Nordics", "Denmark", "da_DK", 4),
    ("Southern Europe", "Spain", "es_ES", 5),
    ("Southern Europe", "Italy", "it_IT", 5),
    ("CEE", "Poland", "pl_PL", 4),
]
INDUSTRY_WORDS = {
    Industry.SOFTWARE: ["Software", "Systems", "Labs", "Digital", "Cloud"],
    Industry.FINANCE: ["Capital", "Bank", "Financial", "Investments"],
    Industry.INSURANCE: ["Insurance", "Assurance", "Mutual"],
    Industry.HEALTHCARE: ["Health", "Medical", "Clinics", "Care"],
    Industry.MANUFACTURING: ["Manufacturing", "Industries", "Fabrication", "Works"],
    Industry.RETAIL: ["Retail", "Stores", "Market", "Outfitters"],
    Industry.LOGISTICS: ["Logistics", "Freight", "Transport", "Shipping"],
    Industry.ENERGY: ["Energy", "Power", "Utilities", "Solar"],
    Industry.PROFESSIONAL_SERVICES: ["Consulting", "Advisors", "Associates", "Partners"],
    Industry.REAL_ESTATE: ["Properties", "Construction", "Builders", "Realty"],
    Industry.EDUCATION: ["Academy", "Learning", "College", "Institute"],
    Industry.PUBLIC_SECTOR: ["Agency", "Authority", "Council", "Public Services"],
    Industry.MEDIA: ["Media", "Telecom", "Studios", "Networks"],
    Industry.HOSPITALITY: ["Hotels", "Travel", "Hospitality", "Resorts"],
    Industry.OTHER: ["Group", "Holdings", "Enterprises", "Company"],
}
TITLES = {
    # function: (senior titles, other titles)
    Function.EXECUTIVE: (
        ["CEO", "Managing Director", "COO", "President", "Founder"],
        ["Chief of Staff", "General Manager", "Director of Strategy"],
    ),
    Function.SALES: (
        ["VP Sales", "Chief Revenue Officer", "Sales Director"],
        ["Account Executive", "Sales Manager", "Key Account Manager"],
    ),
    Function.MARKETING: (
        ["CMO", "VP Marketing", "Head of Brand"],
        ["Marketing Manager", "Content Lead", "Growth Marketer"],
    ),
    Function.FINANCE: (
        ["CFO", "Finance Director", "VP Finance"],
        ["Controller", "Financial Analyst", "Head of FP&A"],
    ),
    Function.OPERATIONS: (
        ["VP Operations", "Head of Supply Chain", "Plant Director"],
        ["Operations Manager", "Logistics Coordinator", "Planning Lead"],
    ),
    Function.IT: (
        ["CTO", "CIO", "VP Engineering"],
        ["IT Manager", "Software Engineer", "Solutions Architect"],
    ),
    Function.HR: (
        ["Chief People Officer", "HR Director"],
        ["HR Business Partner", "Talent Acquisition Lead"],
    ),
    Function.PROCUREMENT: (
        ["Chief Procurement Officer", "Head of Purchasing"],
        ["Buyer", "Category Manager", "Procurement Specialist"],
    ),
    Function.LEGAL: (["General Counsel", "Head of Legal"], ["Legal Counsel", "Contract Manager"]),
    Function.OTHER: (["Director", "Partner"], ["Project Manager", "Consultant"]),
}
FUNCTION_WEIGHTS = {
    Function.EXECUTIVE: 14,
    Function.SALES: 12,
    Function.MARKETING: 9,
    Function.FINANCE: 11,
    Function.OPERATIONS: 15,
    Function.IT: 15,
    Function.HR: 6,
    Function.PROCUREMENT: 8,
    Function.LEGAL: 4,
    Function.OTHER: 6,
}
PERSON_TYPE_WEIGHTS = {
    PersonType.DECISION_MAKER: 20,
    PersonType.INFLUENCER: 25,
    PersonType.CHAMPION: 10,
    PersonType.USER: 35,
    PersonType.GATEKEEPER: 10,
}
KIND_WEIGHTS = {
    ContactKind.CLIENT: 22,
    ContactKind.PROSPECT: 48,
    ContactKind.FORMER_CLIENT: 6,
    ContactKind.COLLEAGUE: 6,
    ContactKind.PARTNER: 8,
    ContactKind.OTHER: 10,
}
# Who can be asked for an introduction, and how likely they are to be the one asked.
REFERRER_WEIGHT = {
    ContactKind.CLIENT: 3,
    ContactKind.FORMER_CLIENT: 2,
    ContactKind.PARTNER: 2,
    ContactKind.COLLEAGUE: 1,
    ContactKind.OTHER: 1,
}
CHANNEL_WEIGHTS = {
    Channel.EMAIL: 50,
    Channel.PHONE: 20,
    Channel.VIDEO: 12,
    Channel.IN_PERSON: 10,
    Channel.HANDWRITTEN: 4,
    Channel.LETTER: 4,
}
ASK_CHANNEL_WEIGHTS = {
    Channel.EMAIL: 50,
    Channel.PHONE: 20,
    Channel.IN_PERSON: 15,
    Channel.VIDEO: 10,
    Channel.LETTER: 5,
}
# How referrers want to be kept informed: most at each step or only at the end; weekly
# updates (the follow-up volume's main driver) are for the few who ask for them.
CADENCE_WEIGHTS = {
    UpdateCadence.EACH_STEP: 35,
    UpdateCadence.WEEKLY: 7,
    UpdateCadence.MONTHLY: 18,
    UpdateCadence.AT_END: 40,
}
QUALITY_WEIGHTS = {Quality.GOOD: 50, Quality.BETTER: 35, Quality.BEST: 15}
TIE_KIND_WEIGHTS = {
    RelationshipKind.FORMER_COLLEAGUE: 25,
    RelationshipKind.FRIEND: 15,
    RelationshipKind.CLUB: 12,
    RelationshipKind.VENDOR: 20,
    RelationshipKind.NEIGHBOUR: 5,
    RelationshipKind.FAMILY: 3,
    RelationshipKind.OTHER: 20,
}
TIE_STRENGTH = {
    RelationshipKind.COLLEAGUE: (2, 5),
    RelationshipKind.FORMER_COLLEAGUE: (2, 4),
    RelationshipKind.FRIEND: (3, 5),
    RelationshipKind.FAMILY: (4, 5),
    RelationshipKind.NEIGHBOUR: (1, 3),
    RelationshipKind.CLUB: (1, 3),
    RelationshipKind.VENDOR: (2, 4),
    RelationshipKind.OTHER: (1, 3),
}
TIE_SOURCE_WEIGHTS = {
    RelationshipSource.TOLD: 45,
    RelationshipSource.OBSERVED: 20,
    RelationshipSource.IMPORT: 15,
    RelationshipSource.LINKEDIN: 20,
}
TIE_NOTES = [
    "Worked together for years.",
    "Sit on the same industry board.",
    "Play golf together most Fridays.",
    "Met through the local chamber of commerce.",
    "Their kids go to the same school.",
    "Co-founded a meetup group.",
]
OTHER_DEAL_SOURCE_WEIGHTS = {
    Deal.Source.COLD: 35,
    Deal.Source.INBOUND: 35,
    Deal.Source.EVENT: 20,
    Deal.Source.OTHER: 10,
}
DEAL_PRODUCTS = ["Annual licence", "Pilot", "Expansion", "Renewal", "Implementation", "Advisory"]
SITUATIONS = [
    "planning an expansion into new markets",
    "in the middle of a migration off a legacy ERP",
    "opening a new plant next year",
    "growing fast and hiring across every team",
    "consolidating vendors after a merger",
    "replacing spreadsheets with a real planning system",
]
NOTES = [
    "Planning an expansion into {region} next year.",
    "Migration off their legacy ERP is on the roadmap.",
    "Opening a new plant in {city}.",
    "Rapid growth: doubling the team this year.",
    "Met at a trade fair in {city}; keen to talk again.",
    "Prefers short emails; decisions by committee.",
    "Board member at the local chamber of commerce.",
    "New in the role since the spring.",
]
WENT_WELL = [
    "Fast onboarding and a responsive account team.",
    "The rollout landed on time and under budget.",
    "Clear reporting; the board finally trusts the numbers.",
    "You picked up the phone every time we called.",
    "Training was practical and the team actually uses it.",
]
COULD_IMPROVE = [
    "Invoices could be clearer.",
    "Release notes arrive too late for our planning.",
    "Support response times slipped last quarter.",
    "More proactive check-ins would help.",
    "",
]
COMPLAINTS = [
    "Still unhappy about the delayed integration.",
    "Two escalations this quarter; not the moment to ask.",
    "Their new CFO is reviewing every vendor.",
    "The outage last month still stings.",
]
WOULD_TAKE = [
    "A short case study they can share internally.",
    "Knowing we would treat their contacts as well as we treat them.",
    "Nothing more — happy to help.",
    "A two-line summary they can forward.",
]
TESTIMONIALS = [
    "{team} cut our planning time in half.",
    "The best vendor relationship we have.",
    "They understood our business from day one.",
    "Every promise kept, and then some.",
]
GIVEN_NOTES = [
    "Introduced them to a recruiter they needed.",
    "Connected them with a logistics partner.",
    "Recommended them to one of our prospects.",
    "Put them in touch with an accountant we trust.",
    "",
]
ROSTER_REASONS = [
    "Fits our profile: {industry} in {region}, about {employees} people.",
    "{company} is {situation}.",
    "Their {title} is looking at options this quarter.",
    "Lost a deal to a competitor there last year; new people since.",
]
ICP_TEMPLATES = [
    {
        "industries": [Industry.SOFTWARE, Industry.MANUFACTURING, Industry.LOGISTICS],
        "regions": ["Northeast", "Midwest"],
        "min_employees": 50,
        "max_employees": 2000,
        "functions": [Function.EXECUTIVE, Function.OPERATIONS, Function.IT],
        "person_types": [PersonType.DECISION_MAKER, PersonType.CHAMPION],
        "situation": "Growing companies replacing spreadsheets with a real planning system.",
        "situation_keywords": ["expansion", "growth", "spreadsheets", "new plant"],
    },
    {
        "industries": [Industry.HEALTHCARE, Industry.INSURANCE, Industry.FINANCE],
        "regions": ["DACH", "Nordics", "Benelux"],
        "min_employees": 200,
        "max_employees": 10000,
        "functions": [Function.FINANCE, Function.EXECUTIVE],
        "person_types": [PersonType.DECISION_MAKER],
        "situation": "Regulated firms consolidating vendors after a merger.",
        "situation_keywords": ["merger", "consolidating", "migration"],
    },
    {
        "industries": [Industry.RETAIL, Industry.HOSPITALITY, Industry.MEDIA],
        "regions": ["UK & Ireland", "West"],
        "min_employees": 20,
        "max_employees": 1000,
        "functions": [Function.MARKETING, Function.SALES],
        "person_types": [PersonType.DECISION_MAKER, PersonType.INFLUENCER],
        "situation": "Consumer brands opening new markets.",
        "situation_keywords": ["expansion", "new markets", "growth"],
    },
    {
        "industries": [Industry.ENERGY, Industry.PUBLIC_SECTOR, Industry.REAL_ESTATE],
        "regions": ["South", "Southern Europe"],
        "min_employees": 500,
        "max_employees": None,
        "functions": [Function.OPERATIONS, Function.PROCUREMENT],
        "person_types": [PersonType.DECISION_MAKER, PersonType.GATEKEEPER],
        "situation": "Large operators modernising procurement.",
        "situation_keywords": ["procurement", "legacy", "migration"],
    },
    {
        "industries": [Industry.PROFESSIONAL_SERVICES, Industry.EDUCATION],
        "regions": ["CEE", "Western Europe"],
        "min_employees": 10,
        "max_employees": 500,
        "functions": [Function.EXECUTIVE, Function.HR],
        "person_types": [PersonType.CHAMPION, PersonType.DECISION_MAKER],
        "situation": "Firms hiring fast across every team.",
        "situation_keywords": ["hiring", "growth", "new in the role"],
    },
]


class AlreadySeeded(Exception):
    """The teams of this size already hold data; generating again would duplicate it."""

    def __init__(self, teams: list[Team]):
        self.teams = teams
        names = ", ".join(team.name for team in teams)
        verb = "has" if len(teams) == 1 else "have"
        super().__init__(f"Already seeded: {names} already {verb} data.")


@dataclass
class Member:
    user: User
    role: str
    contact: Contact

    @property
    def is_rep(self) -> bool:
        return self.role == Membership.Role.REP


@dataclass(slots=True)
class ReferralPlan:
    owner_id: int
    referrer: int  # contact index in the team plan
    prospect: int
    status: str
    asked_at: datetime
    path: list[tuple[str, datetime]]  # each step after "asked", in order
    value_at_ask: Decimal | None
    won_value: Decimal | None
    quality: str
    channel: str
    reason: str
    message: str
    roster: int | None = None

    @property
    def last_at(self) -> datetime:
        return self.path[-1][1] if self.path else self.asked_at

    def at(self, status: str) -> datetime | None:
        for step, moment in self.path:
            if step == status:
                return moment
        return None

    @property
    def value(self) -> Decimal | None:
        return self.won_value if self.status == Status.WON else self.value_at_ask


@dataclass(slots=True)
class RosterPlan:
    owner_id: int
    prospect: int
    priority: int
    reason: str
    status: str = RosterEntry.Status.WANTED


@dataclass(slots=True)
class CheckPlan:
    owner_id: int
    client: int
    checked_on: date
    green_light: bool
    went_well: str
    could_improve: str
    would_take: str
    testimonial: str
    may_quote: bool


@dataclass(slots=True)
class DealPlan:
    owner_id: int
    contact: int
    name: str
    source: str
    value: Decimal | None
    outcome: str
    opened_on: date
    closed_on: date | None


@dataclass(slots=True)
class GivenPlan:
    owner_id: int
    client: int
    introduced: int | None
    introduced_name: str
    given_on: date
    note: str


@dataclass(slots=True)
class GoalPlan:
    rep_id: int | None
    week_start: date
    asks: int
    intros: int
    meetings: int
    referrals_given: int
    wins: int


@dataclass
class TeamPlan:
    team: Team
    members: list[Member]
    companies: list[Company] = field(default_factory=list)
    # Index i < len(members) is member i's own record (already saved); the rest are new.
    contacts: list[Contact] = field(default_factory=list)
    contact_company: list[int | None] = field(default_factory=list)
    # (contact index, contact index, kind, strength, since, source, notes, created_by id)
    edges: list[tuple] = field(default_factory=list)
    checks: list[CheckPlan] = field(default_factory=list)
    roster: list[RosterPlan] = field(default_factory=list)
    referrals: list[ReferralPlan] = field(default_factory=list)
    deals: list[DealPlan] = field(default_factory=list)
    given: list[GivenPlan] = field(default_factory=list)
    goals: list[GoalPlan] = field(default_factory=list)
    # Prospects who became clients by a won referral: (contact index, client since).
    conversions: list[tuple[int, date]] = field(default_factory=list)


# --- Names ---------------------------------------------------------------------------------

_TRANSLITERATE = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "ß": "ss", "đ": "d", "œ": "oe"}
)


def ascii_slug(text: str, separator: str = "-") -> str:
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    text = text.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", separator, text).strip(separator)


class NamePools:
    """Names, companies, phones and cities per locale, drawn once from a seeded Faker and
    then picked with our own Random: fast, and the same for the same seed."""

    def __init__(self, seed: int):
        self.first: dict[str, list[str]] = {}
        self.last: dict[str, list[str]] = {}
        self.companies: dict[str, list[str]] = {}
        self.phones: dict[str, list[str]] = {}
        self.cities: dict[str, list[str]] = {}
        for locale in sorted({locale for _r, _c, locale, _w in REGIONS}):
            fake = Faker(locale)
            fake.seed_instance(seed)
            self.first[locale] = sorted({fake.first_name() for _ in range(300)})
            self.last[locale] = sorted({fake.last_name() for _ in range(400)})
            self.companies[locale] = sorted({fake.company()[:120] for _ in range(150)})
            self.phones[locale] = [fake.phone_number()[:40] for _ in range(60)]
            self.cities[locale] = sorted({fake.city() for _ in range(40)})


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _money(rng: random.Random, mu: float, sigma: float = 0.8) -> Decimal:
    return Decimal(max(500, int(round(math.exp(rng.gauss(mu, sigma)), -2))))


def _revenue_band(employees: int, rng: random.Random) -> str:
    revenue = employees * rng.uniform(80_000, 400_000)
    for limit, band in (
        (1e6, RevenueBand.UNDER_1M),
        (1e7, RevenueBand.FROM_1M),
        (5e7, RevenueBand.FROM_10M),
        (2.5e8, RevenueBand.FROM_50M),
        (1e9, RevenueBand.FROM_250M),
    ):
        if revenue < limit:
            return band
    return RevenueBand.OVER_1B


_ROSTER_PROGRESS = [
    RosterEntry.Status.WANTED,
    RosterEntry.Status.ASKED,
    RosterEntry.Status.INTRODUCED,
    RosterEntry.Status.MEETING,
]


def roster_status_for(statuses: set[str]) -> str:
    """The roster status that referrals.services._roster_follow gives an entry whose
    referrals have these statuses: a win wins, else the furthest open ask, else lost if
    one was lost, else wanted (all declined). tests/test_seed.py checks the two agree."""
    still_open = statuses - FINAL_STATUSES
    if Status.WON in statuses:
        return RosterEntry.Status.WON
    if still_open:
        return max(
            (referral_services.ROSTER_STATUS_FOR[status] for status in still_open),
            key=_ROSTER_PROGRESS.index,
        )
    if Status.LOST in statuses:
        return RosterEntry.Status.LOST
    return RosterEntry.Status.WANTED


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


# --- Members -------------------------------------------------------------------------------


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


def _generated_members_ensure(size: Size, seed: int) -> None:
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


def _members(team: Team) -> list[Member]:
    memberships = Membership.objects.filter(team=team).select_related("user").order_by("id")
    members = []
    for membership in memberships:
        contact = contact_services.contact_for_user_ensure(user=membership.user, team=team)
        members.append(Member(membership.user, membership.role, contact))
    return members


# --- The planner ---------------------------------------------------------------------------


def _scaled(value: int, scale: float, minimum: int) -> int:
    return max(minimum, round(value * scale))


class TeamPlanner:
    """Draws one team's data. `share` is this team's part of the size's totals."""

    def __init__(
        self,
        *,
        team: Team,
        members: list[Member],
        size: Size,
        rng: random.Random,
        names: NamePools,
        profile: IdealClientProfile,
        share: float,
        scale: float = 1.0,
        now: datetime | None = None,
    ):
        self.size = size
        self.rng = rng
        self.names = names
        self.profile = profile
        self.now = (now or timezone.now()).replace(second=0, microsecond=0)
        self.today = timezone.localdate(self.now)
        self.plan = TeamPlan(team=team, members=members)
        self.reps = [member for member in members if member.is_rep] or members
        total = lambda n, minimum: _scaled(round(n * share), scale, minimum)  # noqa: E731
        self.contact_target = max(total(size.contacts, 20), len(members) + 12)
        self.edge_target = total(size.relationships, 30)
        self.referral_target = total(size.referrals, len(SMALL_STATUS_COUNTS))
        self.deal_target = total(size.deals, 5)
        self.given_target = total(size.referrals_given, 2)
        self.small = size.through_services

    # Contacts of the team, by index
    def kind(self, index: int) -> str:
        return self.plan.contacts[index].kind

    def build(self) -> TeamPlan:
        self._companies()
        self._contacts()
        self._edges()
        self._referrals()
        self._readiness()
        self._roster()
        self._other_deals()
        self._given()
        self._goals()
        self._last_contacted()
        return self.plan

    # -- companies and people

    def _companies(self) -> None:
        rng, plan = self.rng, self.plan
        count = max(len(Industry.values), round((self.contact_target - len(plan.members)) / 7))
        if self.small:
            count = 18
        industries = list(Industry.values)
        region_weights = [weight for *_rest, weight in REGIONS]
        taken: set[str] = set()
        for index in range(count):
            # Every industry appears; after that, a realistic spread.
            industry = industries[index] if index < len(industries) else rng.choice(industries)
            region, country, locale, _w = rng.choices(REGIONS, weights=region_weights)[0]
            name = ""
            for attempt in range(12):
                if rng.random() < 0.5:
                    candidate = rng.choice(self.names.companies[locale])
                else:
                    last = rng.choice(self.names.last[locale])
                    word = rng.choice(INDUSTRY_WORDS[industry])
                    candidate = f"{last} {word}" if attempt < 6 else f"{last} & Co {word}"
                if candidate.lower() not in taken:
                    name = candidate
                    break
            if not name:
                name = f"{candidate} {region}"
                serial = 2
                while name.lower() in taken:
                    name = f"{candidate} {region} {serial}"
                    serial += 1
            taken.add(name.lower())
            employees = int(min(200_000, max(3, math.exp(rng.gauss(4.8, 1.6)))))
            slug = ascii_slug(name)[:40].strip("-") or f"company{index}"
            company = Company(
                team=plan.team,
                name=name,
                industry=industry,
                region=region,
                country=country,
                employee_count=employees,
                revenue_band=_revenue_band(employees, rng),
                website=f"https://www.{slug}.example",
            )
            company.locale = locale  # not a field: names of its people follow it
            company.slug = slug
            plan.companies.append(company)

    def _contacts(self) -> None:
        rng, plan = self.rng, self.plan
        for member in plan.members:
            plan.contacts.append(member.contact)
            plan.contact_company.append(None)
        # A few large accounts with many people, many with one or two; milder in the demo.
        alpha = 2.5 if self.small else 1.3
        company_weights = list(
            itertools.accumulate(rng.paretovariate(alpha) for _ in plan.companies)
        )
        # Accounts have an owner: most people of a company are looked after by the same rep.
        company_owner = [rng.choice(self.reps).user.pk for _ in plan.companies]
        owners = [member.user.pk for member in plan.members]
        emails: set[str] = {m.contact.email.lower() for m in plan.members if m.contact.email}
        functions, function_weights = list(FUNCTION_WEIGHTS), list(FUNCTION_WEIGHTS.values())
        kinds = self._contact_kinds(self.contact_target - len(plan.members))
        region_weights = [weight for *_rest, weight in REGIONS]
        for serial, kind in enumerate(kinds):
            if rng.random() < 0.95:
                company_index = rng.choices(
                    range(len(plan.companies)), cum_weights=company_weights
                )[0]
                company = plan.companies[company_index]
                locale, domain = company.locale, f"{company.slug}.example"
                owner_id = (
                    company_owner[company_index] if rng.random() < 0.8 else rng.choice(owners)
                )
                region, city_locale = company.region, locale
            else:
                company_index, company = None, None
                region, _country, locale, _w = rng.choices(REGIONS, weights=region_weights)[0]
                domain = rng.choice(["inbox.example", "mailbox.example", "post.example"])
                owner_id = rng.choice(owners)
                city_locale = locale
            first = rng.choice(self.names.first[locale])
            last = rng.choice(self.names.last[locale])
            function = rng.choices(functions, weights=function_weights)[0]
            person_type = _weighted(rng, PERSON_TYPE_WEIGHTS)
            senior, other = TITLES[function]
            is_senior = person_type in (PersonType.DECISION_MAKER, PersonType.CHAMPION)
            title = rng.choice(senior if is_senior and rng.random() < 0.8 else other)
            local = f"{ascii_slug(first, '')}.{ascii_slug(last, '')}".strip(".") or "contact"
            email = f"{local}@{domain}"
            while email in emails:
                email = f"{local}{rng.randint(2, 999)}@{domain}"
            has_email = rng.random() < 0.9
            if has_email:
                emails.add(email)
            linkedin = ""
            if rng.random() < 0.6:
                linkedin = (
                    f"https://www.linkedin.com/in/{ascii_slug(first)}-{ascii_slug(last)}"
                    f"-{serial:x}{rng.randrange(4096):03x}"
                )
            notes = ""
            if rng.random() < 0.35:
                notes = rng.choice(NOTES).format(
                    region=region, city=rng.choice(self.names.cities[city_locale])
                )
            client_since = None
            if kind in (ContactKind.CLIENT, ContactKind.FORMER_CLIENT):
                client_since = self.today - timedelta(days=rng.randint(60, 8 * 365))
            contact = Contact(
                team=plan.team,
                owner_id=owner_id,
                first_name=first,
                last_name=last,
                email=email if has_email else "",
                phone=rng.choice(self.names.phones[locale]) if rng.random() < 0.7 else "",
                company=company,
                title=title,
                function=function,
                person_type=person_type,
                kind=kind,
                client_since=client_since,
                preferred_channel=_weighted(rng, CHANNEL_WEIGHTS),
                update_cadence=_weighted(rng, CADENCE_WEIGHTS),
                linkedin_url=linkedin,
                notes=notes,
            )
            contact.fit_score = fit_score(self.profile, contact)
            plan.contacts.append(contact)
            plan.contact_company.append(company_index)

    def _contact_kinds(self, count: int) -> list[str]:
        if not self.small:
            kinds = list(KIND_WEIGHTS)
            return self.rng.choices(kinds, weights=list(KIND_WEIGHTS.values()), k=count)
        # The demo: enough clients to ask and prospects to meet, and one of every kind.
        share = {
            ContactKind.CLIENT: 0.32,
            ContactKind.PROSPECT: 0.40,
            ContactKind.FORMER_CLIENT: 0.07,
            ContactKind.COLLEAGUE: 0.06,
            ContactKind.PARTNER: 0.09,
        }
        kinds = [kind for kind, part in share.items() for _ in range(max(1, round(part * count)))]
        kinds += [ContactKind.OTHER] * max(1, count - len(kinds))
        kinds = kinds[:count]
        self.rng.shuffle(kinds)
        return kinds

    # -- who knows whom

    def _edge_attributes(self, i: int, j: int, same_company: bool) -> tuple:
        rng = self.rng
        if same_company:
            kind = RelationshipKind.COLLEAGUE
        elif i < len(self.plan.members) and self.kind(j) in (
            ContactKind.CLIENT,
            ContactKind.FORMER_CLIENT,
        ):
            kind = RelationshipKind.VENDOR
        else:
            kind = _weighted(rng, TIE_KIND_WEIGHTS)
        low, high = TIE_STRENGTH[kind]
        since = self.today - timedelta(days=rng.randint(30, 15 * 365))
        notes = rng.choice(TIE_NOTES) if rng.random() < 0.1 else ""
        creator = self.plan.contacts[i].owner_id
        return (
            i,
            j,
            kind,
            rng.randint(low, high),
            since,
            _weighted(rng, TIE_SOURCE_WEIGHTS),
            notes,
            creator,
        )

    def _edges(self) -> None:
        """A skewed network (Chung–Lu): each person gets a Pareto-distributed weight and
        ends of ties are drawn in proportion to it, so a few know very many people and
        most know a few. A quarter of ties are between colleagues of one company. Each
        member knows people too, mostly those they look after."""
        rng, plan = self.rng, self.plan
        members = len(plan.members)
        size = len(plan.contacts)
        others = range(members, size)
        pairs: set[int] = set()

        def add(i: int, j: int, same_company: bool = False) -> bool:
            if i == j:
                return False
            key = min(i, j) * size + max(i, j)
            if key in pairs:
                return False
            pairs.add(key)
            plan.edges.append(self._edge_attributes(i, j, same_company))
            return True

        # The members' own ties.
        if self.small:
            per_member = [5 if not member.is_rep else 7 for member in plan.members]
        else:
            average = max(5, round(0.02 * (size - members) / members))
            per_member = [round(average * (0.6 if not m.is_rep else 1.0)) for m in plan.members]
        owned = defaultdict(list)
        for index in others:
            owned[plan.contacts[index].owner_id].append(index)
        for member_index, (member, wanted) in enumerate(zip(plan.members, per_member, strict=True)):
            mine = owned[member.user.pk] or list(others)
            for _ in range(wanted * 3):
                if wanted <= 0:
                    break
                pool = mine if rng.random() < 0.7 else others
                if add(member_index, rng.choice(pool)):
                    wanted -= 1

        # Everyone else.
        weights = []
        for index in others:
            weight = min(rng.paretovariate(1.6), 150.0)
            if self.kind(index) in (ContactKind.CLIENT, ContactKind.PARTNER):
                weight *= 1.5
            weights.append(weight)
        cumulative = list(itertools.accumulate(weights))
        by_company = defaultdict(list)
        for index in others:
            company = plan.contact_company[index]
            if company is not None:
                by_company[company].append(index)
        population = list(others)
        target = self.edge_target
        attempts = 0
        while len(plan.edges) < target and attempts < 50 * target:
            batch = min(100_000, 2 * (target - len(plan.edges)) + 16)
            firsts = rng.choices(population, cum_weights=cumulative, k=batch)
            seconds = rng.choices(population, cum_weights=cumulative, k=batch)
            for i, j in zip(firsts, seconds, strict=True):
                attempts += 1
                company = plan.contact_company[i]
                if company is not None and rng.random() < 0.25:
                    colleagues = by_company[company]
                    if len(colleagues) > 1:
                        add(i, rng.choice(colleagues), same_company=True)
                        if len(plan.edges) >= target:
                            break
                        continue
                add(i, j, same_company=company is not None and company == plan.contact_company[j])
                if len(plan.edges) >= target:
                    break
        self._pairs = pairs

    # -- referrals

    def _referral_pairs(self, count: int) -> list[tuple[int, int]]:
        """(referrer, prospect) pairs that follow real ties: a client, partner, colleague…
        who knows a prospect. Stronger ties and clients are asked more often; each pair at
        most once while there are enough of them."""
        members = len(self.plan.members)
        candidates, weights = [], []
        for i, j, _kind, strength, *_rest in self.plan.edges:
            if i < members or j < members:
                continue
            for referrer, prospect in ((i, j), (j, i)):
                referrer_weight = REFERRER_WEIGHT.get(self.kind(referrer))
                if referrer_weight and self.kind(prospect) == ContactKind.PROSPECT:
                    candidates.append((referrer, prospect))
                    weights.append(strength * referrer_weight)
        rng = self.rng
        if len(candidates) >= count:
            # Weighted sampling without replacement (Efraimidis–Spirakis keys).
            keys = [rng.random() ** (1.0 / weight) for weight in weights]
            chosen = heapq.nlargest(count, range(len(candidates)), key=keys.__getitem__)
            return [candidates[index] for index in sorted(chosen)]
        pairs = list(candidates)
        # Not enough ties (tiny sets): the referrer knows the prospect from now on.
        referrers = [
            index
            for index in range(members, len(self.plan.contacts))
            if self.kind(index) in REFERRER_WEIGHT
        ]
        prospects = [
            index
            for index in range(members, len(self.plan.contacts))
            if self.kind(index) == ContactKind.PROSPECT
        ]
        size = len(self.plan.contacts)
        while len(pairs) < count:
            referrer, prospect = rng.choice(referrers), rng.choice(prospects)
            key = min(referrer, prospect) * size + max(referrer, prospect)
            if key not in self._pairs:
                self._pairs.add(key)
                self.plan.edges.append(self._edge_attributes(referrer, prospect, False))
            pairs.append((referrer, prospect))
        return pairs

    def _statuses(self, count: int) -> list[str]:
        if self.small:
            statuses = [status for status, n in SMALL_STATUS_COUNTS.items() for _ in range(n)]
            statuses += [Status.WON] * (count - len(statuses))
            statuses = statuses[:count]
        else:
            # Every state at least once, then the funnel's mix.
            statuses = list(BULK_STATUS_WEIGHTS)[:count]
            statuses += self.rng.choices(
                list(BULK_STATUS_WEIGHTS),
                weights=list(BULK_STATUS_WEIGHTS.values()),
                k=count - len(statuses),
            )
        self.rng.shuffle(statuses)
        return statuses

    def _step_path(self, status: str, lost_after: str | None) -> list[tuple[str, timedelta]]:
        """The steps after "asked" and their delays from the ask, strictly increasing."""
        rng = self.rng
        hours = lambda low, high: timedelta(minutes=rng.randint(low * 60, high * 60))  # noqa: E731
        days = lambda low, high: timedelta(minutes=rng.randint(low * 1440, high * 1440))  # noqa: E731
        path: list[tuple[str, timedelta]] = []
        elapsed = timedelta(0)

        def step(to: str, delay: timedelta) -> None:
            nonlocal elapsed
            elapsed += delay
            path.append((to, elapsed))

        if status == Status.DECLINED:
            step(Status.DECLINED, hours(4, 168))
            return path
        if status == Status.ASKED:
            return path
        reached = status if status != Status.LOST else lost_after
        order = [Status.CONFIRMED, Status.CONTACTED, Status.MEETING, Status.WON]
        delays = {
            Status.CONFIRMED: lambda: hours(2, 120),
            Status.CONTACTED: lambda: hours(4, 240),
            Status.MEETING: lambda: days(2, 21),
            Status.WON: lambda: days(5, 60),
        }
        for to in order:
            if order.index(to) > order.index(reached):
                break
            step(to, delays[to]())
        if status == Status.LOST:
            step(Status.LOST, days(5, 60) if lost_after == Status.MEETING else days(3, 30))
        return path

    def _referrals(self) -> None:
        rng, plan = self.rng, self.plan
        count = self.referral_target
        pairs = self._referral_pairs(count)
        statuses = self._statuses(len(pairs))
        small_lost = itertools.cycle(SMALL_LOST_AFTER)
        history = timedelta(days=self.size.history_days)
        for (referrer, prospect), status in zip(pairs, statuses, strict=True):
            lost_after = None
            if status == Status.LOST:
                lost_after = next(small_lost) if self.small else _weighted(rng, LOST_AFTER_WEIGHTS)
            path = self._step_path(status, lost_after)
            total = path[-1][1] if path else timedelta(0)
            if status in OPEN_STATUSES:
                # Still open: asked in the last days or weeks.
                extra = timedelta(
                    minutes=rng.randint(60, (120 if status == Status.ASKED else 240) * 60)
                )
            else:
                room = max(timedelta(hours=1), history - total)
                extra = max(timedelta(hours=1), room * (rng.random() ** 1.3))
            asked_at = (self.now - total - extra).replace(second=0, microsecond=0)
            steps = [(to, asked_at + delay) for to, delay in path]
            referrer_contact = plan.contacts[referrer]
            prospect_contact = plan.contacts[prospect]
            owner_id = referrer_contact.owner_id
            value_at_ask = _money(rng, 10.0) if rng.random() < 0.4 else None
            won_value = _money(rng, 10.1) if status == Status.WON else None
            reason = self._reason(prospect_contact, referrer_contact)
            plan.referrals.append(
                ReferralPlan(
                    owner_id=owner_id,
                    referrer=referrer,
                    prospect=prospect,
                    status=status,
                    asked_at=asked_at,
                    path=steps,
                    value_at_ask=value_at_ask,
                    won_value=won_value,
                    quality=_weighted(rng, QUALITY_WEIGHTS),
                    channel=_weighted(rng, ASK_CHANNEL_WEIGHTS),
                    reason=reason,
                    message=(
                        f"Hi {referrer_contact.first_name}, would you introduce me to "
                        f"{prospect_contact.full_name}? {reason} A short email copying me "
                        "would be perfect. Thank you!"
                    ),
                )
            )
            if status == Status.WON:
                plan.conversions.append((prospect, timezone.localdate(steps[-1][1])))
        # A prospect won twice becomes a client once, on the first win.
        first_win: dict[int, date] = {}
        for prospect, day in sorted(plan.conversions, key=lambda item: item[1]):
            first_win.setdefault(prospect, day)
        plan.conversions = sorted(first_win.items())

    def _reason(self, prospect: Contact, referrer: Contact) -> str:
        company = prospect.company.name if prospect.company else "Their company"
        helped = referrer.company.name if referrer.company else "others"
        situation = self.rng.choice(SITUATIONS)
        return f"{company} is {situation}; we helped {helped} through the same."

    # -- readiness, roster

    def _check(self, owner_id: int, client: int, day: date, green: bool) -> CheckPlan:
        rng = self.rng
        contact = self.plan.contacts[client]
        company = contact.company.name if contact.company else "Their company"
        return CheckPlan(
            owner_id=owner_id,
            client=client,
            checked_on=day,
            green_light=green,
            went_well=rng.choice(WENT_WELL),
            could_improve=rng.choice(COULD_IMPROVE) if green else rng.choice(COMPLAINTS),
            would_take=rng.choice(WOULD_TAKE) if green else "Fix what went wrong first.",
            testimonial=(
                rng.choice(TESTIMONIALS).format(team=self.plan.team.name)
                + f" — {contact.full_name}, {company}"
                if green and rng.random() < 0.6
                else ""
            ),
            may_quote=green and rng.random() < 0.5,
        )

    def _readiness(self) -> None:
        """Most referrers were green-lit before their first ask; some clients are not ready
        (complaints), a few asks went ahead without a green light."""
        rng, plan = self.rng, self.plan
        first_ask: dict[int, datetime] = {}
        for referral in plan.referrals:
            current = first_ask.get(referral.referrer)
            if current is None or referral.asked_at < current:
                first_ask[referral.referrer] = referral.asked_at
        not_ready_left = 1 if self.small else None
        for referrer in sorted(first_ask):
            owner_id = plan.contacts[referrer].owner_id
            day = timezone.localdate(first_ask[referrer]) - timedelta(days=rng.randint(3, 45))
            if rng.random() < 0.25:
                earlier = day - timedelta(days=rng.randint(60, 200))
                plan.checks.append(self._check(owner_id, referrer, earlier, green=False))
            green = rng.random() < 0.92
            if not_ready_left is not None:
                green = not_ready_left <= 0 or rng.random() < 0.85
                if not green:
                    not_ready_left -= 1
            plan.checks.append(self._check(owner_id, referrer, day, green=green))
        # Clients not asked yet: some talked to, most green-lit, a few not yet.
        not_asked = [
            index
            for index in range(len(plan.members), len(plan.contacts))
            if self.kind(index) == ContactKind.CLIENT and index not in first_ask
        ]
        for position, client in enumerate(not_asked):
            if self.small or rng.random() < 0.5:
                green = position % 4 != 0 if self.small else rng.random() < 0.7
                day = self.today - timedelta(days=rng.randint(1, self.size.history_days))
                plan.checks.append(self._check(plan.contacts[client].owner_id, client, day, green))

    def _roster(self) -> None:
        """Most asks were for someone on the rep's roster; the entry's status follows its
        referrals (as referrals.services keeps it). Each rep also has prospects they are
        still looking for a path to."""
        rng, plan = self.rng, self.plan
        by_pair: dict[tuple[int, int], list[ReferralPlan]] = defaultdict(list)
        for referral in plan.referrals:
            by_pair[(referral.owner_id, referral.prospect)].append(referral)
        rostered = 0.8 if self.small else 0.7
        on_roster: set[tuple[int, int]] = set()
        for (owner_id, prospect), referrals in by_pair.items():
            if rng.random() >= rostered:
                continue
            entry_index = len(plan.roster)
            plan.roster.append(
                RosterPlan(
                    owner_id=owner_id,
                    prospect=prospect,
                    priority=self._priority(prospect),
                    reason=self._roster_reason(prospect),
                    status=roster_status_for({referral.status for referral in referrals}),
                )
            )
            for referral in referrals:
                referral.roster = entry_index
            on_roster.add((owner_id, prospect))
        asked_for = {referral.prospect for referral in plan.referrals}
        prospects = [
            index
            for index in range(len(plan.members), len(plan.contacts))
            if self.kind(index) == ContactKind.PROSPECT and index not in asked_for
        ]
        prospects.sort(key=lambda index: -plan.contacts[index].fit_score)
        wanted = 2 * len(self.reps) if self.small else round(0.15 * len(plan.referrals))
        good_fits = prospects[: max(wanted * 2, 1)]
        rng.shuffle(good_fits)
        for prospect in good_fits[:wanted]:
            owner_id = plan.contacts[prospect].owner_id
            if (owner_id, prospect) in on_roster:
                continue
            on_roster.add((owner_id, prospect))
            plan.roster.append(
                RosterPlan(
                    owner_id=owner_id,
                    prospect=prospect,
                    priority=self._priority(prospect),
                    reason=self._roster_reason(prospect),
                )
            )

    def _priority(self, prospect: int) -> int:
        score = self.plan.contacts[prospect].fit_score
        if score >= 70:
            return Priority.HIGH
        return Priority.MEDIUM if score >= 40 else Priority.LOW

    def _roster_reason(self, prospect: int) -> str:
        contact = self.plan.contacts[prospect]
        company = contact.company
        template = self.rng.choice(ROSTER_REASONS)
        return template.format(
            industry=company.get_industry_display().lower() if company else "their sector",
            region=company.region if company else "their region",
            employees=company.employee_count if company else "a few hundred",
            company=company.name if company else "Their company",
            situation=self.rng.choice(SITUATIONS),
            title=contact.title or "buyer",
        )

    # -- deals, reciprocity, goals

    def _other_deals(self) -> None:
        """Deals that did not come from a referral: they close less often and smaller
        (the comparison the dashboard shows)."""
        rng, plan = self.rng, self.plan
        referral_deals = sum(1 for referral in plan.referrals if referral.at(Status.MEETING))
        count = max(len(OTHER_DEAL_SOURCE_WEIGHTS), self.deal_target - referral_deals)
        sources = list(OTHER_DEAL_SOURCE_WEIGHTS)[:count]
        sources += rng.choices(
            list(OTHER_DEAL_SOURCE_WEIGHTS),
            weights=list(OTHER_DEAL_SOURCE_WEIGHTS.values()),
            k=count - len(sources),
        )
        candidates = [
            index
            for index in range(len(plan.members), len(plan.contacts))
            if self.kind(index) in (ContactKind.PROSPECT, ContactKind.CLIENT)
        ]
        rep_ids = [member.user.pk for member in self.reps]
        for position, source in enumerate(sources):
            contact_index = rng.choice(candidates)
            contact = plan.contacts[contact_index]
            owner_id = contact.owner_id if contact.owner_id in rep_ids else rng.choice(rep_ids)
            opened_on = self.today - timedelta(days=rng.randint(0, self.size.history_days))
            closes_on = opened_on + timedelta(days=rng.randint(10, 120))
            if closes_on > self.today or (self.small and position % 3 == 0):
                outcome, closed_on = Deal.Outcome.OPEN, None
            else:
                won = rng.random() < 0.22 or (self.small and position % 3 == 1)
                outcome = Deal.Outcome.WON if won else Deal.Outcome.LOST
                closed_on = closes_on
            company = contact.company.name if contact.company else contact.full_name
            plan.deals.append(
                DealPlan(
                    owner_id=owner_id,
                    contact=contact_index,
                    name=f"{company} — {rng.choice(DEAL_PRODUCTS)}",
                    source=source,
                    value=_money(rng, 9.6),
                    outcome=outcome,
                    opened_on=opened_on,
                    closed_on=closed_on,
                )
            )

    def _given(self) -> None:
        rng, plan = self.rng, self.plan
        referrers = sorted({referral.referrer for referral in plan.referrals})
        clients = [
            index
            for index in range(len(plan.members), len(plan.contacts))
            if self.kind(index) == ContactKind.CLIENT
        ] or referrers
        others = range(len(plan.members), len(plan.contacts))
        for _ in range(self.given_target):
            # Reciprocity first for those who gave us introductions.
            pool = referrers if referrers and rng.random() < 0.6 else clients
            client = rng.choice(pool)
            introduced = rng.choice(others) if rng.random() < 0.6 else None
            if introduced == client:
                introduced = None
            name = ""
            if introduced is None:
                locale = rng.choice(sorted(self.names.first))
                name = (
                    f"{rng.choice(self.names.first[locale])} {rng.choice(self.names.last[locale])}"
                    f", {rng.choice(self.names.companies[locale])}"
                )[:200]
            plan.given.append(
                GivenPlan(
                    owner_id=plan.contacts[client].owner_id,
                    client=client,
                    introduced=introduced,
                    introduced_name=name,
                    given_on=self.today - timedelta(days=rng.randint(0, self.size.history_days)),
                    note=rng.choice(GIVEN_NOTES),
                )
            )

    def _goals(self) -> None:
        """Written weekly goals for the last twelve weeks and this one, for the team and
        each rep, a little above each rep's actual pace."""
        rng, plan = self.rng, self.plan
        weeks = self.size.history_days / 7
        asks = Counter(referral.owner_id for referral in plan.referrals)
        given = Counter(item.owner_id for item in plan.given)
        this_monday = _monday(self.today)
        for back in range(12, -1, -1):
            week_start = this_monday - timedelta(weeks=back)
            team_goal = GoalPlan(None, week_start, 0, 0, 0, 0, 0)
            for member in plan.members:
                if not member.is_rep:
                    continue
                pace = asks[member.user.pk] / weeks * rng.uniform(1.0, 1.3)
                goal = GoalPlan(
                    rep_id=member.user.pk,
                    week_start=week_start,
                    asks=max(1, round(pace)),
                    intros=max(1, round(pace * 0.7)),
                    meetings=max(1, round(pace * 0.45)),
                    referrals_given=max(1, round(given[member.user.pk] / weeks * 1.2)),
                    wins=max(1, round(pace * 0.25)),
                )
                plan.goals.append(goal)
                for name in ("asks", "intros", "meetings", "referrals_given", "wins"):
                    setattr(team_goal, name, getattr(team_goal, name) + getattr(goal, name))
            plan.goals.append(team_goal)

    def _last_contacted(self) -> None:
        plan = self.plan
        latest: dict[int, date] = {}
        for referral in plan.referrals:
            day = timezone.localdate(referral.last_at)
            for index in (referral.referrer, referral.prospect):
                if latest.get(index) is None or latest[index] < day:
                    latest[index] = day
        for index in range(len(plan.members), len(plan.contacts)):
            contact = plan.contacts[index]
            if index in latest:
                contact.last_contacted_on = latest[index]
            elif self.rng.random() < 0.5:
                contact.last_contacted_on = self.today - timedelta(days=self.rng.randint(1, 365))


# --- Writing through the services (the demo) -----------------------------------------------


class ServiceWriter:
    """Writes a plan through the services, one call per user action, in the order the
    actions happened: exactly what the app would hold, activities included."""

    def __init__(self, plan: TeamPlan):
        self.plan = plan
        self.users = {member.user.pk: member.user for member in plan.members}

    def write(self) -> None:
        plan, users = self.plan, self.users
        team = plan.team
        companies = [
            contact_services.company_create(
                team=team,
                name=company.name,
                industry=company.industry,
                region=company.region,
                country=company.country,
                employee_count=company.employee_count,
                revenue_band=company.revenue_band,
                website=company.website,
            )
            for company in plan.companies
        ]
        contacts = [member.contact for member in plan.members]
        for index in range(len(plan.members), len(plan.contacts)):
            draft = plan.contacts[index]
            fields = {name: getattr(draft, name) for name in contact_services.CONTACT_FIELDS}
            company_index = plan.contact_company[index]
            fields["company"] = companies[company_index] if company_index is not None else None
            owner = users[draft.owner_id]
            contacts.append(
                contact_services.contact_create(team=team, owner=owner, actor=owner, **fields)
            )
        for i, j, kind, strength, since, source, notes, creator in plan.edges:
            contact_services.relationship_create(
                contact=contacts[i],
                other=contacts[j],
                actor=users.get(creator),
                kind=kind,
                strength=strength,
                since=since,
                source=source,
                notes=notes,
            )
        for check in sorted(plan.checks, key=lambda item: item.checked_on):
            referral_services.readiness_check_record(
                owner=users[check.owner_id],
                client=contacts[check.client],
                checked_on=check.checked_on,
                went_well=check.went_well,
                could_improve=check.could_improve,
                would_take=check.would_take,
                testimonial=check.testimonial,
                may_quote=check.may_quote,
                green_light=check.green_light,
            )
        for entry in plan.roster:
            referral_services.roster_entry_create(
                owner=users[entry.owner_id],
                team=team,
                prospect=contacts[entry.prospect],
                priority=entry.priority,
                reason=entry.reason,
            )
        self._referral_events(contacts)
        for index, since in plan.conversions:
            contact = contacts[index]
            contact.refresh_from_db()
            contact_services.contact_update(
                contact=contact,
                data={"kind": ContactKind.CLIENT, "client_since": since},
                actor=users[contact.owner_id],
            )
        for deal in plan.deals:
            referral_services.deal_create(
                owner=users[deal.owner_id],
                contact=contacts[deal.contact],
                name=deal.name,
                source=deal.source,
                value=deal.value,
                outcome=deal.outcome,
                opened_on=deal.opened_on,
                closed_on=deal.closed_on,
            )
        for given in plan.given:
            referral_services.referral_given_record(
                owner=users[given.owner_id],
                client=contacts[given.client],
                given_on=given.given_on,
                introduced=contacts[given.introduced] if given.introduced is not None else None,
                introduced_name=given.introduced_name,
                note=given.note,
            )
        _goals_write(plan)
        self._followups_catch_up()

    def _followups_catch_up(self) -> None:
        """A team that has used Warmpath for a while has done its follow-ups: complete
        those due more than two days ago, mostly on time, on the person's preferred
        channel. What came due since stays pending, so the demo has
        a realistic inbox (a little overdue, some due today) rather than months of it."""
        cutoff = timezone.now() - timedelta(days=2)
        # Completing a periodic update schedules the next one, which may itself be past
        # the cutoff: go round until nothing old is left (bounded).
        for _round in range(60):
            stale = list(
                FollowUp.objects.filter(
                    referral__team=self.plan.team,
                    status=FollowUp.Status.PENDING,
                    due_at__lt=cutoff,
                )
                .select_related("recipient", "referral")
                .order_by("due_at", "pk")
            )
            if not stale:
                return
            for followup in stale:
                # Most are done before they come due; about one in five a little late.
                if followup.pk % 5:
                    offset = -timedelta(hours=1 + followup.pk % 18)
                else:
                    offset = timedelta(hours=2 + followup.pk % 10)
                followup_services.followup_complete(
                    followup=followup,
                    actor=self.users[followup.owner_id],
                    channel=followup.recipient.preferred_channel,
                    at=min(followup.due_at + offset, cutoff),
                )

    def _referral_events(self, contacts: list[Contact]) -> None:
        """Asks and transitions replayed in time order, as they would have been clicked."""
        events = []
        for position, referral in enumerate(self.plan.referrals):
            events.append((referral.asked_at, position, Status.ASKED))
            events.extend((moment, position, to) for to, moment in referral.path)
        events.sort(key=lambda event: (event[0], event[1]))
        saved: dict[int, Referral] = {}
        for moment, position, to in events:
            plan = self.plan.referrals[position]
            owner = self.users[plan.owner_id]
            if to == Status.ASKED:
                saved[position] = referral_services.referral_create(
                    owner=owner,
                    team=self.plan.team,
                    referrer=contacts[plan.referrer],
                    prospect=contacts[plan.prospect],
                    asked_at=moment,
                    reason=plan.reason,
                    quality=plan.quality,
                    channel=plan.channel,
                    message=plan.message,
                    value=plan.value_at_ask,
                )
            else:
                saved[position] = referral_services.referral_transition(
                    referral=saved[position],
                    to=to,
                    at=moment,
                    value=plan.won_value if to == Status.WON else None,
                    actor=owner,
                )


def _goals_write(plan: TeamPlan) -> int:
    # No goal-setting service exists yet; goals are plain rows with no side effects.
    goals = [
        WeeklyGoal(
            team=plan.team,
            rep_id=goal.rep_id,
            week_start=goal.week_start,
            asks=goal.asks,
            intros=goal.intros,
            meetings=goal.meetings,
            referrals_given=goal.referrals_given,
            wins=goal.wins,
        )
        for goal in plan.goals
    ]
    WeeklyGoal.objects.bulk_create(goals, batch_size=500)
    return len(goals)


# --- Writing in bulk (medium, large) ---------------------------------------------------------

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    return str(value)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


class BulkWriter:
    """Writes a plan with PostgreSQL COPY, or bulk_create elsewhere (SQLite). Ids that
    other rows point to are reserved first (sequence values on PostgreSQL), so every row
    is written once, in one pass. Model instances are built as for bulk_create, so fields
    added later with a default are written too."""

    COPY_CHUNK = 20_000
    BULK_BATCH = 2_000

    def __init__(self, plan: TeamPlan, *, activity_days: int | None, now: datetime):
        self.plan = plan
        self.activity_since = now - timedelta(days=activity_days) if activity_days else None
        self.now = now  # follow-ups due after it are still pending
        self.use_copy = connection.vendor == "postgresql"
        self.touched: list[type] = []

    # -- primitives

    def allocate_ids(self, model, count: int) -> list[int]:
        if count == 0:
            return []
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.use_copy:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [table, model._meta.pk.column, count],
                )
                return [row[0] for row in cursor.fetchall()]
            quoted = connection.ops.quote_name(table)
            column = connection.ops.quote_name(model._meta.pk.column)
            cursor.execute(f"SELECT COALESCE(MAX({column}), 0) FROM {quoted}")  # noqa: S608
            start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))

    def insert(self, model, objects: Iterable, *, with_pk: bool = False) -> int:
        if model not in self.touched:
            self.touched.append(model)
        fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        written = 0
        chunk_size = self.COPY_CHUNK if self.use_copy else self.BULK_BATCH * 5
        for chunk in _chunks(objects, chunk_size):
            if self.use_copy:
                self._copy(model, fields, chunk)
            else:
                model.objects.bulk_create(chunk, batch_size=self.BULK_BATCH)
            written += len(chunk)
        return written

    def _copy(self, model, fields, chunk) -> None:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        # What bulk_create would send: pre_save's value, which for auto_now(_add) fields
        # is "now" (taken once per chunk) and otherwise the attribute itself.
        getters = []
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                now = f.pre_save(chunk[0], True)
                getters.append(lambda obj, value=now: value)
            else:
                getters.append(operator.attrgetter(f.attname))
        buffer = io.StringIO()
        write = buffer.write
        for obj in chunk:
            write("\t".join([_copy_text(get(obj)) for get in getters]))
            write("\n")
        sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        with connection.cursor() as cursor:
            raw = cursor.cursor
            if hasattr(raw, "copy_expert"):  # psycopg2
                buffer.seek(0)
                raw.copy_expert(sql, buffer)
            else:  # psycopg 3
                with raw.copy(sql) as copy:
                    copy.write(buffer.getvalue())

    def analyze(self) -> None:
        if not self.use_copy:
            return
        with connection.cursor() as cursor:
            for model in self.touched:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    # -- the plan

    def write(self) -> None:
        plan = self.plan
        team_id = plan.team.pk
        for company, pk in zip(
            plan.companies, self.allocate_ids(Company, len(plan.companies)), strict=True
        ):
            company.pk = pk
        self.insert(Company, plan.companies, with_pk=True)

        members = len(plan.members)
        new_contacts = plan.contacts[members:]
        for index, since in plan.conversions:
            plan.contacts[index].kind = ContactKind.CLIENT
            plan.contacts[index].client_since = since
        for contact, pk in zip(
            new_contacts, self.allocate_ids(Contact, len(new_contacts)), strict=True
        ):
            contact.pk = pk
            contact.company_id = contact.company.pk if contact.company else None
        self.insert(Contact, new_contacts, with_pk=True)
        ids = [contact.pk for contact in plan.contacts]

        self.insert(
            Relationship,
            (
                Relationship(
                    team_id=team_id,
                    contact_a_id=min(ids[i], ids[j]),
                    contact_b_id=max(ids[i], ids[j]),
                    kind=kind,
                    strength=strength,
                    since=since,
                    source=source,
                    notes=notes,
                    created_by_id=creator,
                )
                for i, j, kind, strength, since, source, notes, creator in plan.edges
            ),
        )
        self.insert(
            ReadinessCheck,
            (
                ReadinessCheck(
                    team_id=team_id,
                    owner_id=check.owner_id,
                    client_id=ids[check.client],
                    checked_on=check.checked_on,
                    went_well=check.went_well,
                    could_improve=check.could_improve,
                    would_take=check.would_take,
                    testimonial=check.testimonial,
                    may_quote=check.may_quote,
                    green_light=check.green_light,
                )
                for check in plan.checks
            ),
        )
        roster_ids = self.allocate_ids(RosterEntry, len(plan.roster))
        self.insert(
            RosterEntry,
            (
                RosterEntry(
                    pk=pk,
                    team_id=team_id,
                    owner_id=entry.owner_id,
                    prospect_id=ids[entry.prospect],
                    priority=entry.priority,
                    reason=entry.reason,
                    status=entry.status,
                )
                for entry, pk in zip(plan.roster, roster_ids, strict=True)
            ),
            with_pk=True,
        )
        referral_ids = self.allocate_ids(Referral, len(plan.referrals))
        self.insert(
            Referral,
            (
                self._referral(referral, pk, ids, roster_ids)
                for referral, pk in zip(plan.referrals, referral_ids, strict=True)
            ),
            with_pk=True,
        )
        self.insert(Deal, self._referral_deals(referral_ids))
        self.insert(
            Deal,
            (
                Deal(
                    team_id=team_id,
                    owner_id=deal.owner_id,
                    contact_id=ids[deal.contact],
                    name=deal.name,
                    source=deal.source,
                    value=deal.value,
                    outcome=deal.outcome,
                    opened_on=deal.opened_on,
                    closed_on=deal.closed_on,
                )
                for deal in plan.deals
            ),
        )
        self.insert(
            ReferralGiven,
            (
                ReferralGiven(
                    team_id=team_id,
                    owner_id=given.owner_id,
                    client_id=ids[given.client],
                    introduced_id=ids[given.introduced] if given.introduced is not None else None,
                    introduced_name=given.introduced_name,
                    given_on=given.given_on,
                    note=given.note,
                )
                for given in plan.given
            ),
        )
        _goals_write(plan)
        self.insert(Activity, self._activities(ids, referral_ids))
        self.write_followups(referral_ids)
        self.analyze()

    def _referral(self, plan: ReferralPlan, pk: int, ids: list[int], roster_ids) -> Referral:
        referral = Referral(
            pk=pk,
            team_id=self.plan.team.pk,
            owner_id=plan.owner_id,
            referrer_id=ids[plan.referrer],
            prospect_id=ids[plan.prospect],
            roster_entry_id=roster_ids[plan.roster] if plan.roster is not None else None,
            asked_at=plan.asked_at,
            reason=plan.reason,
            quality=plan.quality,
            channel=plan.channel,
            message=plan.message,
            status=plan.status,
            value=plan.value,
        )
        for to, moment in plan.path:
            setattr(referral, referral_services.STEP_TIME_FIELD[to], moment)
        return referral

    def _referral_deals(self, referral_ids: list[int]) -> Iterator[Deal]:
        """What referrals.services._deal_follow does: a meeting opens a deal of source
        referral; won or lost closes it on the same day with the referral's value."""
        contacts = self.plan.contacts
        for plan, pk in zip(self.plan.referrals, referral_ids, strict=True):
            meeting_at = plan.at(Status.MEETING)
            if meeting_at is None:
                continue
            opened_on = timezone.localdate(meeting_at)
            outcome, closed_on = Deal.Outcome.OPEN, None
            if plan.status in (Status.WON, Status.LOST):
                outcome = Deal.Outcome.WON if plan.status == Status.WON else Deal.Outcome.LOST
                closed_on = max(timezone.localdate(plan.last_at), opened_on)
            prospect, referrer = contacts[plan.prospect], contacts[plan.referrer]
            yield Deal(
                team_id=self.plan.team.pk,
                owner_id=plan.owner_id,
                contact_id=prospect.pk,
                referral_id=pk,
                name=f"{prospect} (referred by {referrer})",
                source=Deal.Source.REFERRAL,
                value=plan.value,
                outcome=outcome,
                opened_on=opened_on,
                closed_on=closed_on,
            )

    def _activities(self, ids: list[int], referral_ids: list[int]) -> Iterator[Activity]:
        """The timeline rows the services write, for the recent `activity_days` (all of
        them would dwarf the rest of the data set)."""
        since = self.activity_since
        team_id = self.plan.team.pk
        contacts = self.plan.contacts
        noon = datetime.min.time().replace(hour=12)
        current = timezone.get_current_timezone()

        def recent(moment: datetime) -> bool:
            return since is None or moment >= since

        for plan, pk in zip(self.plan.referrals, referral_ids, strict=True):
            referrer, prospect = contacts[plan.referrer], contacts[plan.prospect]
            if recent(plan.asked_at):
                yield Activity(
                    team_id=team_id,
                    actor_id=plan.owner_id,
                    contact_id=referrer.pk,
                    referral_id=pk,
                    verb="asked",
                    description=f"Asked {referrer} for an introduction to {prospect}"[:500],
                    occurred_at=plan.asked_at,
                )
            for to, moment in plan.path:
                if recent(moment):
                    text = referral_services.TRANSITION_DESCRIPTIONS[to]
                    yield Activity(
                        team_id=team_id,
                        actor_id=plan.owner_id,
                        contact_id=prospect.pk,
                        referral_id=pk,
                        verb=to,
                        description=text.format(referrer=referrer, prospect=prospect)[:500],
                        occurred_at=moment,
                    )
        for check in self.plan.checks:
            moment = datetime.combine(check.checked_on, noon, tzinfo=current)
            if recent(moment):
                verdict = "green light to ask" if check.green_light else "not ready to be asked yet"
                yield Activity(
                    team_id=team_id,
                    actor_id=check.owner_id,
                    contact_id=ids[check.client],
                    verb="readiness",
                    description=f"Readiness conversation: {verdict}",
                    occurred_at=moment,
                )
        for deal in self.plan.deals:
            moment = datetime.combine(deal.opened_on, noon, tzinfo=current)
            if recent(moment):
                yield Activity(
                    team_id=team_id,
                    actor_id=deal.owner_id,
                    contact_id=ids[deal.contact],
                    verb="deal",
                    description=f"Deal opened ({Deal.Source(deal.source).label.lower()})",
                    occurred_at=moment,
                )
        for given in self.plan.given:
            moment = datetime.combine(given.given_on, noon, tzinfo=current)
            if recent(moment):
                client = contacts[given.client]
                who = (
                    contacts[given.introduced]
                    if given.introduced is not None
                    else given.introduced_name
                )
                yield Activity(
                    team_id=team_id,
                    actor_id=given.owner_id,
                    contact_id=client.pk,
                    verb="gave_referral",
                    description=f"We introduced {client} to {who}"[:500],
                    occurred_at=moment,
                )

    def write_followups(self, referral_ids: list[int]) -> int:
        """The follow-ups the services would have made (followups.services: the rules of
        each event, periodic updates at the referrer's cadence, skipped at closing), with
        a plausible history of the rep's work: most done on time, some late, a few
        skipped, recent ones still pending and a few overdue. Follow-ups whose due time
        has passed count as reminded (and the long-overdue as escalated), so the
        scheduler does not replay years of reminders on seeded data. Returns the count."""
        from followups import reminders
        from followups import services as followup_services

        plan, now = self.plan, self.now
        rng = random.Random(f"followups/{plan.team.name}/{len(plan.referrals)}")
        contacts = plan.contacts
        zones = {
            member.user.pk: zoneinfo.ZoneInfo(member.user.time_zone) for member in plan.members
        }
        within = followup_services.FOLLOW_UP_WITHIN
        channels, channel_weights = list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values())
        skip_reasons = [
            "Told them in person",
            "Covered in a call about something else",
            "They asked for fewer updates",
            "Already thanked at the introduction",
        ]
        notes = ["", "", "", "Warm reply.", "Left a voicemail.", "They were glad to help."]
        Kind, State = FollowUp.Kind, FollowUp.Status

        def outcome(due: datetime, created: datetime, recipient: Contact) -> tuple:
            """(status, done_at, channel, note, skip_reason) of a non-periodic follow-up,
            or of one periodic update, as the rep handled it by `now`."""
            if due > now:
                return State.PENDING, None, "", "", ""
            roll, overdue = rng.random(), now - due
            if roll < (0.4 if overdue < timedelta(days=3) else 0.03):
                return State.PENDING, None, "", "", ""
            if roll > 0.95:
                done_at = min(now, due + timedelta(minutes=rng.randint(0, 2880)))
                return State.SKIPPED, done_at, "", "", rng.choice(skip_reasons)
            if roll > 0.8:  # late
                done_at = due + timedelta(minutes=rng.randint(60, 7 * 1440))
            else:  # on time, after the event
                earliest = max(created, due - within) + timedelta(minutes=30)
                span = max(0, int((due - earliest).total_seconds() // 60))
                done_at = earliest + timedelta(minutes=rng.randint(0, span))
            if done_at > now:
                return State.PENDING, None, "", "", ""
            channel = (
                recipient.preferred_channel
                if rng.random() < 0.8
                else rng.choices(channels, channel_weights)[0]
            )
            return State.DONE, done_at, channel, rng.choice(notes), ""

        def row(referral_plan, pk, kind, occasion, recipient, due, result, closed_at=None):
            status, done_at, channel, note, skip_reason = result
            followup = FollowUp(
                team_id=plan.team.pk,
                owner_id=referral_plan.owner_id,
                referral_id=pk,
                kind=kind,
                occasion=occasion,
                recipient_id=recipient.pk,
                due_at=due,
                status=status,
                channel=channel,
                note=note,
                skip_reason=skip_reason,
                done_at=done_at,
            )
            if kind == Kind.CLOSING_THANKS and status == State.DONE and rng.random() < 0.3:
                followup.gift_note = rng.choice(["A book they mentioned", "Wine", "Lunch"])
                followup.gift_cost = Decimal(rng.randint(25, 150))
            if due <= now:
                followup.reminded_at = due
                if status == State.PENDING and now - due > reminders.ESCALATE_AFTER:
                    followup.escalated_at = due + reminders.ESCALATE_AFTER
            return followup

        def followups() -> Iterator[FollowUp]:
            for referral_plan, pk in zip(plan.referrals, referral_ids, strict=True):
                referrer = contacts[referral_plan.referrer]
                prospect = contacts[referral_plan.prospect]
                cadence = referrer.update_cadence
                events = [("asked", referral_plan.asked_at), *referral_plan.path]
                for event, moment in events:
                    for kind, to_prospect, each_step_only in followup_services.RULES[event]:
                        if each_step_only and cadence != UpdateCadence.EACH_STEP:
                            continue
                        recipient = prospect if to_prospect else referrer
                        due = moment + within
                        result = outcome(due, moment, recipient)
                        yield row(referral_plan, pk, kind, event, recipient, due, result)
                if cadence not in followup_services.PERIODIC_CADENCES:
                    continue
                closed_at = (
                    referral_plan.last_at if referral_plan.status in FINAL_STATUSES else None
                )
                zone = zones.get(referral_plan.owner_id, timezone.get_default_timezone())
                after = referral_plan.asked_at
                for number in itertools.count(1):
                    occasion = f"{followup_services.PERIODIC_PREFIX}{number}"
                    due = followup_services.periodic_next_due(
                        cadence=cadence, after=after, zone=zone
                    )
                    result = outcome(due, after, referrer)
                    status, done_at = result[0], result[1]
                    closed_first = closed_at is not None and (
                        status == State.PENDING or done_at > closed_at
                    )
                    if closed_first:  # still pending when the referral closed: skipped then
                        reason = followup_services.SKIPPED_REFERRAL_CLOSED
                        result = (State.SKIPPED, closed_at, "", "", reason)
                    yield row(
                        referral_plan, pk, Kind.PERIODIC_UPDATE, occasion, referrer, due, result
                    )
                    if closed_first or status == State.PENDING:
                        break
                    after = done_at

        return self.insert(FollowUp, followups())


# --- Whole sizes -------------------------------------------------------------------------------

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
            _generated_members_ensure(size, seed)
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
        members = _members(team)
        profile = referral_services.ideal_client_profile_update(team=team, data=_icp_for(index))
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
