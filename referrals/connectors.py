"""Referrals in reverse: who can lead the rep to a target, and how likely that is.

The search
----------
A breadth-first search over the team's relationships, run *in the database*, one SQL
statement per search: each level is a common table expression joined to the
relationships in both directions (through the covering indexes (contact_a, contact_b,
strength) and (contact_b, contact_a, strength): index-only scans on PostgreSQL), with
one row per person per level (``ROW_NUMBER() … = 1``) and the people of earlier levels
left out — so ``hops`` is the shortest distance, cycles end by themselves, and the graph
never travels to Python. The same SQL runs on SQLite and PostgreSQL.

Each level keeps, for every person, one parent pointer: the neighbour one step nearer
the target through which the chain of ties is likeliest to carry the introductions (the
lowest sum of each tie's cost, ``-ln`` of its chance in referrals.ranking.TIE_CHANCE,
in millionths; then the strongest weakest tie, then the lowest id). That is the model's
chain, chosen exactly among the shortest paths: strengthening a tie never makes anyone's
chain less likely. Paths are read back from those pointers, so a path [C, X, …, target]
always ends with X's own path.

The bound for very connected people
-----------------------------------
- Level 1 (who knows the target) and level 2 (who knows one of them) are computed in
  full, so every distance up to 2 is exact and never overstated at level 3. Their cost is
  the sum of the degrees of the target's neighbours (at most ~30,000 index entries on
  DESIGN.md's large data set, median ~200).
- At most ``level_cap`` (LEVEL_CAP) people are kept at level 2 and at level 3, those of
  the likeliest chains. Level 3 is reached only from the level-2 people kept, and each of
  them contributes only their ``fanout`` (FANOUT) strongest ties to new people. A third
  level grows with the cube of the degree (over a million paths from the most connected
  people of the large set), so it is sampled by strength; the page says so.

The ranking
-----------
referrals.ranking holds the model (docs/ranking.md): the chance that the whole chain of
introductions happens. The SQL reads, for each person found, what the model needs from
their own row — kind, owner, last touch, and what referrals.contact_facts keeps there: the
answer of their latest readiness conversation and how they answered earlier asks — and
the rep's own tie to them; ``score`` fills in the chance, its factors and the reason in a
rep's words.

The roster's best connector (``best_connectors_for``) runs the same two levels for a
whole page of prospects in one statement, orders each prospect's candidates in SQL by the
part of the chance SQL knows (the chain, the kind, the rep's reach), keeps the first
ROSTER_CANDIDATES, and ranks those in Python with the same ``score``. It looks through
direct contacts who are not already ours only: a chain through a team client or a
teammate is asked from them on, so it never beats their own direct path.
"""

# The SQL below is assembled from this module's constants and table names only; every
# value (ids, caps) goes in as a query parameter.
# ruff: noqa: S608

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.visibility import team_ids, visible_shared
from contacts.models import Company, Contact, ContactKind, Relationship
from referrals import ranking
from referrals.models import Quality

MAX_HOPS = 3
# People kept at levels 2 and 3 (the likeliest chains first).
LEVEL_CAP = 500
# New ties followed from each level-2 person towards level 3 (their strongest first).
FANOUT = 50
# Roster (a page of prospects at once, 2 hops): the direct contacts expanded per
# prospect and the further ties followed from each (strongest first); candidates ranked
# in Python per prospect.
ROSTER_EXPANDED = 25
ROSTER_FANOUT = 20
ROSTER_CANDIDATES = 30

# A tie's cost in the search: -ln(chance), in millionths (lower is likelier).
TIE_COST = {
    strength: round(-math.log(chance) * 1e6) for strength, chance in ranking.TIE_CHANCE.items()
}
KIND_LABELS = dict(ContactKind.choices)

BOUND_NOTE = "Showing the likeliest paths; very connected people are sampled by strength."
MAX_HOPS_ERROR = "max_hops must be a whole number from 1 to 3."
PATH_BROKEN = "This path is no longer a chain of ties in your team."
ON_THE_WAY = "On the way to {target}. {reason}"


