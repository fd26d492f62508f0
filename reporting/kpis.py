"""Referral KPIs — the one implementation of DESIGN.md's "KPI definitions".

The manager dashboard, the rep's week, the rep detail page, the /api/v1/kpis/ endpoint, the
weekly summary email and the CSV exports all call these functions. Each one runs a fixed
number of aggregate queries (conditional aggregation: Count/Sum with filter=Q(...)),
grouped by owner where a per-rep table needs it — never a query per rep or per row. The
counts of events come from the daily rollups (reporting/rollups.py) of the measures in
reporting/measures.py, so their cost follows the days and reps shown, not the activity,
and so do the follow-ups overdue now (the pending ones by the day they fall due); the
thank-yous not yet due, the goals and the top referrers are read from their rows.

Decisions (documented here because the definitions leave them open):
- A period is whole days [start, end] in the *viewer's* time zone (User.time_zone), as
  everywhere else in the app: it runs from local midnight of `start` to local midnight of
  the day after `end`. Deal.closed_on and ReferralGiven.given_on are dates and compare to
  [start, end] directly. Weeks start on Monday.
- "Reached confirmed or later" is confirmed_at IS NOT NULL, "reached meeting or later" is
  meeting_at IS NOT NULL, "won" is won_at IS NOT NULL: the step columns are kept after a
  loss, and the state machine only fills them in order.
- Goals "covering the period" are the WeeklyGoals of every week whose Monday lies in
  [Monday of start, end]; they are summed. A rep's goal for a week is their own
  WeeklyGoal, else their share of the team's goal for that week: divided by the team's
  current number of reps, rounded to GOAL_DECIMALS places (goal_share(), the goals page's
  number too). Goal and attainment values are null when no goal covers the period (or it
  is 0).
- Ratios (conversion, on-time rate, win rate, attainment) are floats rounded to 4 places,
  null where the denominator is 0; average deal and won value are strings (Decimal).
  A won deal whose value nobody entered counts in the win rate but not in the average
  deal (an unknown value is not a zero); won value sums the values that are known.
- Reciprocity (a chart of the dashboard, not a KPI of the API): per client, the intros
  they confirmed for us in the period against the introductions we gave them in it.
"""

from __future__ import annotations

from collections import defaultdict, namedtuple
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Membership, User
from accounts.zones import zone_of
from contacts.models import Contact, ContactKind
from core import dates
from core.database import usually_null
from core.dates import monday
from followups.models import FollowUp
from referrals.models import Quality, Referral, ReferralGiven, WeeklyGoal
from reporting.rollups import rollup_counts

QUALITIES = [q.value for q in Quality]
# The keys of GET /api/v1/kpis/ (DESIGN.md, JSON API contract), in order.
CONTRACT_KEYS = (
    "asks",
    "intros",
    "intros_by_quality",
    "meetings",
    "wins",
    "won_value",
    "referrals_given",
    "conversion",
    "followup_on_time_rate",
    "overdue_followups",
    "win_rate",
    "avg_deal",
    "goals",
    "attainment",
)
GOAL_KEYS = ("asks", "intros", "meetings", "referrals_given", "wins")
# Goals that are not whole numbers (a rep's share of the team's) keep two decimals.
GOAL_DECIMALS = 2
TREND_WEEKS = 12
TOP_REFERRERS = 10


# --- Periods -----------------------------------------------------------------------------

START_AFTER_END = "The start of the period must not be after its end."
PERIOD_TOO_LONG = "A period can be at most three years long."
MAX_PERIOD = timedelta(days=3 * 366)


