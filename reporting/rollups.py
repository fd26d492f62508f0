"""The KPI rollups (reporting.models.DailyCount, and WeeklyCount: the days of a week
added up): kept, rebuilt, checked and read.

Kept: every save or delete of a source row (a referral, a follow-up, a deal, a referral
given) moves the counts of the cells it counts in, daily and weekly, in the same
transaction. The row's cells
are read from the database before the write and after it, by the measures' own conditions
(reporting/measures.py), and the difference is added — an increment, so two writers of
the same cell at once both count. Django announces those writes (pre_save, post_save,
pre_delete: the services, the admin, the pages, the API and the factories all write
through them); ReportingConfig.ready() connects the receivers below. An error rolls the
write back with it. Bulk writers (queryset.update, bulk_create: the seed) bypass them and
call rollups_rebuild() afterwards.

Rebuilt: rollups_rebuild() replaces a team's (or every) cell by the counts of its source
rows, grouped in the database; after `migrate`, rollups_rebuild_if_outdated() rebuilds
them all when they were built with other measures than today's (or never). Checked:
rollups_differences() compares the two, for `manage.py rollups_check` and the nightly
task.

Read: rollup_counts() sums the cells of a scope over periods, per owner: a period's whole
weeks from the weekly cells, its other days from the daily ones.
"""

from __future__ import annotations

import itertools
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Context, Decimal
from typing import Protocol

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection, transaction
from django.db.models import Count, DecimalField, F, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from core.dates import monday
from reporting.measures import FAMILIES, FAMILY_OF, Family
from reporting.models import DailyCount, RollupsBuilt, WeeklyCount

logger = logging.getLogger(__name__)

ZERO = Decimal("0")
CENT = Decimal("0.01")
Cell = tuple[int, int, date, str]  # team, owner, day, measure


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _aggregates(family: Family, extra: Q | None = None) -> dict:
    """Per measure of the family, the count (and the amount) of the rows meeting it."""
    aggregates, extra = {}, extra or Q()
    for name, measure in family.measures.items():
        aggregates[f"{name}__count"] = Count("pk", filter=measure.condition & extra)
        if measure.amount:
            aggregates[f"{name}__amount"] = Sum(measure.amount, filter=measure.condition & extra)
    return aggregates


def _add_row(cells: dict, family: Family, team: int, owner: int, day, row: dict) -> None:
    for name, measure in family.measures.items():
        count = row[f"{name}__count"]
        amount = (row.get(f"{name}__amount") or ZERO) if measure.amount else ZERO
        if count or amount:
            cell = cells[(team, owner, day, name)]
            cell[0] += count
            cell[1] += amount


# --- Kept --------------------------------------------------------------------------------


def _families_of(model) -> list[Family]:
    return [family for family in FAMILIES if family.model is model]


def rollup_cells_of_row(model, pk) -> dict[Cell, list]:
    """The cells one source row counts in, read from the database (one query)."""
    families = _families_of(model)
    cells: dict[Cell, list] = defaultdict(lambda: [0, ZERO])
    if not families or pk is None:
        return cells
    dated = {family.dated_by for family in families}
    aggregates = {}
    for family in families:
        aggregates.update(_aggregates(family, family.rows))
    rows = (
        model._base_manager.filter(pk=pk)
        .order_by()
        .values("team_id", "owner_id", *dated)
        .annotate(**aggregates)
    )
    for row in rows:
        for family in families:
            moment = row[family.dated_by]
            if moment is None:
                continue
            day = utc_day(moment) if family.by_instant else moment
            _add_row(cells, family, row["team_id"], row["owner_id"], day, row)
    return cells


def by_week(cells: dict[Cell, list]) -> dict[Cell, list]:
    """Daily cells added up per week: (team, owner, Monday, measure) → [count, amount]."""
    weeks: dict[Cell, list] = defaultdict(lambda: [0, ZERO])
    for (team, owner, day, measure), (count, amount) in cells.items():
        week = weeks[(team, owner, monday(day), measure)]
        week[0] += count
        week[1] += amount
    return weeks