# --- What a search returns -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """One person on a path, with what the ranking and the page need."""

    pk: int
    first_name: str
    last_name: str
    kind: str
    title: str = ""
    company: str = ""
    user_id: int | None = None
    preferred_channel: str = "email"
    last_contacted_on: date | None = None
    green_light: bool | None = None  # the latest readiness conversation; None: none yet
    last_touch_at: datetime | None = None
    owner_id: int | None = None
    owner_name: str = ""
    asks_yes: int = 0
    asks_no: int = 0
    rep_tie: int | None = None  # the rep's own tie to them, 1–5
    rep_tie_touch: datetime | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def last_touch(self) -> date | None:
        """The most recent touch on record: the team's with them, the rep's tie's, or the
        day typed as last contacted (before touches were recorded)."""
        days = [
            moment.date() if isinstance(moment, datetime) else moment
            for moment in (self.last_touch_at, self.rep_tie_touch, self.last_contacted_on)
            if moment is not None
        ]
        return max(days, default=None)

    def __str__(self) -> str:
        return self.full_name

    @classmethod
    def of(cls, contact: Contact) -> Person:
        return cls(
            pk=contact.pk,
            first_name=contact.first_name,
            last_name=contact.last_name,
            kind=contact.kind,
            title=contact.title,
            company=contact.company.name if contact.company_id and contact.company else "",
            user_id=contact.user_id,
            preferred_channel=contact.preferred_channel,
            last_contacted_on=contact.last_contacted_on,
            last_touch_at=contact.last_touch_at,
            owner_id=contact.owner_id,
        )


@dataclass
class Connector:
    connector: Person
    path: list[Person]  # [connector, …, target]
    hops: int
    strength: int  # the weakest tie on the path, 1–5
    strengths: list[int] = field(default_factory=list)  # each tie of the path, in order
    score: float = 0.0  # the chance that the chain of introductions happens, 0–1
    start: int | None = 0  # where the asks begin on the path (ranking.start_of)
    # Who reads it and when: the words are written only for the rows shown.
    viewer: object = field(default=None, repr=False, compare=False)
    today: date | None = field(default=None, repr=False, compare=False)

    @cached_property
    def verdict(self) -> ranking.Verdict:
        return ranking.evaluate(self.path, self.strengths, user=self.viewer, today=self.today)

    @property
    def factors(self) -> tuple[ranking.Factor, ...]:
        return self.verdict.factors

    @property
    def reason(self) -> str:
        """Why, in a rep's words (the page's line and the API's `reason`)."""
        return self.verdict.reason

    @property
    def path_ids(self) -> list[int]:
        return [person.pk for person in self.path]

    @property
    def path_names(self) -> list[str]:
        return [person.full_name for person in self.path]

    @property
    def target(self) -> Person:
        return self.path[-1]

    @property
    def percent(self) -> int:
        return round(self.score * 100)

    @property
    def first_ask(self) -> Person | None:
        """Whom the rep asks first (None: the rep knows the target)."""
        return None if self.start is None else self.path[self.start]

    @property
    def introduces(self) -> Person | None:
        """Whom that first ask is for: the target, or the next person on the way."""
        return None if self.start is None else self.path[self.start + 1]


# --- Ranking ---------------------------------------------------------------------------------


def score(result: Connector, *, user, today: date) -> Connector:
    """Fill in the chance (referrals.ranking); its factors and reason follow on demand."""
    result.start, result.score = ranking.chance(
        result.path, result.strengths, user=user, today=today
    )
    result.viewer, result.today = user, today
    return result


def _rank_key(result: Connector):
    return ranking.rank_key(
        result.score, result.hops, result.connector.full_name, result.connector.pk
    )


# --- SQL -------------------------------------------------------------------------------------


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    sqlite = connection.vendor == "sqlite"
    return {
        "rel": quote(Relationship._meta.db_table),
        "contact": quote(Contact._meta.db_table),
        "company": quote(Company._meta.db_table),
        "user": quote(User._meta.db_table),
        # SQLite's fence around a level's ties (_ties_of): a subquery with a LIMIT
        # takes no condition from outside. PostgreSQL needs none.
        "fence_open": "SELECT * FROM (" if sqlite else "",
        "fence_close": ") LIMIT -1" if sqlite else "",
    }