@dataclass(frozen=True)
class Period:
    """Whole days [start, end] in a time zone."""

    start: date
    end: date
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=self.zone)

    @property
    def end_before(self) -> datetime:
        """The first instant after the period (exclusive upper bound)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.zone)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def week_starts(self) -> list[date]:
        weeks, week = [], monday(self.start)
        while week <= self.end:
            weeks.append(week)
            week += timedelta(days=7)
        return weeks


def today_for(user) -> date:
    return timezone.now().astimezone(zone_of(user)).date()


PERIOD_CHOICES = [
    ("this_week", "This week"),
    ("last_week", "Last week"),
    ("last_4_weeks", "Last 4 weeks"),
    ("last_12_weeks", "Last 12 weeks"),
    ("this_quarter", "This quarter"),
    ("custom", "Custom"),
]


def named_period(name: str, *, today: date, zone: ZoneInfo) -> Period:
    """this_week: Monday to today; last_week: Monday to Sunday before; last_N_weeks: the
    current week and the N-1 before it, up to today; this_quarter: its first day to today."""
    this_monday = monday(today)
    if name == "last_week":
        return Period(this_monday - timedelta(days=7), this_monday - timedelta(days=1), zone)
    if name == "last_4_weeks":
        return Period(this_monday - timedelta(weeks=3), today, zone)
    if name == "last_12_weeks":
        return Period(this_monday - timedelta(weeks=11), today, zone)
    if name == "this_quarter":
        return Period(date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today, zone)
    return Period(this_monday, today, zone)


# --- Scope -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose numbers: some teams (None = every team, for admins), optionally one rep."""

    team_ids: tuple[int, ...] | None = None
    rep_id: int | None = None

    def q(self, *, team_field: str = "team", owner_field: str = "owner") -> Q:
        condition = Q()
        if self.team_ids is not None:
            condition &= Q(**{f"{team_field}__in": self.team_ids})
        if self.rep_id is not None:
            condition &= Q(**{owner_field: self.rep_id})
        return condition


# --- Helpers -----------------------------------------------------------------------------


def ratio(numerator, denominator) -> float | None:
    if not denominator:
        return None
    return round(float(numerator) / float(denominator), 4)


def _in(field_name: str, period: Period) -> Q:
    return Q(**{f"{field_name}__gte": period.start_at, f"{field_name}__lt": period.end_before})


def _rows(condition: Q | None = None) -> Count:
    """The rows matching `condition`, counted on team_id: a column every KPI index starts
    with and never null, so the count is every row's, as COUNT(*) would be (Django refuses
    a filtered COUNT(*)), and needs nothing the index does not hold — COUNT(id) would make
    PostgreSQL visit each row in the table."""
    return Count("team", filter=condition)


def _money(value) -> Decimal:
    return (value or Decimal("0")).quantize(Decimal("0.01"))


# --- The aggregate queries ---------------------------------------------------------------
# Counts of events are read from the rollups (reporting/rollups.py): one query for every
# measure (reporting/measures.py), whatever the number of rows in the period — the
# cells of the scope's reps and days, plus, when the viewer's days are not UTC's, the
# source rows of the partial days at the edges.

# Per owner, from the referral measures: counts of the period and of the cohort asked in it.
REFERRAL_COUNT_KEYS = (
    "asks",
    "intros",
    "intros_by_referrer",
    *(f"intros_{q}" for q in QUALITIES),
    *(f"intros_{q}_meeting" for q in QUALITIES),
    *(f"intros_{q}_won" for q in QUALITIES),
    "meetings",
    "wins",
    "cohort_confirmed",
    "cohort_meeting",
    "cohort_won",
)


def _counts(scope: Scope, wanted: dict[str, tuple], *, states: tuple = ()) -> dict[int, dict]:
    """Per owner, each wanted key (key → measure, "count" or "amount", period)."""
    return rollup_counts(scope.q(), wanted, states=states)


# The keys of the thank-yous on time (ON_TIME_KEYS) and of the deals (DEAL_KEYS) in the
# counts of _event_counts().
ON_TIME_KEYS = {
    "thanks_counted": "thanks_done",
    "thanks_on_time": "thanks_done_on_time",
    "thanks_pending": "thanks_pending",
}
DEAL_KEYS = {
    f"{source}_{what}": (f"deals_{source}_{measure}", column)
    for source in ("referral", "other")
    for what, measure, column in (
        ("closed", "closed", "count"),
        ("won", "won", "count"),
        ("valued", "won_valued", "count"),
        ("value", "won_valued", "amount"),
    )
}


