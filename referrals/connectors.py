"""Referrals in reverse: who can lead the rep to a target, and how well.

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
the target through which the *strongest* path runs (the path's weakest tie highest,
then the highest sum of strengths, then the lowest id), so the path shown among
equally short ones is the strongest. Paths are read back from those pointers.

The bound for very connected people
-----------------------------------
- Level 1 (who knows the target) and level 2 (who knows one of them) are computed in
  full, so every distance up to 2 is exact and never overstated at level 3. Their cost is
  the sum of the degrees of the target's neighbours (at most ~30,000 index entries on
  DESIGN.md's large data set, median ~200).
- At most ``level_cap`` (LEVEL_CAP) people are kept at level 2 and at level 3, those of
  the strongest paths. Level 3 is reached only from the level-2 people kept, and each of
  them contributes only their ``fanout`` (FANOUT) strongest ties to new people. A third
  level grows with the cube of the degree (over a million paths from the most connected
  people of the large set), so it is sampled by strength; the page says so ("showing the
  strongest paths; very connected people are sampled by strength").

The ranking
-----------
The issue's rules, in their order of precedence: stronger ties first; then clients, then
former clients and colleagues, then others; then green-light clients above the rest;
then recent contact above stale; then shorter paths above longer. Each rule only decides
between connectors the rules before it leave equal: a weak tie to a client never
outranks a strong tie to anyone, and a short path only breaks the last tie.

``score`` adds up points chosen so that one step of a rule outweighs everything the
rules after it can add together (ranking_rule_steps):
- the tie: 100 points per step of the path's weakest tie above 1 (a chain is as strong
  as its weakest link): 0–400;
- who C is: a client 50, a former client or a colleague 25, anyone else 0;
- the green light: 12 when C's latest readiness conversation gave it (the same rule as
  the ask form's warning, referrals.services.referrer_warning);
- recency of ``last_contacted_on``: 9 within a month, 6 within three months, 3 within a
  year, 0 beyond or never;
- the length: 2 for a direct tie, 1 for two hops, 0 for three.
Equal scores go to the more recent contact (by the day), then by name. ``reason``
spells out each part, so the page can say why a connector ranks where it does.

The roster's best connector (``best_connectors_for``) runs the same two levels for a
whole page of prospects in one statement, scores the strength, kind and length parts in
SQL, keeps per prospect every candidate that could still come first once the green
light and recency are added (at most ROSTER_CANDIDATES), and ranks those in Python with
the same ``score``.
"""

# The SQL below is assembled from this module's constants and table names only; every
# value (ids, caps) goes in as a query parameter.
# ruff: noqa: S608

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from accounts.visibility import team_ids, visible_shared
from contacts.models import Company, Contact, ContactKind, Relationship
from referrals.models import Quality, ReadinessCheck

MAX_HOPS = 3
# People kept at levels 2 and 3 (the strongest paths first).
LEVEL_CAP = 500
# New ties followed from each level-2 person towards level 3 (their strongest first).
FANOUT = 50
# Roster (a page of prospects at once, 2 hops): the direct contacts expanded per
# prospect and the further ties followed from each (strongest first); candidates ranked
# in Python per prospect.
ROSTER_EXPANDED = 25
ROSTER_FANOUT = 20
ROSTER_CANDIDATES = 20

# The ranking's points, highest rule first (module docstring).
STRENGTH_POINTS_PER_STEP = 100
KIND_POINTS = {
    ContactKind.CLIENT: 50,
    ContactKind.FORMER_CLIENT: 25,
    ContactKind.COLLEAGUE: 25,
}
GREEN_LIGHT_POINTS = 12
# Last in touch within so many days → points (the first that fits).
RECENCY_TIERS = ((30, 9), (90, 6), (365, 3))
RECENCY_POINTS = max(points for _days, points in RECENCY_TIERS)
RECENCY_DAYS = max(days for days, _points in RECENCY_TIERS)
HOPS_POINTS = {1: 2, 2: 1, 3: 0}
MAX_SCORE = 4 * STRENGTH_POINTS_PER_STEP + max(KIND_POINTS.values()) + GREEN_LIGHT_POINTS
MAX_SCORE += RECENCY_POINTS + max(HOPS_POINTS.values())
KIND_LABELS = dict(ContactKind.choices)