def _weaker(a: str, b: str) -> str:
    # LEAST() on PostgreSQL is MIN() on SQLite; CASE is both.
    return f"CASE WHEN {a} < {b} THEN {a} ELSE {b} END"


def _cost(strength: str) -> str:
    cases = " ".join(f"WHEN {value} THEN {cost}" for value, cost in TIE_COST.items())
    return f"(CASE {strength} {cases} ELSE {TIE_COST[1]} END)"


def _ties_of(frontier: str, *, carry: tuple[str, ...] = ()) -> str:
    """Every tie of the people in `frontier` (columns node, weakest, cost[, *carry]), in
    both directions: (via = the frontier person, node = the other person, tie).

    On SQLite, fenced: the next level's tests of the other person (not the target, not
    already found) would otherwise be moved into this join, and with them SQLite (3.38+)
    may build a Bloom filter of every relationship of the database before the first
    lookup — which it did on a database of 500,000 relationships (medium×5: 60 ms for a
    2-hop search instead of 2) and not on one of a million, by its estimates."""
    extra = "".join(f", f.{column}" for column in carry)
    return f"""{{fence_open}}
        SELECT f.node AS via, r.contact_b_id AS node, r.strength AS tie,
               f.weakest AS weakest, f.cost AS cost{extra}
        FROM {frontier} f JOIN {{rel}} r ON r.contact_a_id = f.node
        UNION ALL
        SELECT f.node AS via, r.contact_a_id AS node, r.strength AS tie,
               f.weakest AS weakest, f.cost AS cost{extra}
        FROM {frontier} f JOIN {{rel}} r ON r.contact_b_id = f.node{{fence_close}}"""


# The rep's own contact record in the target's team (parameters user and team).
_ME = "(SELECT me.id FROM {contact} me WHERE me.user_id = %(user)s AND me.team_id = %(team)s)"

_PERSON_COLUMNS = """
    c.first_name, c.last_name, c.kind, c.title, co.name, c.user_id, c.preferred_channel,
    c.last_contacted_on, c.green_light, c.last_touch_at, c.owner_id, ow.first_name,
    ow.last_name, c.asks_made, c.asks_declined, mine.strength, mine.last_touch_at"""
# What each of those columns is, in their order (_person reads them so).
PERSON_FIELDS = (
    "first_name", "last_name", "kind", "title", "company", "user_id", "preferred_channel",
    "last_contacted_on", "green_light", "last_touch_at", "owner_id", "owner_first_name",
    "owner_last_name", "asks_yes", "asks_no", "rep_tie", "rep_tie_touch",
)  # fmt: skip
PERSON_COLUMN_COUNT = len(PERSON_FIELDS)
# What the roster's bound reads of a row before making it a person (ranking.reach_of).
_REACH_COLUMNS = tuple(PERSON_FIELDS.index(name) for name in ("user_id", "owner_id", "rep_tie"))

_PERSON_JOINS = """
    LEFT JOIN {company} co ON co.id = c.company_id
    LEFT JOIN {user} ow ON ow.id = c.owner_id
    LEFT JOIN mine ON mine.other = c.id"""

# The rep's own ties in the target's team (a CTE of the searches: the rep's degree, small).
_MINE = f"""mine AS (
        SELECT m.contact_b_id AS other, m.strength, m.last_touch_at
        FROM {{rel}} m WHERE m.contact_a_id = {_ME}
        UNION ALL
        SELECT m.contact_a_id AS other, m.strength, m.last_touch_at
        FROM {{rel}} m WHERE m.contact_b_id = {_ME})"""