def _event_counts(
    scope: Scope, period: Period, now: datetime, trend: _Trend | None = None
) -> dict[int, dict]:
    """One query, grouped by owner: every count of events the KPIs read from the rollups —
    the asks and how far the asked cohort got, the intros by quality and how those went
    on, the meetings, the wins and won value, the referrals given, the thank-yous of the
    cohort (done, on time, pending), the deals closed and won by source, the follow-ups
    overdue at `now` ("overdue") — and, given a trend, its weekly counts too.

    The thank-yous on time count those done, or pending past due: from the rollups, those
    done and those pending; from the rows, a state of the moment, the pending ones not yet
    due, which are taken off (a few: the partial index of pending thank-yous, from now on)."""
    wanted = {key: (key, "count", period) for key in REFERRAL_COUNT_KEYS}
    wanted["won_value"] = ("wins", "amount", period)
    wanted["referrals_given"] = ("referrals_given", "count", period)
    wanted.update({key: (measure, "count", period) for key, measure in ON_TIME_KEYS.items()})
    wanted.update({key: (measure, column, period) for key, (measure, column) in DEAL_KEYS.items()})
    wanted["overdue"] = ("pending_due", "count", _Before(now))
    if trend is not None:
        wanted.update(trend.wanted())
    not_yet_due = (
        FollowUp.objects.filter(
            Scope(team_ids=scope.team_ids).q(),
            kind=FollowUp.Kind.THANK_REFERRER,
            status=FollowUp.Status.PENDING,
            due_at__gte=now,
            referral__asked_at__gte=period.start_at,
            referral__asked_at__lt=period.end_before,
        )
        .filter(Scope(rep_id=scope.rep_id).q(owner_field="owner"))
        .order_by()
        .values("owner_id")
        # The due time, never null, is counted rather than the id: the partial index of
        # pending thank-yous holds it, so the follow-ups are read from the index alone.
        .annotate(thanks_pending=Value(0) - Count("due_at"))
    )
    return _counts(scope, wanted, states=(not_yet_due,))


def _on_time(row: dict) -> tuple[int, int]:
    """(done on time, counted) of one owner's (or the totals') thank-yous."""
    return row["thanks_on_time"], row["thanks_counted"] + row["thanks_pending"]


@dataclass(frozen=True)
class _Before:
    """Every instant before `moment`, as a span of rollup_counts(): the follow-ups due
    before it are the cells of every day before its UTC day (Warmpath keeps none before
    core.dates.FIRST_DAY) and, from the rows, those due earlier on its own day."""

    moment: datetime
    start: date = dates.FIRST_DAY - timedelta(days=1)

    @property
    def end(self) -> date:
        return self.moment.astimezone(UTC).date()

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def end_before(self) -> datetime:
        return self.moment


def _deals(rows) -> dict:
    """Closed, won and the won deals' mean value, referral vs other sources, summed over
    _event_counts() rows."""
    totals = {key: sum(row.get(key, 0) for row in rows) for key in DEAL_KEYS}
    result = {}
    for source in ("referral", "other"):
        result[f"{source}_closed"] = totals[f"{source}_closed"]
        result[f"{source}_won"] = totals[f"{source}_won"]
        valued = totals[f"{source}_valued"]
        result[f"{source}_avg"] = Decimal(totals[f"{source}_value"]) / valued if valued else None
    return result


# A WeeklyGoal as the KPIs read it: whose, which week, the goals. A 12-week dashboard of a
# team of twenty reads some 250 of them, which as model instances cost more to build than
# to read.
GoalRow = namedtuple("GoalRow", ["team_id", "rep_id", "week_start", *GOAL_KEYS])


def _goal_rows(team_ids, period: Period) -> list[GoalRow]:
    weeks = period.week_starts()
    goals = WeeklyGoal.objects.filter(week_start__gte=weeks[0], week_start__lte=weeks[-1])
    if team_ids is not None:
        goals = goals.filter(team_id__in=team_ids)
    return [GoalRow(*values) for values in goals.order_by().values_list(*GoalRow._fields)]


def _rep_counts(team_ids, *, rep_id: int | None = None) -> tuple[dict[int, int], set[int]]:
    """The number of reps of each team, and the teams where `rep_id` is one of them (a
    manager gets no share of a team goal: only reps share it). One query."""
    reps = Membership.objects.filter(role=Membership.Role.REP)
    if team_ids is not None:
        reps = reps.filter(team_id__in=team_ids)
    rows = reps.order_by().values("team_id").annotate(n=Count("pk"), mine=_rows(Q(user=rep_id)))
    return {row["team_id"]: row["n"] for row in rows}, {
        row["team_id"] for row in rows if row["mine"]
    }


def _sum_goals(goals: list[dict]) -> dict | None:
    if not goals:
        return None
    return {key: round(sum(goal[key] for goal in goals), GOAL_DECIMALS) for key in GOAL_KEYS}


