"""The readiness conversations and testimonials as CSV (the "readiness" kind of
exports.registry, registered when ReferralsConfig.ready() loads this module): the
readiness page's list, with its filters — `?may_quote=true` is the testimonial list."""

from __future__ import annotations

from exports import registry
from exports.registry import CsvExport
from referrals import selectors
from referrals.filters import ReadinessCheckFilter

READINESS_KIND = "readiness"

READINESS_COLUMNS = [
    ("Date", lambda c: c.checked_on.isoformat()),
    ("Client", lambda c: c.client.full_name),
    ("Company", lambda c: c.client.company.name if c.client.company else ""),
    ("Green light", lambda c: "yes" if c.green_light else "no"),
    ("May quote", lambda c: "yes" if c.may_quote else "no"),
    ("Testimonial", lambda c: c.testimonial),
    ("What we have done right", lambda c: c.went_well),
    ("What we could do better", lambda c: c.could_improve),
    ("What it would take to refer us", lambda c: c.would_take),
    ("Rep", lambda c: str(c.owner)),
]


def readiness_export(*, user, team_id: int | None, filters: dict) -> CsvExport:
    """The readiness conversations the user sees (one team's when team_id is given), with
    the page's filters (referrals.filters.ReadinessCheckFilter, by parameter name)."""
    # Yes/no filters are stored as cleaned (True/False); the filter reads "true"/"false".
    data = {
        name: str(value).lower() if isinstance(value, bool) else value
        for name, value in filters.items()
        if value not in (None, "")
    }
    checks = ReadinessCheckFilter(
        data, queryset=selectors.readiness_checks_for_user(user, team=team_id)
    )
    return CsvExport(
        header=[header for header, _ in READINESS_COLUMNS],
        records=checks.qs,
        cells=lambda check: [value(check) for _, value in READINESS_COLUMNS],
    )


def _readiness_from_params(*, user, params: dict) -> CsvExport:
    return readiness_export(user=user, team_id=params["team_id"], filters=params["filters"])


registry.register(READINESS_KIND, label="Readiness and testimonials", build=_readiness_from_params)