def _search_sql(max_hops: int) -> str:
    """The single-target search (parameters by name: target, user, team, level_cap,
    fanout)."""
    parts = [
        f"""level1 AS (
        SELECT r.contact_b_id AS node, r.contact_a_id AS via, r.strength AS step,
               r.strength AS weakest, {_cost("r.strength")} AS cost
        FROM {{rel}} r WHERE r.contact_a_id = %(target)s
        UNION ALL
        SELECT r.contact_a_id AS node, r.contact_b_id AS via, r.strength AS step,
               r.strength AS weakest, {_cost("r.strength")} AS cost
        FROM {{rel}} r WHERE r.contact_b_id = %(target)s)"""
    ]
    found = ["SELECT node, via, step, weakest, 1 AS hops FROM level1"]
    if max_hops >= 2:
        weakest = _weaker("t.tie", "t.weakest")
        cost = f"t.cost + {_cost('t.tie')}"
        parts.append(f"""ties2 AS ({_ties_of("level1")})""")
        parts.append(
            f"""level2_all AS (
        SELECT node, via, step, weakest, cost FROM (
            SELECT t.node, t.via, t.tie AS step, {weakest} AS weakest, {cost} AS cost,
                   ROW_NUMBER() OVER (PARTITION BY t.node
                       ORDER BY {cost}, {weakest} DESC, t.via) AS choice
            FROM ties2 t
            WHERE t.node <> %(target)s
              AND NOT EXISTS (SELECT 1 FROM level1 l WHERE l.node = t.node)
        ) ranked WHERE choice = 1)"""
        )
        parts.append(
            """level2 AS (
        SELECT node, via, step, weakest, cost FROM level2_all
        ORDER BY cost, weakest DESC, node LIMIT %(level_cap)s)"""
        )
        found.append("SELECT node, via, step, weakest, 2 AS hops FROM level2")
    if max_hops >= 3:
        weakest = _weaker("t.tie", "t.weakest")
        cost = f"t.cost + {_cost('t.tie')}"
        parts.append(f"""ties3 AS ({_ties_of("level2")})""")
        parts.append(
            f"""fresh3 AS (
        SELECT t.node, t.via, t.tie AS step, {weakest} AS weakest, {cost} AS cost,
               ROW_NUMBER() OVER (PARTITION BY t.via ORDER BY t.tie DESC, t.node) AS nth
        FROM ties3 t
        WHERE t.node <> %(target)s
          AND NOT EXISTS (SELECT 1 FROM level1 l WHERE l.node = t.node)
          AND NOT EXISTS (SELECT 1 FROM level2_all l WHERE l.node = t.node))"""
        )
        parts.append(
            """level3 AS (
        SELECT node, via, step, weakest, cost FROM (
            SELECT node, via, step, weakest, cost,
                   ROW_NUMBER() OVER (PARTITION BY node
                       ORDER BY cost, weakest DESC, via) AS choice
            FROM fresh3 WHERE nth <= %(fanout)s
        ) ranked WHERE choice = 1
        ORDER BY cost, weakest DESC, node LIMIT %(level_cap)s)"""
        )
        found.append("SELECT node, via, step, weakest, 3 AS hops FROM level3")
    parts.append("found AS (" + "\n        UNION ALL ".join(found) + ")")
    parts.append(_MINE)
    return (
        "WITH "
        + ",\n    ".join(parts)
        + f"""
    SELECT f.node, f.hops, f.via, f.weakest, f.step, c.team_id, {_PERSON_COLUMNS}
    FROM found f
    JOIN {{contact}} c ON c.id = f.node{_PERSON_JOINS}"""
    )


def _as_date(value) -> date | None:
    # SQLite hands back dates of raw SQL as text.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _as_moment(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _person(pk: int, row) -> Person:
    (
        first,
        last,
        kind,
        title,
        company,
        user_id,
        channel,
        contacted,
        green,
        touched,
        owner_id,
        owner_first,
        owner_last,
        asks_yes,
        asks_no,
        rep_tie,
        rep_tie_touch,
    ) = row
    return Person(
        pk=pk,
        first_name=first,
        last_name=last,
        kind=kind,
        title=title or "",
        company=company or "",
        user_id=user_id,
        preferred_channel=channel,
        last_contacted_on=_as_date(contacted),
        green_light=None if green is None else bool(green),
        last_touch_at=_as_moment(touched),
        owner_id=owner_id,
        owner_name=f"{owner_first or ''} {owner_last or ''}".strip(),
        asks_yes=asks_yes or 0,
        asks_no=asks_no or 0,
        rep_tie=rep_tie,
        rep_tie_touch=_as_moment(rep_tie_touch),
    )