def ranking_rule_steps() -> list[tuple[str, int, int]]:
    """(rule, its smallest step, the most all later rules add together), highest rule
    first. Each step must outweigh what the later rules add (tests/test_connectors.py)."""
    kind_steps = sorted(set(KIND_POINTS.values()) | {0})
    recency_steps = sorted({points for _days, points in RECENCY_TIERS} | {0})
    hops_steps = sorted(set(HOPS_POINTS.values()))

    def step(values):
        return min(b - a for a, b in itertools.pairwise(values))

    hops_max = max(hops_steps)
    recency_max = max(recency_steps) + hops_max
    green_max = GREEN_LIGHT_POINTS + recency_max
    kind_max = max(kind_steps) + green_max
    return [
        ("tie strength", STRENGTH_POINTS_PER_STEP, kind_max),
        ("who they are", step(kind_steps), green_max),
        ("green light", GREEN_LIGHT_POINTS, recency_max),
        ("recency", step(recency_steps), hops_max),
    ]


BOUND_NOTE = "Showing the strongest paths; very connected people are sampled by strength."
MAX_HOPS_ERROR = "max_hops must be a whole number from 1 to 3."
PATH_BROKEN = "This path is no longer a chain of ties in your team."
ON_THE_WAY = "On the way to {target}. {reason}"


# --- What a search returns -------------------------------------------------------------------


@dataclass(frozen=True)
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
    green_light: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

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
        )


@dataclass(frozen=True)
class ScorePart:
    label: str
    points: int


@dataclass
class Connector:
    connector: Person
    path: list[Person]  # [connector, …, target]
    hops: int
    strength: int  # the weakest tie on the path, 1–5
    score: int = 0
    parts: list[ScorePart] = field(default_factory=list)
    reason: str = ""

    @property
    def path_ids(self) -> list[int]:
        return [person.pk for person in self.path]

    @property
    def path_names(self) -> list[str]:
        return [person.full_name for person in self.path]

    @property
    def target(self) -> Person:
        return self.path[-1]


# --- Ranking ---------------------------------------------------------------------------------


def _recency_points(last_contacted_on: date | None, today: date) -> int:
    if last_contacted_on is None:
        return 0
    days = max(0, (today - last_contacted_on).days)
    return next((points for within, points in RECENCY_TIERS if days <= within), 0)


def _days_phrase(last_contacted_on: date | None, today: date) -> str:
    if last_contacted_on is None:
        return "never in touch on record"
    days = max(0, (today - last_contacted_on).days)
    if days == 0:
        return "in touch today"
    if days > RECENCY_DAYS:
        return "last in touch over a year ago"
    return f"in touch {days} day{'s' if days != 1 else ''} ago"


def score(result: Connector, *, today: date) -> Connector:
    """Fill in the score, its parts and the reason (see the module docstring)."""
    person = result.connector
    target = result.target
    strength_points = (result.strength - 1) * STRENGTH_POINTS_PER_STEP
    tie = f"{'tie' if result.hops == 1 else 'weakest tie'} {result.strength}/5"
    kind_points = KIND_POINTS.get(person.kind, 0)
    kind_label = person.kind_label.lower()
    green_points = GREEN_LIGHT_POINTS if person.green_light else 0
    recency_points = _recency_points(person.last_contacted_on, today)
    hops_points = HOPS_POINTS[result.hops]
    if result.hops == 1:
        length = f"knows {target.full_name} directly"
    else:
        length = f"{result.hops} hops to {target.full_name}"
    parts = [
        ScorePart(tie, strength_points),
        ScorePart(kind_label, kind_points),
    ]
    if person.green_light:
        parts.append(ScorePart("green light", green_points))
    parts += [
        ScorePart(_days_phrase(person.last_contacted_on, today), recency_points),
        ScorePart(length, hops_points),
    ]
    result.parts = parts
    result.score = sum(part.points for part in parts)
    result.reason = f"Score {result.score}: " + ", ".join(
        f"{part.label} (+{part.points})" for part in parts
    )
    return result


def _rank_key(result: Connector):
    # The score decides; at an equal score (same tie, kind, green light, recency tier and
    # length) the more recent contact, then the name.
    contacted = result.connector.last_contacted_on
    return (
        -result.score,
        -(contacted.toordinal() if contacted else 0),
        result.connector.full_name.lower(),
        result.connector.pk,
    )


# --- SQL -------------------------------------------------------------------------------------


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "rel": quote(Relationship._meta.db_table),
        "contact": quote(Contact._meta.db_table),
        "company": quote(Company._meta.db_table),
        "readiness": quote(ReadinessCheck._meta.db_table),
    }


