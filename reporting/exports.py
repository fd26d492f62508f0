"""The KPI exports of the manager dashboard: the per-rep table of a period (the page
streams it), and the raw referrals of a period (the page streams a small one, a worker
writes a large one: the "referrals" kind of exports.registry, registered when
ReportingConfig.ready() loads this module)."""

from __future__ import annotations

from datetime import date

from accounts.visibility import managed_team_ids
from accounts.zones import zone_of
from core.money import format_money
from exports import registry
from exports.registry import CsvExport
from reporting import kpis

REFERRALS = "referrals"

# Headers a person reads in a spreadsheet; the API (/api/v1/kpis/, /api/v1/referrals/)
# keeps the machine-readable names, codes, ratios and ISO timestamps.
REP_HEADER = [
    "Rep", "Username", "Period start", "Period end", "Asks", "Intros", "Good intros",
    "Better intros", "Best intros", "Meetings", "Wins", "Won value", "Referrals given",
    "Thank-yous on time", "Overdue follow-ups", "Goal: asks", "Goal: intros",
    "Goal: meetings", "Goal: referrals given", "Goal: wins",
]  # fmt: skip

REFERRAL_HEADER = [
    "Referral", "Rep", "Referrer", "Prospect", "Quality", "Channel", "Status", "Asked",
    "Confirmed", "Prospect contacted", "Meeting", "Won", "Lost", "Declined", "Value",
]  # fmt: skip
# The step columns (Asked … Declined) get the reader's time zone in their header.
TIMES_FROM, TIMES_TO = REFERRAL_HEADER.index("Asked"), REFERRAL_HEADER.index("Declined")
SPREADSHEET_TIME = "%Y-%m-%d %H:%M"


def percent(value) -> str:
    """A ratio as a spreadsheet reads a percentage: 0.6667 → "66.7%"; empty when none."""
    if value is None:
        return ""
    return f"{value * 100:.1f}".removesuffix(".0") + "%"


def _goal(value) -> str:
    return "" if value is None else f"{value:g}"


def reps_export_rows(*, team_ids: tuple[int, ...] | None, period: kpis.Period) -> list[list]:
    """The per-rep table of the period (kpis.team_table: the dashboard's numbers, its
    rows in the same order), its header first; the caller has checked the user may see
    these teams and set the money format (core.money). Cells are raw: the page makes
    them formula-safe as it writes them."""
    _totals, reps = kpis.team_table(team_ids, period)
    rows: list[list] = [list(REP_HEADER)]
    for row in reps:
        n, goals = row.numbers, row.goals or {}
        rows.append([
            row.name, row.username, period.start, period.end, n["asks"],
            n["intros"], *n["intros_by_quality"].values(), n["meetings"], n["wins"],
            format_money(n["won_value"]), n["referrals_given"],
            percent(n["followup_on_time_rate"]), n["overdue_followups"],
            *(_goal(goals.get(key)) for key in kpis.GOAL_KEYS),
        ])  # fmt: skip
    return rows


def referrals_export(*, user, team_ids: list[int] | None, start: date, end: date) -> CsvExport:
    """The raw referrals of the period [start, end] in the user's time zone (any step
    dated in it), as a person reads them: labels, not codes; times in that zone to the
    minute, the zone named in the header; values in each referral's team currency, in
    the user's language. Only teams the user manages are read (every team for staff;
    None means every team, for staff only): the page has checked that already, and a
    worker running the export later, when the user may no longer manage the team,
    checks it again here."""
    if not user.is_staff:
        managed = managed_team_ids(user)
        team_ids = [team_id for team_id in (team_ids or []) if team_id in managed]
    scope = kpis.Scope(team_ids=None if team_ids is None else tuple(team_ids))
    period = kpis.Period(start, end, zone_of(user))
    header = [
        f"{name} ({period.zone.key})" if TIMES_FROM <= i <= TIMES_TO else name
        for i, name in enumerate(REFERRAL_HEADER)
    ]

    def when(value):
        return "" if value is None else value.astimezone(period.zone).strftime(SPREADSHEET_TIME)

    def cells(r) -> list:
        return [
            r.pk, str(r.owner), str(r.referrer), str(r.prospect), r.get_quality_display(),
            r.get_channel_display(), r.get_status_display(), when(r.asked_at),
            when(r.confirmed_at), when(r.contacted_at), when(r.meeting_at), when(r.won_at),
            when(r.lost_at), when(r.declined_at),
            "" if r.value is None else format_money(
                r.value, currency=r.team.currency, language=getattr(user, "language", None)
            ),
        ]  # fmt: skip

    return CsvExport(
        header=header,
        records=kpis.period_referrals(scope, period).select_related("team"),
        cells=cells,
    )


def referrals_from_params(*, user, params: dict) -> CsvExport:
    """The export of the params the dashboard's export URL keeps on the ExportJob."""
    return referrals_export(
        user=user,
        team_ids=params["team_ids"],
        start=date.fromisoformat(params["start"]),
        end=date.fromisoformat(params["end"]),
    )


registry.register(REFERRALS, label="Referrals of a period", build=referrals_from_params)
