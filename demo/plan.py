"""The planner: the sizes, and ``TeamPlanner``, which draws one team's data in memory from
``random.Random(seed)`` (nothing is written here). A skewed network (a few people know very
many, most know a few), asks that follow real ties, step times in order (asked < confirmed
< contacted < meeting < won/lost; declined only from asked)."""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Membership, Team, User
from contacts.fit import fit_score
from contacts.models import (
    Company,
    Contact,
    ContactKind,
    IdealClientProfile,
    Industry,
    PersonType,
    RelationshipKind,
    RevenueBand,
)
from demo import DEMO_TEAM
from demo.words import (
    ASK_CHANNEL_WEIGHTS,
    CADENCE_WEIGHTS,
    CHANNEL_WEIGHTS,
    COMPLAINTS,
    COULD_IMPROVE,
    DEAL_PRODUCTS,
    FUNCTION_WEIGHTS,
    GIVEN_NOTES,
    INDUSTRY_WORDS,
    KIND_WEIGHTS,
    NOTES,
    OTHER_DEAL_SOURCE_WEIGHTS,
    PERSON_TYPE_WEIGHTS,
    QUALITY_WEIGHTS,
    REFERRER_WEIGHT,
    REGIONS,
    ROSTER_REASONS,
    SITUATIONS,
    TESTIMONIALS,
    TIE_KIND_WEIGHTS,
    TIE_NOTES,
    TIE_SOURCE_WEIGHTS,
    TIE_STRENGTH,
    TITLES,
    WENT_WELL,
    WOULD_TAKE,
    NamePools,
    ascii_slug,
)
from referrals import services as referral_services
from referrals.models import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    Deal,
    Priority,
    Referral,
    RosterEntry,
)

Status = Referral.Status


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
    # One very busy team (issue 20): 20 reps asking about 7,000 times a week over the last
    # twelve weeks, so the benchmark shows the dashboard costs the same as a normal team's.
    "dense": Size(
        "dense",
        ("Wingtip Volume",),
        20,
        40_000,
        150_000,
        100_000,
        50_000,
        10_000,
        330_000,
        120,
        30,
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
# Where a lost referral stopped: after the intro, after the first contact, or after meeting.
LOST_AFTER_WEIGHTS = {Status.CONFIRMED: 30, Status.CONTACTED: 30, Status.MEETING: 40}
SMALL_LOST_AFTER = [Status.MEETING, Status.CONTACTED, Status.CONFIRMED, Status.MEETING]


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
        # Each pair once: a referrer has one open ask per prospect (the referral's
        # constraint), and these asks may all still be open.
        chosen = set(pairs)
        while len(pairs) < count and len(chosen) < len(referrers) * len(prospects):
            referrer, prospect = rng.choice(referrers), rng.choice(prospects)
            if (referrer, prospect) in chosen:
                continue
            chosen.add((referrer, prospect))
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