def _can_see_team(user, team_id: int) -> bool:
    return user.is_authenticated and (user.is_staff or team_id in team_ids(user))


def _target_person(target: Contact, *, user) -> Person:
    return Person.of(target)


# --- The search ------------------------------------------------------------------------------


def connectors_for(
    *,
    target: Contact,
    user,
    max_hops: int = MAX_HOPS,
    limit: int | None = None,
    level_cap: int = LEVEL_CAP,
    fanout: int = FANOUT,
    today: date | None = None,
) -> list[Connector]:
    """Everyone of the target's team linked to the target by at most `max_hops` ties,
    each with the likeliest of its shortest paths, best chance first (at most `limit`).
    One query. A user who cannot see the target's team gets nothing."""
    if not isinstance(max_hops, int) or not 1 <= max_hops <= MAX_HOPS:
        raise ValueError(MAX_HOPS_ERROR)
    if not _can_see_team(user, target.team_id):
        return []
    today = today or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            _search_sql(max_hops).format(**_tables()),
            {
                "target": target.pk,
                "user": user.pk,
                "team": target.team_id,
                "level_cap": level_cap,
                "fanout": fanout,
            },
        )
        rows = cursor.fetchall()
    # Ties never cross teams (contacts.services); a row that does is left out here rather
    # than in SQL, where a filter on the team tempts PostgreSQL into hashing the whole
    # team's contacts instead of fetching the few found by primary key.
    rows = [row for row in rows if row[5] == target.team_id]
    people = {row[0]: _person(row[0], row[6:]) for row in rows}
    pointers = {row[0]: (row[1], row[2], row[3], row[4]) for row in rows}
    end = _target_person(target, user=user)
    results = []
    for pk, (hops, _via, weakest, _step) in pointers.items():
        walked = _path(pk, pointers, people, end)
        if walked is None:
            continue
        path, strengths = walked
        results.append(
            score(
                Connector(
                    connector=people[pk],
                    path=path,
                    hops=hops,
                    strength=weakest,
                    strengths=strengths,
                ),
                user=user,
                today=today,
            )
        )
    results.sort(key=_rank_key)
    return results if limit is None else results[:limit]


def _path(pk: int, pointers: dict, people: dict, end: Person):
    """([pk, …, target], the strength of each tie) by the parent pointers; None if a step
    left the team."""
    path = [people[pk]]
    strengths = []
    node = pk
    for _ in range(MAX_HOPS):
        _hops, via, _weakest, step = pointers[node]
        strengths.append(step)
        if via == end.pk:
            path.append(end)
            return path, strengths
        if via not in people:
            return None
        path.append(people[via])
        node = via
    return None


# --- The roster: one prospect's best connector, for a page of prospects -------------------------


def _reach_cost_sql() -> str:
    """-ln of how the rep reaches the person (ranking.reach), in millionths, in SQL."""

    def cost(chance: float) -> int:
        return round(-math.log(chance) * 1e6)

    own = cost(ranking.REACH_OWN_CONTACT)
    team = cost(ranking.REACH_TEAM_CONTACT)
    tie_cost = _cost("mine.strength")
    return f"""CASE
        WHEN c.user_id IS NOT NULL THEN {cost(ranking.REACH_TEAMMATE)}
        WHEN mine.strength IS NOT NULL
             AND {tie_cost} < (CASE WHEN c.owner_id = %(user)s THEN {own} ELSE {team} END)
             THEN {tie_cost}
        WHEN c.owner_id = %(user)s THEN {own}
        ELSE {team} END"""