def goal_share(team_goal: WeeklyGoal | GoalRow, *, reps: int) -> dict | None:
    """A rep's share of the team's goal for a week, when they have no goal of their own:
    each measure divided by the team's number of reps, rounded to GOAL_DECIMALS places.
    None for a team without reps. The one definition: the KPIs (and so the dashboard, the
    API and the rep's week) and the goals page all use it."""
    if not reps:
        return None
    return {key: round(getattr(team_goal, key) / reps, GOAL_DECIMALS) for key in GOAL_KEYS}


def _rep_goal_rows(
    rows: list[GoalRow], *, rep_id: int, rep_team_ids=None
) -> tuple[list[GoalRow], list[GoalRow]]:
    """A rep's goal rows of a period: their own, and the team goals of the weeks (of their
    teams) where they have none of their own — those they get a share of."""
    own = {(row.team_id, row.week_start): row for row in rows if row.rep_id == rep_id}
    shared = [
        row
        for row in rows
        if row.rep_id is None
        and (rep_team_ids is None or row.team_id in rep_team_ids)
        and (row.team_id, row.week_start) not in own
    ]
    return list(own.values()), shared


def goals_from_rows(
    rows: list[GoalRow], rep_counts: dict[int, int], *, rep_id: int | None, rep_team_ids=None
) -> dict | None:
    """The goals covering a period, from its WeeklyGoal rows (GoalRow, or the models): the
    team goals summed, or for one rep, per week their own goal, else the team's goal shared
    by the team's reps."""
    if rep_id is None:
        return _sum_goals(
            [{key: getattr(row, key) for key in GOAL_KEYS} for row in rows if row.rep_id is None]
        )
    own, shared = _rep_goal_rows(rows, rep_id=rep_id, rep_team_ids=rep_team_ids)
    picked = [{key: getattr(row, key) for key in GOAL_KEYS} for row in own]
    for row in shared:
        share = goal_share(row, reps=rep_counts.get(row.team_id) or 0)
        if share is not None:
            picked.append(share)
    return _sum_goals(picked)


def goal_basis(rows: list[GoalRow], *, rep_id: int, rep_team_ids=None) -> str | None:
    """Where one rep's goals for a period come from, so the page can say so: "own" (their
    own WeeklyGoal every week), "team_share" (the team's goal divided by its reps every
    week), "mixed", or None when no goal covers the period."""
    own, shared = _rep_goal_rows(rows, rep_id=rep_id, rep_team_ids=rep_team_ids)
    if own and shared:
        return "mixed"
    if own:
        return "own"
    return "team_share" if shared else None


# --- Assembling --------------------------------------------------------------------------


def _empty_counts() -> dict:
    counts = dict.fromkeys(REFERRAL_COUNT_KEYS, 0)
    counts["won_value"] = None
    return counts


def _combine(rows) -> dict:
    total = _empty_counts()
    for row in rows:
        for key in REFERRAL_COUNT_KEYS:
            total[key] += row.get(key, 0)
        if row.get("won_value") is not None:
            total["won_value"] = (total["won_value"] or Decimal("0")) + row["won_value"]
    return total


def _numbers(counts: dict, given: int, on_time: tuple[int, int], overdue: int) -> dict:
    """The KPI keys of the API contract (without deals and goals) from aggregated counts."""
    return {
        "asks": counts["asks"],
        "intros": counts["intros"],
        "intros_by_quality": {q: counts[f"intros_{q}"] for q in QUALITIES},
        "meetings": counts["meetings"],
        "wins": counts["wins"],
        "won_value": str(_money(counts["won_value"])),
        "referrals_given": given,
        "conversion": {
            "ask_to_intro": ratio(counts["cohort_confirmed"], counts["asks"]),
            "intro_to_meeting": ratio(counts["cohort_meeting"], counts["cohort_confirmed"]),
            "meeting_to_win": ratio(counts["cohort_won"], counts["cohort_meeting"]),
        },
        "followup_on_time_rate": ratio(*on_time),
        "overdue_followups": overdue,
        # Beyond the contract (the dashboard's charts; the API leaves them out):
        "funnel": {
            "asked": counts["asks"],
            "confirmed": counts["cohort_confirmed"],
            "meeting": counts["cohort_meeting"],
            "won": counts["cohort_won"],
        },
        "quality": [
            {
                "quality": q,
                "label": q.capitalize(),
                "intros": counts[f"intros_{q}"],
                "meeting": counts[f"intros_{q}_meeting"],
                "won": counts[f"intros_{q}_won"],
                "to_meeting": ratio(counts[f"intros_{q}_meeting"], counts[f"intros_{q}"]),
                "to_win": ratio(counts[f"intros_{q}_won"], counts[f"intros_{q}"]),
            }
            for q in QUALITIES
        ],
        "followups_counted": on_time[1],
        # Of the period's intros, the share the referrer confirmed themselves by a link of
        # the ask (the API adds it to the contract; null without intros).
        "referrer_confirmed_share": ratio(counts["intros_by_referrer"], counts["intros"]),
    }