def _weaker(a: str, b: str) -> str:
    # LEAST() on PostgreSQL is MIN() on SQLite; CASE is both.
    return f"CASE WHEN {a} < {b} THEN {a} ELSE {b} END"


def _ties_of(frontier: str, *, carry: str = "") -> str:
    """Every tie of the people in `frontier` (columns node, weakest, total[, carry]), in
    both directions: (via = the frontier person, node = the other person, tie)."""
    extra = f", f.{carry}" if carry else ""
    return f"""
        SELECT f.node AS via, r.contact_b_id AS node, r.strength AS tie,
               f.weakest AS weakest, f.total AS total{extra}
        FROM {frontier} f JOIN {{rel}} r ON r.contact_a_id = f.node
        UNION ALL
        SELECT f.node AS via, r.contact_a_id AS node, r.strength AS tie,
               f.weakest AS weakest, f.total AS total{extra}
        FROM {frontier} f JOIN {{rel}} r ON r.contact_b_id = f.node"""


_PERSON_COLUMNS = """
    c.first_name, c.last_name, c.kind, c.title, co.name, c.user_id, c.preferred_channel,
    c.last_contacted_on,
    (SELECT rc.green_light FROM {readiness} rc WHERE rc.client_id = c.id
     ORDER BY rc.checked_on DESC, rc.id DESC LIMIT 1)"""


def _search_sql(max_hops: int) -> str:
    """The single-target search (parameters: target, target, then per level)."""
    parts = [
        """level1 AS (
        SELECT r.contact_b_id AS node, r.contact_a_id AS via, r.strength AS weakest,
               r.strength AS total
        FROM {rel} r WHERE r.contact_a_id = %(target)s
        UNION ALL
        SELECT r.contact_a_id AS node, r.contact_b_id AS via, r.strength AS weakest,
               r.strength AS total
        FROM {rel} r WHERE r.contact_b_id = %(target)s)"""
    ]
    found = ["SELECT node, via, weakest, 1 AS hops FROM level1"]
    if max_hops >= 2:
        weakest = _weaker("t.tie", "t.weakest")
        parts.append(f"""ties2 AS ({_ties_of("level1")})""")
        parts.append(
            f"""level2_all AS (
        SELECT node, via, weakest, total FROM (
            SELECT t.node, t.via, {weakest} AS weakest, t.total + t.tie AS total,
                   ROW_NUMBER() OVER (PARTITION BY t.node
                       ORDER BY {weakest} DESC, t.total + t.tie DESC, t.via) AS choice
            FROM ties2 t
            WHERE t.node <> %(target)s
              AND NOT EXISTS (SELECT 1 FROM level1 l WHERE l.node = t.node)
        ) ranked WHERE choice = 1)"""
        )
        parts.append(
            """level2 AS (
        SELECT node, via, weakest, total FROM level2_all
        ORDER BY weakest DESC, total DESC, node LIMIT %(level_cap)s)"""
        )
        found.append("SELECT node, via, weakest, 2 AS hops FROM level2")
    if max_hops >= 3:
        weakest = _weaker("t.tie", "t.weakest")
        parts.append(f"""ties3 AS ({_ties_of("level2")})""")
        parts.append(
            f"""fresh3 AS (
        SELECT t.node, t.via, {weakest} AS weakest, t.total + t.tie AS total,
               ROW_NUMBER() OVER (PARTITION BY t.via ORDER BY t.tie DESC, t.node) AS nth
        FROM ties3 t
        WHERE t.node <> %(target)s
          AND NOT EXISTS (SELECT 1 FROM level1 l WHERE l.node = t.node)
          AND NOT EXISTS (SELECT 1 FROM level2_all l WHERE l.node = t.node))"""
        )
        parts.append(
            """level3 AS (
        SELECT node, via, weakest, total FROM (
            SELECT node, via, weakest, total,
                   ROW_NUMBER() OVER (PARTITION BY node
                       ORDER BY weakest DESC, total DESC, via) AS choice
            FROM fresh3 WHERE nth <= %(fanout)s
        ) ranked WHERE choice = 1
        ORDER BY weakest DESC, total DESC, node LIMIT %(level_cap)s)"""
        )
        found.append("SELECT node, via, weakest, 3 AS hops FROM level3")
    parts.append("found AS (" + "\n        UNION ALL ".join(found) + ")")
    return (
        "WITH "
        + ",\n    ".join(parts)
        + f"""
    SELECT f.node, f.hops, f.via, f.weakest, c.team_id, {_PERSON_COLUMNS}
    FROM found f
    JOIN {{contact}} c ON c.id = f.node
    LEFT JOIN {{company}} co ON co.id = c.company_id"""
    )


