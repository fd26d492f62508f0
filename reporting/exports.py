"""The KPI exports of the manager dashboard: the per-rep table of a period (the page
streams it), and the raw referrals of a period (the page streams a small one, a worker
writes a large one: the "referrals" kind of exports.registry, registered when
ReportingConfig.ready() loads this module)."""

from __future__ import annotations

from datetime import date

from accounts.visibility import managed_team_ids
from accounts.zones import zone_of
from exports import registry
from exports.registry import CsvExport
from reporting import kpis

REFERRALS = "referrals"

REP_HEADER = [
    "rep", "username", "period_start", "period_end", "asks", "intros", "intros_good",
    "intros_better", "intros_best", "meetings", "wins", "won_value", "referrals_given",
    "followup_on_time_rate", "overdue_followups", "goal_asks", "goal_intros",
    "goal_meetings", "goal_referrals_given", "goal_wins",
]  # fmt: skip

REFERRAL_HEADER = [
    "id", "owner", "referrer", "prospect", "quality", "channel", "status", "asked_at",
    "confirmed_at", "contacted_at", "meeting_at", "won_at", "lost_at", "declined_at", "value",
]  # fmt: skip


def _rate(value) -> str:
    return "" if value is None else f"{value:.4f}"


def reps_export_rows(*, team_ids: tuple[int, ...] | None, period: kpis.Period) -> list[list]:
    """The per-rep table of the period (kpis.team_table: the dashboard's numbers), its
    header first; the caller has checked the user may see these teams. Cells are raw:
    the page makes them formula-safe as it writes them."""
    _totals, reps = kpis.team_table(team_ids, period)
    rows: list[list] = [list(REP_HEADER)]
    for row in reps:
        n, goals = row.numbers, row.goals or {}
        rows.append([
            str(row.user), row.user.username, period.start, period.end, n["asks"],
            n["intros"], *n["intros_by_quality"].values(), n["meetings"], n["wins"],
            n["won_value"], n["referrals_given"], _rate(n["followup_on_time_rate"]),
            n["overdue_followups"], *(goals.get(key, "") for key in kpis.GOAL_KEYS),
        ])  # fmt: skip
    return rows


def referrals_export(*, user, team_ids: list[int] | None, start: date, end: date) -> CsvExport:
    """The raw referrals of the period [start, end] in the user's time zone (any step
    dated in it), times written in that zone. Only teams the user manages are read (every
    team for staff; None means every team, for staff only): the page has checked that
    already, and a worker running the export later, when the user may no longer manage
    the team, checks it again here."""
    if not user.is_staff:
        managed = managed_team_ids(user)
        team_ids = [team_id for team_id in (team_ids or []) if team_id in managed]
    scope = kpis.Scope(team_ids=None if team_ids is None else tuple(team_ids))
    period = kpis.Period(start, end, zone_of(user))

    def when(value):
        return "" if value is None else value.astimezone(period.zone).isoformat()

    def cells(r) -> list:
        return [
            r.pk, r.owner.get_username(), r.referrer, r.prospect, r.quality, r.channel,
            r.status, when(r.asked_at), when(r.confirmed_at), when(r.contacted_at),
            when(r.meeting_at), when(r.won_at), when(r.lost_at), when(r.declined_at),
            "" if r.value is None else r.value,
        ]  # fmt: skip

    return CsvExport(
        header=REFERRAL_HEADER,
        records=kpis.period_referrals(scope, period),
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