def _attainment(numbers: dict, goals: dict | None) -> dict:
    return {key: (ratio(numbers[key], goals[key]) if goals else None) for key in GOAL_KEYS}


def _deal_numbers(deals: dict) -> dict:
    def avg(value):
        return None if value is None else str(_money(Decimal(value)))

    return {
        "win_rate": {
            "referral": ratio(deals["referral_won"], deals["referral_closed"]),
            "other": ratio(deals["other_won"], deals["other_closed"]),
        },
        "avg_deal": {"referral": avg(deals["referral_avg"]), "other": avg(deals["other_avg"])},
    }


def _with_goals(numbers: dict, scope: Scope, period: Period) -> dict:
    """Add the goals covering the period (the team's, or the rep's own else their share
    of the team's) and the attainment of each goal measure."""
    rows = _goal_rows(scope.team_ids, period)
    if scope.rep_id is None:
        goals = goals_from_rows(rows, {}, rep_id=None)
    else:
        rep_counts, rep_team_ids = _rep_counts(scope.team_ids, rep_id=scope.rep_id)
        goals = goals_from_rows(rows, rep_counts, rep_id=scope.rep_id, rep_team_ids=rep_team_ids)
        # Beyond the contract (the API leaves it out): whose goals these are, for the
        # rep's pages to say.
        numbers["goal_basis"] = (
            goal_basis(rows, rep_id=scope.rep_id, rep_team_ids=rep_team_ids) if goals else None
        )
    numbers["goals"] = goals if goals else dict.fromkeys(GOAL_KEYS)
    numbers["attainment"] = _attainment(numbers, goals)
    return numbers


def kpis(scope: Scope, period: Period, *, now: datetime | None = None) -> dict:
    """Every KPI of the API contract for a scope and a period. Two queries: the counts
    (_event_counts) and the goals — and for one rep a third, the team's reps, to share a
    team goal."""
    now = now or timezone.now()
    rows = _event_counts(scope, period, now).values()
    counts = _combine(rows)
    given = sum(row["referrals_given"] for row in rows)
    on_time_rows = [_on_time(row) for row in rows]
    on_time = (sum(row[0] for row in on_time_rows), sum(row[1] for row in on_time_rows))
    overdue = sum(row["overdue"] for row in rows)
    numbers = _numbers(counts, given, on_time, overdue)
    numbers.update(_deal_numbers(_deals(rows)))
    return _with_goals(numbers, scope, period)


def goal_progress(scope: Scope, period: Period) -> dict:
    """Only the goal measures (asks, intros, meetings, referrals given, wins) against
    the goals — what the rep's week shows, by the same definitions as kpis(), without
    the conversions, follow-ups and deals it doesn't show. Three queries at most: the
    counts, the goals and, for one rep, the team's reps."""
    wanted = {key: (key, "count", period) for key in ("asks", "intros", "meetings", "wins")}
    wanted["referrals_given"] = ("referrals_given", "count", period)
    rows = _counts(scope, wanted).values()
    numbers = {key: sum(row[key] for row in rows) for key in wanted}
    return _with_goals(numbers, scope, period)


# Who a row of the per-rep table is: a rep; a manager who sells (has numbers of their own
# in the period); someone whose numbers stay in the team's (their referrals, follow-ups,
# introductions given) but who is no longer a member of it.
REP, MANAGER, FORMER_MEMBER = "rep", "manager", "former"
ROW_ROLE_LABELS = {REP: "", MANAGER: "manager", FORMER_MEMBER: "no longer in the team"}


@dataclass
class RepRow:
    user: object
    numbers: dict
    goals: dict | None
    attainment: dict
    role: str = REP

    @property
    def name(self) -> str:
        return str(self.user)

    @property
    def username(self) -> str:
        return self.user.get_username()

    @property
    def role_label(self) -> str:
        return ROW_ROLE_LABELS[self.role]