def _apply(model, date_column: str, changes: dict[Cell, list]) -> None:
    """Add counts (and amounts) to the cells of one grain: one upsert for the cells that
    grow, an update for those that shrink (they exist: what they lose was counted in them;
    and a cell whose team or owner is being deleted must not be written again)."""
    table, column = connection.ops.quote_name(model._meta.db_table), date_column
    grow, shrink = [], []
    for (team, owner, day, measure), (count, amount) in changes.items():
        if not count and not amount:
            continue
        (grow if count >= 0 and amount >= 0 else shrink).append(
            (team, owner, day, measure, count, amount)
        )
    with connection.cursor() as cursor:
        if grow:
            values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(grow))
            cursor.execute(
                f"INSERT INTO {table} (team_id, owner_id, {column}, measure, count, amount) "  # noqa: S608 - constant SQL, values as parameters
                f"VALUES {values} ON CONFLICT (team_id, owner_id, {column}, measure) DO UPDATE "
                f"SET count = {table}.count + excluded.count, "
                f"amount = {table}.amount + excluded.amount",
                [value for row in grow for value in row],
            )
        for team, owner, day, measure, count, amount in shrink:
            cursor.execute(
                f"UPDATE {table} SET count = count + %s, amount = amount + %s "  # noqa: S608
                f"WHERE team_id = %s AND owner_id = %s AND {column} = %s AND measure = %s",
                [count, amount, team, owner, day, measure],
            )


def rollups_apply(changes: dict[Cell, list]) -> None:
    """Add counts (and amounts) to the daily cells and to their weeks'."""
    _apply(DailyCount, "day", changes)
    _apply(WeeklyCount, "week", by_week(changes))


def _difference(after: dict, before: dict) -> dict[Cell, list]:
    changes = {}
    for cell in after.keys() | before.keys():
        count_after, amount_after = after.get(cell, (0, ZERO))
        count_before, amount_before = before.get(cell, (0, ZERO))
        changes[cell] = [count_after - count_before, amount_after - amount_before]
    return changes


# The receivers: connected in ReportingConfig.ready() to the source models' signals. They
# only dispatch; what counts is in reporting/measures.py.
SOURCE_MODELS = tuple(dict.fromkeys(family.model for family in FAMILIES))
_BEFORE = "_rollup_cells_before"


def rollups_before_save(sender, instance, **kwargs) -> None:
    before = {} if instance._state.adding else rollup_cells_of_row(sender, instance.pk)
    setattr(instance, _BEFORE, before)


def rollups_after_save(sender, instance, **kwargs) -> None:
    before = getattr(instance, _BEFORE, {})
    setattr(instance, _BEFORE, {})
    rollups_apply(_difference(rollup_cells_of_row(sender, instance.pk), before))


def rollups_before_delete(sender, instance, **kwargs) -> None:
    rollups_apply(_difference({}, rollup_cells_of_row(sender, instance.pk)))


# --- Rebuilt and checked -----------------------------------------------------------------


def rollup_cells_from_source(*, team_ids=None) -> dict[Cell, list]:
    """Every cell as the source rows count it (one grouped query per family)."""
    cells: dict[Cell, list] = defaultdict(lambda: [0, ZERO])
    for family in FAMILIES:
        day = TruncDate(family.dated_by, tzinfo=UTC) if family.by_instant else F(family.dated_by)
        rows = family.model._base_manager.filter(family.rows).filter(
            **{f"{family.dated_by}__isnull": False}
        )
        if team_ids is not None:
            rows = rows.filter(team_id__in=team_ids)
        rows = (
            rows.order_by()
            .annotate(rollup_day=day)
            .values("team_id", "owner_id", "rollup_day")
            .annotate(**_aggregates(family))
        )
        for row in rows.iterator(chunk_size=5000):
            _add_row(cells, family, row["team_id"], row["owner_id"], row["rollup_day"], row)
    return cells


