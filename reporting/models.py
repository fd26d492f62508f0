"""The KPI rollups: per team, owner, day (and week) and measure, how many events (and,
for measures with an amount, their sum). The KPIs read these instead of the source rows, so a
dashboard's cost depends on the days and reps it shows, not on how busy they were.

A row is written in the same transaction as the source row it counts
(reporting/rollups.py), rebuilt from the source rows by `manage.py rollups_rebuild`
and compared with them by `manage.py rollups_check` (nightly)."""

from decimal import Decimal

from django.conf import settings
from django.db import models

from core.database import covering_index


class RollupCell(models.Model):
    """What a cell of the rollups holds, whatever its grain: one measure
    (reporting/measures.py) of one rep, the number of events and the sum of their amounts."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    measure = models.CharField(max_length=40)
    count = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"))

    class Meta:
        abstract = True


def _cell_rules(when: str, grain: str) -> tuple[list, list]:
    """A grain's constraint and index: one cell per team, rep, day (or week) and measure;
    the KPIs read a team's measures over a range of days (or weeks) from the index alone,
    on SQLite too (core.database.covering_index)."""
    return (
        [
            models.UniqueConstraint(
                fields=["team", "owner", when, "measure"], name=f"{grain}_count_one_per_cell"
            )
        ],
        [
            covering_index(
                fields=["team", "measure", when],
                carries=["owner", "count", "amount"],
                name=f"{grain}_count_team_measure_idx",
            )
        ],
    )


class DailyCount(RollupCell):
    """One measure of one rep on one day: the UTC day of the instant that dates it (a
    referral's step), or the calendar day of a date column (a deal's close, a referral
    given)."""

    day = models.DateField(editable=False)  # derived from the counted row: never typed

    class Meta:
        constraints, indexes = _cell_rules("day", "daily")

    def __str__(self) -> str:
        return f"{self.measure} of {self.owner_id} on {self.day}: {self.count}"


class WeeklyCount(RollupCell):
    """The daily cells of one measure of one rep added up over a week, Monday to Sunday
    (the days as DailyCount has them): a period of whole weeks reads one cell a week
    instead of seven, so 12 weeks of a dashboard read 12 cells per rep and measure. Kept,
    rebuilt and checked with the daily cells (reporting/rollups.py)."""

    week = models.DateField(editable=False)  # its Monday

    class Meta:
        constraints, indexes = _cell_rules("week", "weekly")

    def __str__(self) -> str:
        return f"{self.measure} of {self.owner_id} in the week of {self.week}: {self.count}"


class RollupsBuilt(models.Model):
    """Which measures the stored rollups were built with (one row). A database whose
    rollups predate a measure — or the rollups themselves: a database upgraded from before
    them — is rebuilt once after `migrate` (reporting.rollups.rollups_rebuild_if_outdated),
    so no page shows a zero it should not."""

    measures = models.TextField()
    built_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "rollups build"

    def __str__(self) -> str:
        return (
            f"rollups of {len(self.measures.split(';')[-1].split(','))} measures, "
            f"{self.built_at:%Y-%m-%d %H:%M}"
        )