def _has_numbers(user_id: int, *per_owner: dict) -> bool:
    return any(user_id in rows for rows in per_owner)


def team_table(
    team_ids: tuple[int, ...] | None, period: Period, *, now=None, with_trend: bool = False
):
    """The team totals and the per-rep table of a team (or several): the counts grouped
    by owner — the rows and the totals come from the same rows, so the totals are the sum
    of the rows shown. The rows: every rep; a manager who has
    numbers of their own (asks, intros, follow-ups, introductions given…); and anyone
    else whose numbers count in the totals though they are no longer a member (one more
    query, only when there are such people).
    Three queries: members, the counts (_event_counts), the goals.
    Returns (totals dict like kpis(), [RepRow]: the reps and managers sorted by name, then
    former members). With with_trend, the totals also hold "trend": the 12 weeks ending
    with the period's, from the same query as the counts."""
    now = now or timezone.now()
    scope = Scope(team_ids=team_ids)
    memberships = Membership.objects.select_related("user")
    if team_ids is not None:
        memberships = memberships.filter(team_id__in=team_ids)
    memberships = list(
        memberships.order_by("user__first_name", "user__last_name", "user__username")
    )
    trend = _Trend.ending(period.end, period.zone) if with_trend else None
    counted = _event_counts(scope, period, now, trend)
    # Who has numbers of their own in the period (the trend's other weeks aside): a
    # non-zero count of an event, or follow-ups overdue now.
    referral_rows = {
        owner: row
        for owner, row in counted.items()
        if any(row[key] for key in (*REFERRAL_COUNT_KEYS, "won_value", "referrals_given"))
        or any(_on_time(row))
    }
    given = {owner: row["referrals_given"] for owner, row in referral_rows.items()}
    on_time = {owner: _on_time(row) for owner, row in referral_rows.items()}
    overdue = {owner: row["overdue"] for owner, row in counted.items() if row["overdue"]}
    goal_rows = _goal_rows(team_ids, period)
    # A rep's goals are read from the team's rows and their own (goals_from_rows reads no
    # other): each rep's picked out once, not searched for among every rep's.
    team_goal_rows = [row for row in goal_rows if row.rep_id is None]
    goal_rows_of: dict[int, list[GoalRow]] = defaultdict(list)
    for row in goal_rows:
        if row.rep_id is not None:
            goal_rows_of[row.rep_id].append(row)
    rep_counts: dict[int, int] = defaultdict(int)
    rep_teams: dict[int, set[int]] = defaultdict(set)
    for membership in memberships:
        if membership.role == Membership.Role.REP:
            rep_counts[membership.team_id] += 1
            rep_teams[membership.user_id].add(membership.team_id)
    per_owner = (referral_rows, given, on_time, overdue)

    def row_of(user, role: str) -> RepRow:
        user_id = user.pk
        numbers = _numbers(
            {**_empty_counts(), **referral_rows.get(user_id, {})},
            given.get(user_id, 0),
            on_time.get(user_id, (0, 0)),
            overdue.get(user_id, 0),
        )
        # A manager or former member has only goals of their own (no share of the team's).
        goals = goals_from_rows(
            [*team_goal_rows, *goal_rows_of.get(user_id, ())],
            rep_counts,
            rep_id=user_id,
            rep_team_ids=rep_teams.get(user_id, set()),
        )
        return RepRow(user, numbers, goals, _attainment(numbers, goals), role)

    reps, seen = [], set()
    for membership in memberships:
        user_id = membership.user_id
        if user_id in seen:  # a member of two of the teams shown: one row
            continue
        if user_id in rep_teams:
            role = REP
        elif _has_numbers(user_id, *per_owner):
            role = MANAGER
        else:
            continue  # a manager who does not sell: nothing to show, nothing in the totals
        seen.add(user_id)
        reps.append(row_of(membership.user, role))
    former = {owner for rows in per_owner for owner in rows} - seen
    if former:
        users = User.objects.filter(pk__in=former)
        for user in sorted(users, key=lambda u: (str(u).lower(), u.pk)):
            reps.append(row_of(user, FORMER_MEMBER))
    totals = _numbers(
        _combine(referral_rows.values()),
        sum(given.values()),
        (sum(v[0] for v in on_time.values()), sum(v[1] for v in on_time.values())),
        sum(overdue.values()),
    )
    totals.update(_deal_numbers(_deals(counted.values())))
    team_goals = goals_from_rows(goal_rows, {}, rep_id=None)
    totals["goals"] = team_goals if team_goals else dict.fromkeys(GOAL_KEYS)
    totals["attainment"] = _attainment(totals, team_goals)
    if trend is not None:
        totals["trend"] = trend.rows(counted.values())
    return totals, reps