def rollup_cells_stored(*, team_ids=None, model=DailyCount) -> dict[Cell, list]:
    """The stored cells of one grain (DailyCount, or WeeklyCount: its Monday as the day)."""
    rows = model.objects.exclude(count=0, amount=0)
    if team_ids is not None:
        rows = rows.filter(team_id__in=team_ids)
    day = "day" if model is DailyCount else "week"
    return {
        (team, owner, when, measure): [count, amount]
        for team, owner, when, measure, count, amount in rows.values_list(
            "team_id", "owner_id", day, "measure", "count", "amount"
        ).iterator(chunk_size=5000)
    }


@transaction.atomic
def rollups_rebuild(*, team_ids=None) -> int:
    """Replace the cells of some teams (None: all) by their source rows' counts; returns
    the number of cells written. The source tables are locked against writes meanwhile
    (PostgreSQL), so no event is counted twice or lost."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            tables = ", ".join(
                connection.ops.quote_name(model._meta.db_table) for model in SOURCE_MODELS
            )
            cursor.execute(f"LOCK TABLE {tables} IN SHARE MODE")
    for model in (DailyCount, WeeklyCount):
        stored = model.objects.all()
        if team_ids is not None:
            stored = stored.filter(team_id__in=team_ids)
        stored.delete()
    cells = rollup_cells_from_source(team_ids=team_ids)
    DailyCount.objects.bulk_create(
        (
            DailyCount(team_id=team, owner_id=owner, day=day, measure=measure, count=c, amount=a)
            for (team, owner, day, measure), (c, a) in cells.items()
        ),
        batch_size=5000,
    )
    WeeklyCount.objects.bulk_create(
        (
            WeeklyCount(team_id=team, owner_id=owner, week=week, measure=measure, count=c, amount=a)
            for (team, owner, week, measure), (c, a) in by_week(cells).items()
        ),
        batch_size=5000,
    )
    if team_ids is None:
        RollupsBuilt.objects.update_or_create(pk=1, defaults={"measures": MEASURES_BUILT})
    return len(cells)


# The measures the code counts today, and its grains: stored with a full rebuild
# (RollupsBuilt), so a database from before a measure, or before the weekly cells, is
# rebuilt at the next `migrate`.
GRAINS = "day,week"
MEASURES_BUILT = f"{GRAINS};" + ",".join(sorted(FAMILY_OF))


def rollups_rebuild_if_outdated(**kwargs) -> int | None:
    """After `migrate` (a post_migrate receiver): rebuild every cell when the rollups
    were built with other measures than the code's, or never — a database from before the
    rollups, or before a new measure. None when they are current (one query)."""
    built = RollupsBuilt.objects.filter(pk=1).values_list("measures", flat=True).first()
    if built == MEASURES_BUILT:
        return None
    cells = rollups_rebuild()
    if cells:  # an upgraded database; a new one has nothing to count yet
        logger.info("KPI rollups rebuilt for the current measures: %s cells.", cells)
    return cells


@dataclass(frozen=True)
class Difference:
    cell: Cell
    stored: tuple[int, Decimal]
    source: tuple[int, Decimal]
    grain: str = "day"  # or "week": the cell's day is its Monday

    def __str__(self) -> str:
        team, owner, day, measure = self.cell
        when = f"the week of {day}" if self.grain == "week" else str(day)
        return (
            f"team {team}, owner {owner}, {when}, {measure}: "
            f"stored {self.stored[0]} ({self.stored[1]}), "
            f"source {self.source[0]} ({self.source[1]})"
        )


def rollups_differences(*, team_ids=None) -> list[Difference]:
    """The cells where the rollups and the source rows disagree (none when all is well)."""
    daily = rollup_cells_from_source(team_ids=team_ids)
    differences = []
    for grain, model, source in (
        ("day", DailyCount, daily),
        ("week", WeeklyCount, by_week(daily)),
    ):
        stored = rollup_cells_stored(team_ids=team_ids, model=model)
        for cell in sorted(source.keys() | stored.keys(), key=str):
            found = tuple(stored.get(cell, (0, ZERO)))
            expected = tuple(source.get(cell, (0, ZERO)))
            if found[0] != expected[0] or Decimal(found[1]) != Decimal(expected[1]):
                differences.append(Difference(cell, found, expected, grain))
    return differences


# --- Read --------------------------------------------------------------------------------


class Span(Protocol):
    """A period as instants [start_at, end_before) and as whole days [start, end]
    (reporting.kpis.Period)."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime: ...

    @property
    def end_before(self) -> datetime: ...


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _days(family: Family, span: Span) -> tuple[date, date]:
    """The days [first, after) whose cells the span reads whole. For an instant family,
    the UTC days from the one of start_at to the one of end_before, exclusive: the span's
    part of the first is taken off and the part of the last added from the source rows."""
    if family.by_instant:
        return utc_day(span.start_at), utc_day(span.end_before)
    return span.start, span.end + timedelta(days=1)


