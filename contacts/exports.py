"""The rows of the contacts and relationships CSV exports, and their registration as
kinds of export (exports.registry; this module is loaded by ContactsConfig.ready).

One function per export builds what is written, as the given user sees it. The export
URL streams it at once when it is small; a worker writes it to a file when it is large
(the exports app). Both go through these functions, so the columns, the order and the
team rules cannot drift apart between the two.
"""

from __future__ import annotations

from contacts import selectors
from contacts.filters import ContactFilter
from exports import registry
from exports.registry import CsvExport

# The kinds of export this module registers (ExportJob.kind).
CONTACTS_KIND = "contacts"
RELATIONSHIPS_KIND = "relationships"


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


# Exports stored before the list had one FilterSet named two filters by their column.
_FORMER_FILTER_NAMES = {"owner_id": "owner", "company_id": "company"}


def _as_sent(value):
    """A filter's cleaned value as the query string sent it: a yes/no filter takes "true"
    or "false" (core.filters.BooleanFilter), not the True it was cleaned to."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def contacts_export(*, user, team_id: int | None, filters: dict) -> CsvExport:
    """The contact list as the user sees it (one team's when team_id is given; every team
    for staff without one), with the list's filters (contacts.filters.ContactFilter, by
    parameter name)."""
    data = {
        _FORMER_FILTER_NAMES.get(name, name): _as_sent(value)
        for name, value in filters.items()
        if value not in (None, "")
    }
    contacts = ContactFilter(
        data, queryset=selectors.contact_list(user=user, team=team_id), user=user
    )
    return CsvExport(
        header=[header for header, _ in CONTACT_COLUMNS],
        records=contacts.qs,
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


# --- Registered with the exports app ------------------------------------------------------------
# `params` are what the export URLs store (contacts.views.contact_export,
# contacts.views_imports.relationship_export).


def _contacts_from_params(*, user, params: dict) -> CsvExport:
    return contacts_export(user=user, team_id=params["team_id"], filters=params["filters"])


def _relationships_from_params(*, user, params: dict) -> CsvExport:
    return relationships_export(user=user, team_id=params["team_id"])


registry.register(CONTACTS_KIND, label="Contacts", build=_contacts_from_params)
registry.register(RELATIONSHIPS_KIND, label="Relationships", build=_relationships_from_params)