# --- Charts' data ------------------------------------------------------------------------


@dataclass
class _Trend:
    """The weeks of a trend and the aggregates that count asks, intros and wins in each."""

    weeks: list[Period]
    window: Period

    # The measures of the trend, each dated by its step.
    STEPS = ("asks", "intros", "wins")

    @classmethod
    def ending(cls, end: date, zone: ZoneInfo, weeks: int = TREND_WEEKS) -> _Trend:
        first = monday(end) - timedelta(weeks=weeks - 1)
        periods = [
            Period(first + timedelta(weeks=i), first + timedelta(weeks=i, days=6), zone)
            for i in range(weeks)
        ]
        return cls(periods, Period(periods[0].start, periods[-1].end, zone))

    def wanted(self) -> dict[str, tuple]:
        """A count of each measure for each week: trend_<measure>_<week number>."""
        return {
            f"trend_{name}_{i}": (name, "count", week)
            for name in self.STEPS
            for i, week in enumerate(self.weeks)
        }

    def rows(self, results) -> list[dict]:
        """The weeks' counts, summed over result rows (one per owner, or one)."""
        results = list(results)
        return [
            {
                "week_start": week.start,
                **{
                    name: sum(row.get(f"trend_{name}_{i}", 0) for row in results)
                    for name in self.STEPS
                },
            }
            for i, week in enumerate(self.weeks)
        ]


def weekly_trend(
    scope: Scope, end: date, zone: ZoneInfo, *, weeks: int = TREND_WEEKS
) -> list[dict]:
    """Asks, intros and wins per week for the `weeks` weeks ending with the week of `end`.
    One query of the rollups, counting per week."""
    trend = _Trend.ending(end, zone, weeks)
    return trend.rows(_counts(scope, trend.wanted()).values())