def _edges(span: Span) -> list[tuple[int, datetime, datetime]]:
    """The partial UTC days at a span's edges, each with its sign: −1 for the part of the
    first day before the span, +1 for the part of the last day inside it."""
    edges = []
    for sign, moment in ((-1, span.start_at), (1, span.end_before)):
        midnight = _midnight(utc_day(moment))
        if moment != midnight:
            edges.append((sign, midnight, moment))
    return edges


# The zero of each column ("count", "amount"), made once: a model field's construction is
# not free (Django normalizes its choices on every one), and queries copy what they use.
_ZEROS = {
    "count": Value(0, output_field=IntegerField()),
    "amount": Value(ZERO, output_field=DecimalField(max_digits=18, decimal_places=2)),
}


def _stretches(
    wanted: dict[str, tuple[str, str, Span]],
) -> tuple[dict[str, list[date]], dict[str, tuple[int, int]]]:
    """Each wanted measure's bounds (the first and the after-last days of its keys' spans,
    sorted) and each key's stretches of its measure's bounds, first to last: stretch i
    holds the days from bounds[i-1] to before bounds[i] (0: before them all)."""
    ranges = {key: _days(FAMILY_OF[measure], span) for key, (measure, _c, span) in wanted.items()}
    bounds: dict[str, set[date]] = defaultdict(set)
    for key, (measure, _column, _span) in wanted.items():
        bounds[measure].update(ranges[key])
    sorted_bounds = {measure: sorted(days) for measure, days in bounds.items()}
    stretches = {}
    for key, (measure, _column, _span) in wanted.items():
        first, after = ranges[key]
        days = sorted_bounds[measure]
        stretches[key] = (days.index(first) + 1, days.index(after))
    return sorted_bounds, stretches


def _reads(days: list[date]) -> tuple[list[tuple[date, date]], list[tuple[date, date]]]:
    """The days [first, after) a measure with these bounds reads from the weekly cells —
    the whole weeks inside one stretch — and those it reads from the daily cells (the
    rest), each as few ranges as they make."""
    weekly, daily = [], []

    def add(ranges, first, after):
        if first >= after:
            return
        if ranges and ranges[-1][1] == first:
            ranges[-1] = (ranges[-1][0], after)
        else:
            ranges.append((first, after))

    for first, after in itertools.pairwise(days):
        first_week = monday(first + timedelta(days=6))  # the first Monday from `first` on
        after_weeks = monday(after)
        if first_week < after_weeks:
            add(daily, first, first_week)
            add(weekly, first_week, after_weeks)
            add(daily, after_weeks, after)
        else:
            add(daily, first, after)
    return weekly, daily