def _as_date(value) -> date | None:
    # SQLite hands back dates of raw SQL as text.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _person(pk: int, row) -> Person:
    first, last, kind, title, company, user_id, channel, contacted, green = row
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
        green_light=bool(green),
    )


def _run(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**_tables()), params)
        return cursor.fetchall()


def _can_see_team(user, team_id: int) -> bool:
    return user.is_authenticated and (user.is_staff or team_id in team_ids(user))


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
    each with the strongest of its shortest paths, best score first (at most `limit`).
    One query. A user who cannot see the target's team gets nothing."""
    if not isinstance(max_hops, int) or not 1 <= max_hops <= MAX_HOPS:
        raise ValueError(MAX_HOPS_ERROR)
    if not _can_see_team(user, target.team_id):
        return []
    today = today or timezone.localdate()
    rows = _run(
        _search_sql(max_hops),
        {
            "target": target.pk,
            "level_cap": level_cap,
            "fanout": fanout,
        },
    )
    # Ties never cross teams (contacts.services); a row that does is left out here rather
    # than in SQL, where a filter on the team tempts PostgreSQL into hashing the whole
    # team's contacts instead of fetching the few found by primary key.
    rows = [row for row in rows if row[4] == target.team_id]
    people = {row[0]: _person(row[0], row[5:]) for row in rows}
    pointers = {row[0]: (row[1], row[2], row[3]) for row in rows}
    end = Person.of(target)
    results = []
    for pk, (hops, _via, weakest) in pointers.items():
        path = _path(pk, pointers, people, end)
        if path is None:
            continue
        results.append(
            score(
                Connector(connector=people[pk], path=path, hops=hops, strength=weakest),
                today=today,
            )
        )
    results.sort(key=_rank_key)
    return results if limit is None else results[:limit]


def _path(pk: int, pointers: dict, people: dict, end: Person) -> list[Person] | None:
    """[pk, …, target] by the parent pointers; None if a step left the team."""
    path = [people[pk]]
    node = pk
    for _ in range(MAX_HOPS):
        via = pointers[node][1]
        if via == end.pk:
            path.append(end)
            return path
        if via not in people:
            return None
        path.append(people[via])
        node = via
    return None


# --- The roster: one prospect's best connector, for a page of prospects -------------------------


def _pre_score_sql(weakest: str, kind: str, hops: str) -> str:
    kinds = " ".join(f"WHEN '{value}' THEN {points}" for value, points in KIND_POINTS.items())
    lengths = " ".join(f"WHEN {hop} THEN {points}" for hop, points in HOPS_POINTS.items())
    return (
        f"(({weakest}) - 1) * {STRENGTH_POINTS_PER_STEP}"
        f" + CASE {kind} {kinds} ELSE 0 END"
        f" + CASE {hops} {lengths} ELSE 0 END"
    )