def _kind_cost_sql() -> str:
    cases = " ".join(
        f"WHEN '{kind}' THEN {round(-math.log(value) * 1e6)}"
        for kind, value in ranking.KIND_DISPOSITION.items()
    )
    other = round(-math.log(ranking.KIND_DISPOSITION[ContactKind.OTHER]) * 1e6)
    return f"(CASE WHEN c.user_id IS NOT NULL THEN 0 ELSE CASE c.kind {cases} ELSE {other} END END)"


def _best_sql(target_count: int, max_hops: int) -> str:
    """Parameters by name: targets t0…, user, team, expanded, fanout, candidates."""
    values = ", ".join(f"(%(t{index})s)" for index in range(target_count))
    weakest = _weaker("t.tie", "t.weakest")
    cost = f"t.cost + {_cost('t.tie')}"
    level2 = ""
    found2 = ""
    if max_hops >= 2:
        # A chain whose middle person is already ours is asked from that person on
        # (ranking.start_of): it has exactly the chance of their own direct path, which
        # wins with fewer favours. So only direct contacts not ours are looked through,
        # every chain found is asked from its first person, and of the middle person
        # only the name and title are read.
        level2 = f""",
    expanded1 AS (
        SELECT target, node, weakest, cost, step FROM (
            SELECT l.target, l.node, l.weakest, l.cost, l.step,
                   ROW_NUMBER() OVER (PARTITION BY l.target ORDER BY l.cost, l.node) AS nth
            FROM level1 l
            -- A test per row, not a join: SQLite (3.38+) joined by building a Bloom
            -- filter of every contact of the database first (50 ms on the large set).
            WHERE EXISTS (
                SELECT 1 FROM {{contact}} m WHERE m.id = l.node
                AND m.user_id IS NULL AND m.kind <> '{ContactKind.CLIENT}')) ranked
        WHERE nth <= %(expanded)s),
    ties2 AS ({_ties_of("expanded1", carry=("target", "step AS last_step"))}),
    fresh2 AS (
        SELECT t.target, t.node, t.via, t.tie AS step, t.last_step, {weakest} AS weakest,
               {cost} AS cost,
               ROW_NUMBER() OVER (PARTITION BY t.target, t.via
                   ORDER BY t.tie DESC, t.node) AS nth
        FROM ties2 t
        WHERE t.node <> t.target
          AND NOT EXISTS (
              SELECT 1 FROM level1 l WHERE l.target = t.target AND l.node = t.node)),
    level2 AS (
        SELECT target, node, via, step, last_step, weakest, cost FROM (
            SELECT target, node, via, step, last_step, weakest, cost,
                   ROW_NUMBER() OVER (PARTITION BY target, node
                       ORDER BY cost, weakest DESC, via) AS choice
            FROM fresh2 WHERE nth <= %(fanout)s
        ) ranked WHERE choice = 1)"""
        found2 = (
            "UNION ALL SELECT target, node, via, step, last_step, weakest, cost, 2 AS hops "
            "FROM level2"
        )
    return f"""
    WITH targets(target) AS (VALUES {values}),
    level1 AS (
        SELECT t.target, r.contact_b_id AS node, r.contact_a_id AS via, r.strength AS step,
               r.strength AS weakest, {_cost("r.strength")} AS cost
        FROM targets t JOIN {{rel}} r ON r.contact_a_id = t.target
        UNION ALL
        SELECT t.target, r.contact_a_id AS node, r.contact_b_id AS via, r.strength AS step,
               r.strength AS weakest, {_cost("r.strength")} AS cost
        FROM targets t JOIN {{rel}} r ON r.contact_b_id = t.target){level2},
    found AS (
        SELECT target, node, via, step, NULL AS last_step, weakest, cost, 1 AS hops
        FROM level1 {found2}),
    {_MINE},
    scored AS (
        SELECT f.target, f.node, f.via, f.step, f.last_step, f.weakest, f.hops,
               f.cost + {_kind_cost_sql()} + {_reach_cost_sql()} AS pre
        FROM found f JOIN {{contact}} c ON c.id = f.node
        LEFT JOIN mine ON mine.other = c.id
        -- The rep's own record two steps away: the rep simply knows the middle person,
        -- whose direct path is the same chance with one favour fewer.
        WHERE f.hops = 1 OR c.user_id IS NULL OR c.user_id <> %(user)s),
    cut AS (
        SELECT target, node, via, step, last_step, weakest, hops,
               ROW_NUMBER() OVER (PARTITION BY target ORDER BY pre, hops, node) AS place
        FROM scored)
    SELECT k.target, k.node, k.hops, k.via, k.weakest, k.step, k.last_step, c.team_id,
           {_PERSON_COLUMNS},
           v.first_name, v.last_name, v.kind, v.title, vco.name, v.user_id
    FROM cut k
    JOIN {{contact}} c ON c.id = k.node{_PERSON_JOINS}
    LEFT JOIN {{contact}} v ON v.id = k.via AND k.hops = 2
    LEFT JOIN {{company}} vco ON vco.id = v.company_id
    WHERE k.place <= %(candidates)s
    ORDER BY k.target, k.place"""