def _count_of(queryset, *, by: str) -> Subquery:
    """A correlated COUNT(*) of `queryset` per outer referrer, for a few outer rows."""
    return Coalesce(
        Subquery(
            queryset.filter(**{by: OuterRef("pk")})
            .order_by()
            .values(by)
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


@dataclass
class Referrers:
    """The top referrers and the reciprocity table of a period."""

    top: list[dict]
    reciprocity: list[dict]


def referrers(scope: Scope, period: Period, *, limit: int = TOP_REFERRERS) -> Referrers:
    """Who sends the most and the best intros, and reciprocity per client.

    top: the referrers ranked by intros confirmed in the period (then best-quality ones),
    with the asks made of them in the period, the wins of those asks and the introductions
    we gave them in the period.
    reciprocity: the clients who sent us the most intros in the period or to whom we gave
    the most introductions (the `limit` first of each ranking, together), each with both
    figures and the balance given − received, the busiest first.
    Two queries: the ranking by intros (the (team, confirmed_at) index), then the people
    of both rankings — the ranking by introductions given (the (team, given_on) index) is
    a subquery of it — with their names and correlated counts."""
    confirmed = _in("confirmed_at", period)
    intros = Referral.objects.filter(scope.q()).filter(confirmed)
    ranked = list(
        intros.order_by()
        .values("referrer_id")
        .annotate(intros=_rows(), best=_rows(Q(quality=Quality.BEST)))
        .order_by("-intros", "-best", "referrer_id")[:limit]
    )
    given = ReferralGiven.objects.filter(
        scope.q(), given_on__gte=period.start, given_on__lte=period.end
    )
    given_ranked = (
        given.order_by()
        .values("client_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "client_id")
        .values("client_id")[:limit]
    )
    asked = Referral.objects.filter(
        scope.q(), asked_at__gte=period.start_at, asked_at__lt=period.end_before
    )
    people = (
        Contact.objects.order_by()
        .annotate(
            received=_count_of(asked, by="referrer"),
            wins=_count_of(asked.filter(won_at__isnull=False), by="referrer"),
            intros=_count_of(intros, by="referrer"),
            given=_count_of(given, by="client"),
        )
        .values("pk", "first_name", "last_name", "received", "wins", "intros", "given")
    )
    # A UNION of the two rankings' people, not one WHERE with an OR: PostgreSQL reads each
    # half by primary key, where the OR of a list and a subquery scans every contact.
    people = {
        row["pk"]: row
        for row in people.filter(pk__in=[row["referrer_id"] for row in ranked]).union(
            people.filter(pk__in=given_ranked)
        )
    }

    def name(person: dict) -> str:
        return f"{person['first_name']} {person['last_name']}".strip()

    top = [
        {
            "referrer_id": row["referrer_id"],
            "name": name(people[row["referrer_id"]]),
            "received": people[row["referrer_id"]]["received"],
            "intros": row["intros"],
            "best": row["best"],
            "wins": people[row["referrer_id"]]["wins"],
            "given": people[row["referrer_id"]]["given"],
        }
        for row in ranked
        if row["referrer_id"] in people
    ]
    reciprocity = sorted(
        (
            {
                "contact_id": pk,
                "name": name(person),
                "received": person["intros"],
                "given": person["given"],
                "balance": person["given"] - person["intros"],
            }
            for pk, person in people.items()
        ),
        key=lambda row: (-(row["received"] + row["given"]), row["name"], row["contact_id"]),
    )
    return Referrers(top, reciprocity)


def period_referrals(scope: Scope, period: Period):
    """The raw referrals of a period (any step dated in it), for the list and the export."""
    asked, confirmed = _in("asked_at", period), _in("confirmed_at", period)
    meeting, won = _in("meeting_at", period), _in("won_at", period)
    return (
        Referral.objects.filter(scope.q())
        .filter(asked | confirmed | meeting | won)
        .select_related("owner", "referrer", "prospect")
        .order_by("-asked_at", "-pk")
    )


# --- Clients asked (keeping the network warm) -------------------------------------------------

CLIENTS_ASKED_WITHIN = timedelta(days=90)


def clients_asked_share(scope: Scope, period: Period) -> float | None:
    """clients_asked_share: of the scope's active clients (contacts of kind client; for
    one rep, those they look after), the share asked for an introduction — by anyone of
    the team — in the CLIENTS_ASKED_WITHIN (90 days) ending with the period's last day;
    0–1, `null` without clients. The gap it shows: most clients would refer, few are
    asked. One query, on its own so the other KPIs' sources may change without it.

    Read from each client's latest ask (Contact.last_asked_at, kept by
    referrals.contact_facts) in the index of active clients: last asked before the window,
    not asked in it; last asked within it, asked. Only a client asked again since the
    window ended (a past period) is looked up in the asks."""
    end = period.end_before
    start = end - CLIENTS_ASKED_WITHIN
    asked_in_window = Exists(
        Referral.objects.filter(referrer=OuterRef("pk"), asked_at__gte=start, asked_at__lt=end)
    )
    counts = Contact.objects.filter(
        scope.q(), usually_null("user"), kind=ContactKind.CLIENT
    ).aggregate(
        active=Count("pk"),
        asked=Count(
            "pk",
            filter=Q(last_asked_at__gte=start, last_asked_at__lt=end)
            # The cheap tests first, each false rather than unknown for a client never
            # asked (SQL reads on past an unknown): the asks are read only when they hold.
            | (Q(last_asked_at__isnull=False) & Q(last_asked_at__gte=end) & Q(asked_in_window)),
        ),
    )
    return ratio(counts["asked"], counts["active"])


# --- Intros the referrer confirmed themselves ------------------------------------------


@dataclass(frozen=True)
class ReferrerConfirmed:
    intros: int
    by_referrer: int

    @property
    def share(self) -> float | None:
        return ratio(self.by_referrer, self.intros)


def referrer_confirmed_share(scope: Scope, period: Period) -> ReferrerConfirmed:
    """Of the intros of the period (referrals confirmed in it, as `intros` counts them),
    how many the referrer confirmed themselves, with a link of the ask sent by email
    (Referral.confirmed_by = "referrer", referrals.links), and their share: null without
    intros. One query of the rollups (the measure intros_by_referrer), as kpis() reads it."""
    wanted = {
        "intros": ("intros", "count", period),
        "by_referrer": ("intros_by_referrer", "count", period),
    }
    rows = _counts(scope, wanted).values()
    return ReferrerConfirmed(
        intros=sum(row["intros"] for row in rows),
        by_referrer=sum(row["by_referrer"] for row in rows),
    )