def _best_sql(target_count: int, max_hops: int) -> str:
    """Parameters: the target ids, then (2 hops) ROSTER_EXPANDED and ROSTER_FANOUT, then
    ROSTER_CANDIDATES."""
    values = ", ".join(["(%s)"] * target_count)
    weakest = _weaker("t.tie", "t.weakest")
    level2 = ""
    found2 = ""
    if max_hops >= 2:
        level2 = f""",
    expanded1 AS (
        SELECT target, node, weakest, total FROM (
            SELECT target, node, weakest, total,
                   ROW_NUMBER() OVER (PARTITION BY target ORDER BY weakest DESC, node) AS nth
            FROM level1) ranked
        WHERE nth <= %s),
    ties2 AS ({_ties_of("expanded1", carry="target")}),
    fresh2 AS (
        SELECT t.target, t.node, t.via, {weakest} AS weakest, t.total + t.tie AS total,
               ROW_NUMBER() OVER (PARTITION BY t.target, t.via
                   ORDER BY t.tie DESC, t.node) AS nth
        FROM ties2 t
        WHERE t.node <> t.target
          AND NOT EXISTS (
              SELECT 1 FROM level1 l WHERE l.target = t.target AND l.node = t.node)),
    level2 AS (
        SELECT target, node, via, weakest FROM (
            SELECT target, node, via, weakest,
                   ROW_NUMBER() OVER (PARTITION BY target, node
                       ORDER BY weakest DESC, total DESC, via) AS choice
            FROM fresh2 WHERE nth <= %s
        ) ranked WHERE choice = 1)"""
        found2 = "UNION ALL SELECT target, node, via, weakest, 2 AS hops FROM level2"
    pre = _pre_score_sql("f.weakest", "c.kind", "f.hops")
    reach = GREEN_LIGHT_POINTS + RECENCY_POINTS
    return f"""
    WITH targets(target) AS (VALUES {values}),
    level1 AS (
        SELECT t.target, r.contact_b_id AS node, r.contact_a_id AS via,
               r.strength AS weakest, r.strength AS total
        FROM targets t JOIN {{rel}} r ON r.contact_a_id = t.target
        UNION ALL
        SELECT t.target, r.contact_a_id AS node, r.contact_b_id AS via,
               r.strength AS weakest, r.strength AS total
        FROM targets t JOIN {{rel}} r ON r.contact_b_id = t.target){level2},
    found AS (
        SELECT target, node, via, weakest, 1 AS hops FROM level1 {found2}),
    scored AS (
        SELECT f.target, f.node, f.via, f.weakest, f.hops, {pre} AS pre
        FROM found f JOIN {{contact}} c ON c.id = f.node),
    cut AS (
        SELECT target, node, via, weakest, hops, pre,
               MAX(pre) OVER (PARTITION BY target) AS top,
               ROW_NUMBER() OVER (PARTITION BY target ORDER BY pre DESC, hops, node) AS place
        FROM scored)
    SELECT k.target, k.node, k.hops, k.via, k.weakest, c.team_id, {_PERSON_COLUMNS},
           v.first_name, v.last_name, v.kind, v.user_id
    FROM cut k
    JOIN {{contact}} c ON c.id = k.node
    LEFT JOIN {{company}} co ON co.id = c.company_id
    JOIN {{contact}} v ON v.id = k.via
    WHERE k.pre >= k.top - {reach} AND k.place <= %s"""


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
    ROSTER_EXPANDED strongest direct contacts."""
    if max_hops not in (1, 2):
        raise ValueError("The roster looks 1 or 2 hops away.")
    visible = [target for target in targets if _can_see_team(user, target.team_id)]
    if not visible:
        return {}
    today = today or timezone.localdate()
    by_pk = {target.pk: target for target in visible}
    params = list(by_pk)
    if max_hops >= 2:
        params += [ROSTER_EXPANDED, ROSTER_FANOUT]
    params.append(ROSTER_CANDIDATES)
    sql = _best_sql(len(by_pk), max_hops).format(**_tables())
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    best: dict[int, Connector] = {}
    ends = {pk: Person.of(target) for pk, target in by_pk.items()}
    for row in rows:
        target_pk, pk, hops, via, weakest, team_id = row[:6]
        if team_id != by_pk[target_pk].team_id:
            continue
        person = _person(pk, row[6:15])
        end = ends[target_pk]
        if hops == 1:
            path = [person, end]
        else:
            first, last, kind, user_id = row[15:19]
            between = Person(pk=via, first_name=first, last_name=last, kind=kind, user_id=user_id)
            path = [person, between, end]
        result = score(
            Connector(connector=person, path=path, hops=hops, strength=weakest), today=today
        )
        current = best.get(target_pk)
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

    @property
    def reaches_target(self) -> bool:
        return self.prospect.pk == self.target.pk


def ask_plan(path: list[Person], *, user) -> AskPlan | None:
    """The method asks someone you know for an introduction to someone *they* know. On a
    path [C, X, …, target] the rep asks C to introduce X — the next person towards the
    target (for a direct connector, the target itself); once met, X is the rep's own
    connector for the next step. When the path starts at (or runs through) the rep's own
    contact record, the rep already knows the person after it: that person is asked
    instead. When that person is the target, there is nobody to ask."""
    start = 0
    for index, person in enumerate(path):
        if person.user_id is not None and person.user_id == user.pk:
            start = index + 1
    if start >= len(path) - 1:
        return None
    return AskPlan(referrer=path[start], prospect=path[start + 1], target=path[-1])


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