def best_connectors_for(
    *,
    targets: list[Contact],
    user,
    max_hops: int = 2,
    today: date | None = None,
) -> dict[int, Connector]:
    """The best connector of each target within `max_hops` (1 or 2), keyed by target id;
    targets with no path are absent. One query for the whole list, bounded per target:
    every direct tie, and the ROSTER_FANOUT strongest further ties of each of the
    ROSTER_EXPANDED likeliest direct contacts not already ours; the ROSTER_CANDIDATES
    likeliest by what SQL knows of the chance are ranked with the whole model."""
    if max_hops not in (1, 2):
        raise ValueError("The roster looks 1 or 2 hops away.")
    visible = [target for target in targets if _can_see_team(user, target.team_id)]
    if not visible:
        return {}
    today = today or timezone.localdate()
    by_pk = {target.pk: target for target in visible}
    params: dict = {f"t{index}": pk for index, pk in enumerate(by_pk)}
    # The rep's own record is looked up in the first target's team: a page of the roster
    # is one team's.
    params |= {
        "user": user.pk,
        "team": visible[0].team_id,
        "expanded": ROSTER_EXPANDED,
        "fanout": ROSTER_FANOUT,
        "candidates": ROSTER_CANDIDATES,
    }
    sql = _best_sql(len(by_pk), max_hops).format(**_tables())
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    ends = {pk: _target_person(target, user=user) for pk, target in by_pk.items()}
    best: dict[int, Connector] = {}
    for row in rows:
        target_pk, pk, hops, via, weakest, step, last_step, team_id = row[:8]
        if team_id != by_pk[target_pk].team_id:
            continue
        columns = row[8 : 8 + PERSON_COLUMN_COUNT]
        strengths = [step] if hops == 1 else [step, last_step]
        current = best.get(target_pk)
        # Every path here is asked from its first person (or is the rep's own record);
        # rows come likeliest first by what SQL knows, so most are left out unread.
        user_id, owner_id, rep_tie = (columns[index] for index in _REACH_COLUMNS)
        if (
            current is not None
            and user_id != user.pk
            and ranking.ceiling(ranking.reach_of(user_id, owner_id, rep_tie, user=user), strengths)
            < current.score
        ):
            continue
        person = _person(pk, columns)
        if hops == 1:
            path = [person, ends[target_pk]]
        else:
            first, last, kind, title, company, middle_user_id = row[8 + PERSON_COLUMN_COUNT :]
            middle = Person(
                pk=via,
                first_name=first,
                last_name=last,
                kind=kind,
                title=title or "",
                company=company or "",
                user_id=middle_user_id,
            )
            path = [person, middle, ends[target_pk]]
        result = score(
            Connector(
                connector=person, path=path, hops=hops, strength=weakest, strengths=strengths
            ),
            user=user,
            today=today,
        )
        if current is None or _rank_key(result) < _rank_key(current):
            best[target_pk] = result
    return best


# --- The ask -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AskPlan:
    """Whom the rep asks (referrer) for an introduction to whom (prospect), on the way to
    the target. None of a plan when the rep knows the target directly."""

    referrer: Person
    prospect: Person
    target: Person
    # The teammate who looks after the referrer, when the rep has no tie of their own:
    # the way in ("ask through Sofia").
    through: str = ""

    @property
    def reaches_target(self) -> bool:
        return self.prospect.pk == self.target.pk


