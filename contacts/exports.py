"""The rows of the contacts and relationships CSV exports.

One function per export builds what is written, as the given user sees it. The export
URL streams it at once when it is small; a worker writes it to a file when it is large
(the exports app). Both go through these functions, so the columns, the order and the
team rules cannot drift apart between the two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from contacts import selectors
from core.csv_safety import safe_cell

# Records read from the database at a time: memory stays flat however long the export.
EXPORT_CHUNK_ROWS = 2000


@dataclass(frozen=True)
class CsvExport:
    """What one export writes: its header, the records (already scoped to what the user
    may see, filtered and ordered) and how one record becomes a row."""

    header: list[str]
    records: QuerySet
    cells: Callable[[Any], list]

    def rows(self) -> Iterator[list[str]]:
        """The header, then one row per record, every cell formula-safe."""
        yield list(self.header)
        for record in self.records.iterator(chunk_size=EXPORT_CHUNK_ROWS):
            yield [safe_cell(value) for value in self.cells(record)]

    def count_up_to(self, limit: int) -> int:
        """How many rows, counting no further than limit + 1: enough to tell a small
        export from a large one without counting a team's 200,000 relationships."""
        return self.records.order_by().values("pk")[: limit + 1].count()


# --- Contacts -------------------------------------------------------------------------------

CONTACT_COLUMNS = [
    ("First name", lambda c: c.first_name),
    ("Last name", lambda c: c.last_name),
    ("Email", lambda c: c.email),
    ("Phone", lambda c: c.phone),
    ("Company", lambda c: c.company.name if c.company else ""),
    ("Industry", lambda c: c.company.get_industry_display() if c.company else ""),
    ("Title", lambda c: c.title),
    ("Kind", lambda c: c.get_kind_display()),
    ("Owner", lambda c: str(c.owner)),
    ("Fit score", lambda c: c.fit_score),
    ("Preferred channel", lambda c: c.get_preferred_channel_display()),
    ("Update cadence", lambda c: c.get_update_cadence_display()),
    ("LinkedIn URL", lambda c: c.linkedin_url),
    ("Client since", lambda c: c.client_since.isoformat() if c.client_since else ""),
]


def contacts_export(*, user, team_id: int | None, filters: dict) -> CsvExport:
    """The contact list as the user sees it (one team's when team_id is given; every team
    for staff without one), with the list's filters (ContactFilterForm.filters())."""
    return CsvExport(
        header=[header for header, _ in CONTACT_COLUMNS],
        records=selectors.contact_list(user=user, team=team_id, **filters),
        cells=lambda contact: [value(contact) for _, value in CONTACT_COLUMNS],
    )


# --- Relationships --------------------------------------------------------------------------

RELATIONSHIP_COLUMNS = [
    ("Contact A name", lambda r: r.contact_a.full_name),
    ("Contact A email", lambda r: r.contact_a.email),
    ("Contact A LinkedIn URL", lambda r: r.contact_a.linkedin_url),
    ("Contact B name", lambda r: r.contact_b.full_name),
    ("Contact B email", lambda r: r.contact_b.email),
    ("Contact B LinkedIn URL", lambda r: r.contact_b.linkedin_url),
    ("Kind", lambda r: r.get_kind_display()),
    ("Strength", lambda r: r.strength),
    ("Since", lambda r: r.since.isoformat() if r.since else ""),
    ("Source", lambda r: r.get_source_display()),
    ("Notes", lambda r: r.notes),
]


def relationships_export(*, user, team_id: int | None) -> CsvExport:
    """Who knows whom, as the user sees it (one team's when team_id is given), in a
    layout the relationships import reads back (the email and LinkedIn URL columns name
    the people)."""
    relationships = selectors.relationships_visible(user=user)
    if team_id is not None:
        relationships = relationships.filter(team_id=team_id)
    return CsvExport(
        header=[header for header, _ in RELATIONSHIP_COLUMNS],
        records=relationships.select_related("contact_a", "contact_b").order_by("pk"),
        cells=lambda relationship: [value(relationship) for _, value in RELATIONSHIP_COLUMNS],
    )