def _cells_part(scope_q: Q, wanted: dict[str, tuple[str, str, Span]]) -> tuple[str, list]:
    """The SQL of rollup_counts()'s cells: per owner, one sum per wanted key.

    The cells are read a week at a time where a whole week (Monday to Sunday) lies in one
    stretch of days between a measure's bounds, a day at a time elsewhere (a period's
    partial weeks; a trend whose weeks are not Monday's), then added up per owner, measure
    and stretch (a 12-week dashboard: the weeks of the trend's measures, the period as a
    whole for the others), so the per-key sums outside read a few hundred rows, whatever
    happened in the period. The scope's filter is the ORM's (one small WHERE per grain);
    the rest is written here, as a dashboard wants some ninety sums and the ORM took as
    long to compose them as the database to run them."""
    bounds, stretches = _stretches(wanted)
    quote, day_value = connection.ops.quote_name, connection.ops.adapt_datefield_value
    measure, day, count, amount = (quote(name) for name in ("measure", "day", "count", "amount"))
    owner = quote("owner_id")

    scopes = {}
    for model in (DailyCount, WeeklyCount):
        query = model.objects.filter(scope_q).query
        try:
            scopes[model] = query.get_compiler(connection=connection).compile(query.where)
        except FullResultSet:  # every team (an admin's)
            scopes[model] = ("1 = 1", [])
        except EmptyResultSet:  # no team at all
            scopes[model] = ("1 = 0", [])

    def branch(model, date_column: str, names: list[str], first: date, after: date):
        where, where_params = scopes[model]
        column = quote(date_column)
        return (
            f"SELECT {owner}, {measure}, {column} AS {day}, {count}, {amount} "  # noqa: S608 - quoted names, values as parameters
            f"FROM {quote(model._meta.db_table)} WHERE {where} AND {measure} IN "
            f"({', '.join(['%s'] * len(names))}) AND {column} >= %s AND {column} < %s",
            [*where_params, *names, day_value(first), day_value(after)],
        )

    # The stretch of a cell's day, by the bounds of its measure: one CASE per set of bounds.
    by_bounds: dict[tuple[date, ...], list[str]] = defaultdict(list)
    for name, days in sorted(bounds.items()):
        by_bounds[tuple(days)].append(name)
    branches, cases = [], []
    for days, names in by_bounds.items():
        weekly, daily = _reads(list(days))
        branches += [branch(WeeklyCount, "week", names, *dates) for dates in weekly]
        branches += [branch(DailyCount, "day", names, *dates) for dates in daily]
        whens = " ".join(f"WHEN {day} < %s THEN {i}" for i in range(len(days)))
        cases.append((names, f"CASE {whens} ELSE {len(days)} END", [day_value(d) for d in days]))
    if len(cases) == 1:
        stretch, stretch_params = cases[0][1], cases[0][2]
    else:
        stretch, stretch_params = "CASE", []
        for names, case, case_params in cases:
            stretch += f" WHEN {measure} IN ({', '.join(['%s'] * len(names))}) THEN {case}"
            stretch_params += [*names, *case_params]
        stretch += " END"

    sums, sum_params = [], []
    for key, (wanted_measure, column, _span) in wanted.items():
        first, last = stretches[key]
        sums.append(
            f"SUM(CASE WHEN {measure} = %s AND stretch BETWEEN {first} AND {last} "
            f"THEN {quote(column)} ELSE 0 END)"
        )
        sum_params.append(wanted_measure)
    sql = (
        f"SELECT {owner}, {', '.join(sums)} FROM ("  # noqa: S608 - quoted names, values as parameters
        f"SELECT {owner}, {measure}, {stretch} AS stretch, SUM({count}) AS {count}, "
        f"SUM({amount}) AS {amount} FROM ({' UNION ALL '.join(sql for sql, _ in branches)}) "
        f"days GROUP BY 1, 2, 3) cells GROUP BY {owner}"
    )
    return sql, [*sum_params, *stretch_params, *(p for _, params in branches for p in params)]


def _decimal(value) -> Decimal:
    """A sum of amounts as the database gives it: a Decimal (PostgreSQL) or a float or an
    integer (SQLite, which has no decimal type), to the cent."""
    if isinstance(value, float):
        value = Context(prec=15).create_decimal_from_float(value)
    return Decimal(value or 0).quantize(CENT)