def ask_plan(path: list[Person], *, user) -> AskPlan | None:
    """The method asks someone you know for an introduction to someone *they* know. On a
    path [C, X, …, target] the rep asks C to introduce X — the next person towards the
    target (for a direct connector, the target itself); once met, X is the rep's own
    connector for the next step. Nobody is introduced to someone already ours: when the
    path runs through a client of the team or a teammate, the asks begin with them (their
    owner or the teammate is the way in), and after the rep's own record with the person
    the rep knows (ranking.start_of). When that person is the target, there is nobody to
    ask."""
    start = ranking.start_of(path, user=user)
    if start is None:
        return None
    referrer = path[start]
    through = ""
    if (
        referrer.user_id is None
        and not referrer.rep_tie
        and referrer.owner_id not in (None, user.pk)
        and (start == 0 or path[start - 1].user_id != user.pk)
    ):
        through = referrer.owner_name
    return AskPlan(referrer=referrer, prospect=path[start + 1], target=path[-1], through=through)


def path_contacts(path_ids: list[int], *, target: Contact, user) -> list[Contact]:
    """The contacts of a path a rep clicked, checked again at the time of the ask: two to
    four different people of the target's team whom the user sees, ending at the target,
    each tied to the next. Otherwise a ValidationError (PATH_BROKEN). Two queries."""
    if (
        not 2 <= len(path_ids) <= MAX_HOPS + 1
        or len(set(path_ids)) != len(path_ids)
        or path_ids[-1] != target.pk
    ):
        raise ValidationError(PATH_BROKEN)
    contacts = {
        contact.pk: contact
        for contact in visible_shared(
            Contact.objects.filter(pk__in=path_ids, team_id=target.team_id), user
        ).select_related("company")
    }
    if len(contacts) != len(path_ids):
        raise ValidationError(PATH_BROKEN)
    ties = Q(pk__in=[])
    for one, other in itertools.pairwise(path_ids):
        ties |= Q(contact_a_id=min(one, other), contact_b_id=max(one, other))
    if Relationship.objects.filter(ties).count() != len(path_ids) - 1:
        raise ValidationError(PATH_BROKEN)
    return [contacts[pk] for pk in path_ids]


QUALITY_SENTENCES = {
    Quality.GOOD: (
        "If a full introduction is too much to ask, may I mention your name when I get "
        "in touch with {prospect}?"
    ),
    Quality.BETTER: (
        "Would you be willing to reach out to {prospect} first — a short note or a call "
        "saying who I am and why it is worth their time — so that my message is expected?"
    ),
    Quality.BEST: (
        "Best of all would be to meet, the three of us: a coffee or a short video call, "
        "whenever suits {prospect}. I would gladly organise it."
    ),
}


def draft_ask(*, plan: AskPlan, rep, reason: str, quality: str) -> str:
    """The ask, in the words of the method: a named introduction, the business reason,
    and the kind of introduction wanted. Editable before it is sent."""
    referrer, prospect, target = plan.referrer, plan.prospect, plan.target
    who = prospect.full_name
    if prospect.title and prospect.company:
        who += f" ({prospect.title} at {prospect.company})"
    elif prospect.company:
        who += f" of {prospect.company}"
    lines = [f"Hi {referrer.first_name},", ""]
    lines.append(f"I would like to ask you for an introduction to {who}.")
    if not plan.reaches_target:
        lines.append(
            f"{prospect.first_name} knows people I am hoping to meet — {target.full_name} "
            "above all — and a word from you would open that door."
        )
    if reason.strip():
        lines.append(f"Why now: {reason.strip()}")
    lines += ["", QUALITY_SENTENCES[quality].format(prospect=prospect.first_name), ""]
    lines.append("Thank you — I will keep you posted on how it goes, whatever comes of it.")
    signature = (rep.get_full_name() or rep.get_username()).strip()
    lines.append(signature)
    return "\n".join(lines)
