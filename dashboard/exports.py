"""The rows of the dashboard's raw-referrals CSV export, for the page that streams a small
one and the worker that writes a large one (the exports app)."""

from __future__ import annotations

from datetime import date

from accounts.visibility import managed_team_ids
from contacts.exports import CsvExport
from dashboard import kpis

REFERRAL_HEADER = [
    "id", "owner", "referrer", "prospect", "quality", "channel", "status", "asked_at",
    "confirmed_at", "contacted_at", "meeting_at", "won_at", "lost_at", "declined_at", "value",
]  # fmt: skip


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
    period = kpis.Period(start, end, kpis.zone_of(user))

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