def rollup_counts(
    scope_q: Q, wanted: dict[str, tuple[str, str, Span]], *, states: tuple = ()
) -> dict[int, dict]:
    """Per owner, each wanted key: the sum of one measure's "count" or "amount" over a
    span, from the cells of the scope (`scope_q`, on team and owner). One query: the
    cells, with — for spans whose edges are not UTC midnights — the source rows of the
    partial edge days (one branch per family), and `states` (querysets of source rows
    grouped by owner_id, annotated with some of the keys), joined by UNION ALL. Amounts come
    back as Decimals to the cent, counts as integers."""
    parts = []
    by_family: dict[str, list] = defaultdict(list)
    for key, (measure, column, span) in wanted.items():
        family = FAMILY_OF[measure]
        if family.by_instant:
            for sign, since, until in _edges(span):
                by_family[family.name].append((key, measure, column, sign, since, until))
    for edges in by_family.values():
        family = FAMILY_OF[edges[0][1]]
        within = Q()
        for _key, _measure, _column, _sign, since, until in edges:
            within |= Q(**{f"{family.dated_by}__gte": since, f"{family.dated_by}__lt": until})
        exprs = {}
        counted = Q()  # the rows some wanted measure counts: no other is read
        for _key, measure, *_rest in edges:
            condition = family.measures[measure].condition
            if not condition:
                counted = Q()
                break
            counted |= condition
        # With one measure, `counted` is its condition already: repeated in each count's
        # FILTER, it would send the database to the table for its columns where the
        # index that finds the rows can answer alone (today's overdue on the dense team:
        # 3.5 → 0.6 ms).
        single = len({measure for _key, measure, *_rest in edges}) == 1
        for key, measure, column, sign, since, until in edges:
            condition = Q(**{f"{family.dated_by}__gte": since, f"{family.dated_by}__lt": until})
            if not single:
                condition &= family.measures[measure].condition
            if column == "count":
                # The date that placed the row in the edge, never null there: counted
                # from the index that finds the rows (the id would be read from the table).
                part = Count(family.dated_by, filter=condition)
            else:
                part = Coalesce(
                    Sum(family.measures[measure].amount, filter=condition), _ZEROS[column]
                )
            if key not in exprs:
                exprs[key] = part if sign > 0 else _ZEROS[column] - part
            else:
                exprs[key] = exprs[key] + part if sign > 0 else exprs[key] - part
        # Narrowed to what its measures count: the overdue of today read every follow-up
        # due today, of any state, to count the pending ones (4,000 on the dense team).
        rows = family.model.objects.filter(scope_q, family.rows).filter(within, counted)
        parts.append(rows.order_by().values("owner_id").annotate(**exprs))
    parts.extend(states)

    sql, params = _cells_part(scope_q, wanted)
    keys = list(wanted)
    if parts:
        wrap = "({})" if connection.features.supports_parentheses_in_compound else "{}"
        branches = [sql]
        for part in parts:
            part_sql, part_params = _padded(part, keys)
            branches.append(part_sql)
            params.extend(part_params)
        sql = " UNION ALL ".join(wrap.format(branch) for branch in branches)
    amounts = {index for index, key in enumerate(keys) if wanted[key][1] == "amount"}
    result: dict[int, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for owner, *values in cursor.fetchall():
            totals = result.setdefault(owner, {})
            for index, value in enumerate(values):
                value = _decimal(value) if index in amounts else int(value or 0)
                totals[keys[index]] = totals.get(keys[index], 0) + value
    return result


def _padded(part: QuerySet, keys: list[str]) -> tuple[str, list]:
    """The SQL of a part of rollup_counts() (grouped by owner_id, annotated with some of
    the wanted keys) as a branch of its UNION: the owner, then every wanted key in order
    (UNION matches columns by position), zero for those the part does not give. Written
    around the part's own SQL: as ORM annotations, the dozens of zeros of each part cost
    more to compose than the part to run."""
    part_sql, params = part.query.sql_with_params()
    quote = connection.ops.quote_name
    own = part.query.annotations
    columns = ", ".join(quote(key) if key in own else "0" for key in keys)
    return f"SELECT {quote('owner_id')}, {columns} FROM ({part_sql}) {quote('part')}", params  # noqa: S608 - quoted names


def rollups_check_and_log(*, team_ids=None) -> int:
    """rollups_differences(), each logged as an error; returns their number. It only
    reports: a difference means a writer bypassed the rollups, which a rebuild would hide."""
    differences = rollups_differences(team_ids=team_ids)
    for difference in differences:
        logger.error("KPI rollup differs from its source rows: %s", difference)
    return len(differences)
