"""Planning an import: what each row will do — create, update or skip, and why — against
the team's contacts, companies and relationships as they are now. Writes nothing: the
preview shows the plan, the commit (contacts.imports.jobs) applies it."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q

from contacts.imports.files import (
    TARGETS,
    FileRefused,
    Table,
    check_required_columns,
    choice_value,
    column_positions,
    company_name_key,
    field_limit,
    mapping_errors,
    mapping_guess,
    parse_date,
    person_name_key,
    read_table,
    shown,
)
from contacts.links import normalize_linkedin_url
from contacts.models import (
    Company,
    Contact,
    ContactKind,
    ImportJob,
    Relationship,
    RelationshipKind,
    RelationshipSource,
)
from contacts.services import RELATIONSHIP_WITH_ITSELF, contact_names_of_user
from core.dates import WINDOW, in_window
from core.names import name_normalise

Progress = Callable[[int, int], None]
# Rows shown on the preview, with their planned outcome; and of a wide file, the columns
# shown with them (those imported first): with SHOWN_CHARS, they bound a preview's size.
PREVIEW_ROWS = 20
PREVIEW_COLUMNS = 25
# Problems listed by row on the preview and the result (the totals count them all).
LISTED_ISSUES = 200
# The placeholders of the reasons below that quote a value or a name, shortened (skip).
QUOTED = ("value", "name", "company", "a", "b")
BATCH_SIZE = 1000
LINKEDIN_STRENGTH = 2  # a LinkedIn connection: they know each other, not more yet
RELATIONSHIP_DEFAULT_STRENGTH = 3
CONTACTS_DEFAULT_KIND = ContactKind.OTHER  # an imported person is not a prospect or client yet

OWN_CONTACT_IN_OTHER_TEAM = (
    "Your own contact record belongs to another team; switch to that team to import your "
    "LinkedIn connections."
)

# --- What the user reads about one row -------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    group: str  # the line of the totals this row counts in
    message: str  # "Row {row}: …", formatted for the row


ROW_NO_NAME = Reason("No name", "Row {row}: no first or last name; a contact needs a name.")
ROW_BAD_EMAIL = Reason("Email not valid", "Row {row}: “{value}” is not an email address.")
ROW_BAD_URL = Reason(
    "LinkedIn URL not valid", "Row {row}: “{value}” is not a LinkedIn web address."
)
ROW_TOO_LONG = Reason("Value too long", "Row {row}: {column} is longer than {limit} characters.")
ROW_TOO_MANY_VALUES = Reason(
    "More values than columns",
    "Row {row}: {found} values for {expected} columns (a comma outside quotes?).",
)
ROW_DUPLICATE = Reason("Duplicate row", "Row {row}: the same person as row {first} ({how}).")
ROW_IS_YOU = Reason("This is you", "Row {row}: this is you; your own record is left as it is.")
ROW_AMBIGUOUS = Reason(
    "Several possible matches",
    "Row {row}: {count} contacts are called {name} at {company}; add an email or a LinkedIn "
    "URL to tell them apart.",
)
ROW_UP_TO_DATE = Reason(
    "Already up to date", "Row {row}: {name} is already in Warmpath ({how}), nothing new."
)
ROW_BAD_KIND = Reason("Kind not recognised", "Row {row}: kind “{value}” is not one of: {choices}.")
ROW_BAD_STRENGTH = Reason(
    "Strength not 1 to 5", "Row {row}: strength “{value}” is not a whole number from 1 to 5."
)
ROW_BAD_DATE = Reason(
    "Date not recognised",
    "Row {row}: “{value}” is not a date (write it like 2024-03-12 or 12 Mar 2024).",
)
ROW_DATE_OUTSIDE_WINDOW = Reason(
    "Date outside the years Warmpath keeps",
    "Row {row}: {column} “{value}” is outside the years Warmpath keeps (" + WINDOW + ").",
)
ROW_NO_PERSON = Reason(
    "Person missing", "Row {row}: no email or LinkedIn URL for the {side} person."
)
ROW_NOT_FOUND = Reason(
    "Person not in Warmpath", "Row {row}: no contact of your team has the {what} “{value}”."
)
ROW_SAME_PERSON = Reason(
    "Same person twice", "Row {row}: {name} twice. " + RELATIONSHIP_WITH_ITSELF
)
ROW_DUPLICATE_PAIR = Reason("Duplicate row", "Row {row}: the same two people as row {first}.")
ROW_PAIR_UP_TO_DATE = Reason(
    "Already up to date", "Row {row}: {a} and {b} are already linked as the file says."
)
NOTE_BAD_CONNECTED_ON = "Connected On “{value}” is not a date, imported without it"
NOTE_CONNECTED_ON_OUTSIDE_WINDOW = (
    "Connected On “{value}” is outside the years Warmpath keeps (" + WINDOW + "), imported "
    "without it"
)
GROUP_NEW_CONTACT = "New contact"
GROUP_MATCHED = "Matches an existing contact by {how}"
GROUP_NEW_RELATIONSHIP = "New relationship"
GROUP_RELATIONSHIP_UPDATED = "Existing relationship updated"
MATCHED_BY = {"url": "LinkedIn URL", "email": "email", "name": "name and company"}

# --- The plan -----------------------------------------------------------------------------------


@dataclass
class RowPlan:
    row: int
    outcome: str  # create | update | skip
    reason: str
    group: str
    cells: list[str] | None = None  # kept for the rows the preview shows


CREATE, UPDATE, SKIP = "create", "update", "skip"


@dataclass(eq=False)
class _Person:
    """A contact as the plan sees it: an existing one (pk) or one the plan creates."""

    pk: int | None
    first_name: str
    last_name: str
    email: str
    linkedin_url: str
    company_key: str
    company_id: int | None
    title: str = ""
    phone: str = ""
    notes: str = ""
    user_id: int | None = None
    url_key: str = ""  # the LinkedIn URL as normalize_linkedin_url spells it
    new: Contact | None = None
    changes: dict = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass
class ImportPlan:
    kind: str
    header: list[str]
    header_row: int
    mapping: dict[str, str]
    rows: list[RowPlan] = field(default_factory=list)
    mapping_errors: list[str] = field(default_factory=list)
    companies: list[Company] = field(default_factory=list)
    new_people: list[_Person] = field(default_factory=list)
    changed_people: list[_Person] = field(default_factory=list)
    new_relationships: list[tuple[_Person, _Person, dict]] = field(default_factory=list)
    changed_relationships: list[tuple[int, dict]] = field(default_factory=list)
    # (person, verb, description): one timeline line per person the import touched
    activities: list[tuple[_Person, str, str]] = field(default_factory=list)
    me: _Person | None = None

    @property
    def ready(self) -> bool:
        return not self.mapping_errors

    def add(self, row: int, outcome: str, reason: str, group: str) -> None:
        self.rows.append(RowPlan(row=row, outcome=outcome, reason=reason, group=group))

    def skip(self, row: int, reason: Reason, **values) -> None:
        """Skip the row. What a reason quotes from the file or the team's data (a value,
        a name) is shown at most SHOWN_CHARS long: up to LISTED_ISSUES of them are."""
        for name in QUOTED:
            if name in values:
                values[name] = shown(values[name])
        self.add(row, SKIP, reason.message.format(row=row, **values), reason.group)

    def columns(self) -> list[dict]:
        """The file's columns and what each feeds, for the preview."""
        labels = {target.name: target.label for target in TARGETS[self.kind]}
        return [
            {
                "position": str(position),
                "header": shown(header) or f"(column {position + 1})",
                "target": self.mapping.get(str(position), ""),
                "label": labels.get(self.mapping.get(str(position), ""), ""),
            }
            for position, header in enumerate(self.header)
        ]

    def preview_rows(self) -> list[RowPlan]:
        return self.rows[:PREVIEW_ROWS]

    def shown_positions(self) -> list[int]:
        """The columns the preview's first rows show: all of them, or for a wide file
        the imported ones and the first others, up to PREVIEW_COLUMNS, in the file's order."""
        positions = range(len(self.header))
        if len(positions) <= PREVIEW_COLUMNS:
            return list(positions)
        imported = {int(position) for position in self.mapping if position.isdigit()}
        chosen = sorted(imported & set(positions))[:PREVIEW_COLUMNS]
        others = (position for position in positions if position not in imported)
        chosen += itertools.islice(others, PREVIEW_COLUMNS - len(chosen))
        return sorted(chosen)

    def preview(self) -> dict:
        """What the preview page shows of this plan, ready to keep (JSON) and bounded in
        size whatever the file: PREVIEW_ROWS rows, PREVIEW_COLUMNS of their cells, each
        value at most SHOWN_CHARS long (contacts.imports.jobs keeps it on the job)."""
        positions = self.shown_positions()
        return {
            "header_row": self.header_row,
            "mapping": self.mapping,
            "mapping_errors": self.mapping_errors,
            "ready": self.ready,
            "columns": self.columns(),
            "shown_headers": [
                shown(self.header[position]) or f"(column {position + 1})" for position in positions
            ],
            "hidden_columns": len(self.header) - len(positions),
            "rows": [
                {
                    "row": row_plan.row,
                    "outcome": row_plan.outcome,
                    "reason": row_plan.reason,
                    "cells": [
                        shown(row_plan.cells[position]) if position < len(row_plan.cells) else ""
                        for position in positions
                    ],
                }
                for row_plan in self.preview_rows()
            ],
            "summary": self.summary() if self.ready else None,
        }

    def summary(self) -> dict:
        counts = Counter(plan.outcome for plan in self.rows)
        groups = Counter((plan.outcome, plan.group) for plan in self.rows)
        issues = [
            {"row": plan.row, "message": plan.reason}
            for plan in self.rows
            if plan.outcome == SKIP and plan.group != ROW_UP_TO_DATE.group
        ]
        return {
            "rows": len(self.rows),
            "create": counts[CREATE],
            "update": counts[UPDATE],
            "skip": counts[SKIP],
            "groups": [
                {"outcome": outcome, "label": label, "count": count}
                for (outcome, label), count in sorted(
                    groups.items(),
                    key=lambda item: ((CREATE, UPDATE, SKIP).index(item[0][0]), -item[1]),
                )
            ],
            "objects": {
                "contacts_created": len(self.new_people),
                "contacts_updated": len(self.changed_people),
                "companies_created": len(self.companies),
                "relationships_created": len(self.new_relationships),
                "relationships_updated": len(self.changed_relationships),
            },
            "issue_count": len(issues),
            "issues": issues[:LISTED_ISSUES],
        }


class _Network:
    """The team's contacts and companies, indexed the ways a row can match them; the plan
    adds the people and companies it will create, so later rows match those too."""

    def __init__(self, team):
        self.team = team
        self.by_pk: dict[int, _Person] = {}
        self.by_url: dict[str, _Person] = {}
        self.by_email: dict[str, _Person] = {}
        self.by_name: dict[tuple[str, str, str], list[_Person]] = {}
        # A row with a LinkedIn URL that matched nobody can only be someone without one:
        # looking there keeps 20,000 namesakes' rows from comparing with each other.
        self.by_name_without_url: dict[tuple[str, str, str], list[_Person]] = {}
        self.companies: dict[str, int | Company] = {}
        for pk, name in Company.objects.filter(team=team).values_list("pk", "name"):
            self.companies.setdefault(company_name_key(name), pk)
        rows = Contact.objects.filter(team=team).values_list(
            "pk",
            "first_name",
            "last_name",
            "email",
            "linkedin_url",
            "company_id",
            "company__name",
            "title",
            "phone",
            "notes",
            "user_id",
        )
        for pk, first, last, email, url, company_id, company, title, phone, notes, user_id in rows:
            self.add(
                _Person(
                    pk=pk,
                    first_name=first,
                    last_name=last,
                    email=email,
                    linkedin_url=url,
                    company_key=company_name_key(company or ""),
                    company_id=company_id,
                    title=title,
                    phone=phone,
                    notes=notes,
                    user_id=user_id,
                )
            )

    def add(self, person: _Person) -> None:
        if person.pk:
            self.by_pk[person.pk] = person
        if person.linkedin_url and not person.url_key:
            person.url_key = normalize_linkedin_url(person.linkedin_url)
        if person.url_key:
            self.by_url.setdefault(person.url_key, person)
        if person.email:
            self.by_email.setdefault(person.email.lower(), person)
        key = person_name_key(person.first_name, person.last_name, person.company_key)
        self.by_name.setdefault(key, []).append(person)
        if not person.url_key:
            self.by_name_without_url.setdefault(key, []).append(person)

    def match(self, *, url: str, email: str, name_key) -> tuple[_Person | None, str, int]:
        """The contact a row is, by LinkedIn URL, then email, then name and company (not
        when an email or URL on both sides says they are different people); with how it
        matched, and the number of candidates when the name alone is ambiguous."""
        if url and url in self.by_url:
            return self.by_url[url], "url", 1
        if email and email.lower() in self.by_email:
            return self.by_email[email.lower()], "email", 1
        namesakes = (self.by_name_without_url if url else self.by_name).get(name_key, ())
        candidates = [
            person
            for person in namesakes
            if not (url and person.url_key and person.url_key != url)
            and not (email and person.email and person.email.lower() != email.lower())
        ]
        if len(candidates) == 1:
            return candidates[0], "name", 1
        return None, "", len(candidates)

    def company_for(self, plan: ImportPlan, name: str) -> tuple[int | Company | None, bool]:
        """The company of that name in the team, or a new one the plan creates."""
        key = company_name_key(name)
        if not key:
            return None, False
        if key in self.companies:
            return self.companies[key], False
        company = Company(team=self.team, name=" ".join(name.split()))
        self.companies[key] = company
        plan.companies.append(company)
        return company, True


# --- Planning people (LinkedIn connections and contacts CSV) ---------------------------------


def _clean_person(row: int, values: dict[str, str]) -> tuple[dict | None, Reason | None, dict]:
    """The row's person, cleaned and validated; or the reason it is skipped. Names (the
    person's and the company's) are normalised by the rule of names (core.names): a file
    is fixed, not refused, for a line break or a direction override in a name."""
    first = name_normalise(values.get("first_name", ""))
    last = name_normalise(values.get("last_name", ""))
    if "full_name" in values and not first and not last:
        first, _, last = name_normalise(values["full_name"]).partition(" ")
    if not first and not last:
        return None, ROW_NO_NAME, {}
    if not first:  # a contact's first name is required; "Prince" goes there
        first, last = last, ""
    person = {
        "first_name": first,
        "last_name": last,
        "email": values.get("email", "").strip(),
        "linkedin_url": normalize_linkedin_url(values.get("linkedin_url", "")),
        "company": name_normalise(values.get("company", "")),
        "title": " ".join(values.get("title", "").split()),
        "phone": values.get("phone", "").strip(),
        "notes": values.get("notes", "").strip(),
    }
    limits = {
        "first_name": ("First name", field_limit("first_name")),
        "last_name": ("Last name", field_limit("last_name")),
        "email": ("Email", field_limit("email")),
        "linkedin_url": ("LinkedIn URL", field_limit("linkedin_url")),
        "company": ("Company", field_limit("name", Company)),
        "title": ("Title", field_limit("title")),
        "phone": ("Phone", field_limit("phone")),
    }
    for name, (label, limit) in limits.items():
        if len(person[name]) > limit:
            return None, ROW_TOO_LONG, {"column": label, "limit": limit}
    if person["email"]:
        try:
            validate_email(person["email"])
        except ValidationError:
            return None, ROW_BAD_EMAIL, {"value": person["email"]}
    if person["linkedin_url"]:
        try:
            # The rule of the field, as on the pages and in the API (contacts.links).
            Contact._meta.get_field("linkedin_url").run_validators(person["linkedin_url"])
        except ValidationError:
            return None, ROW_BAD_URL, {"value": values.get("linkedin_url", "").strip()}
    if "kind" in values:
        kind_text = values["kind"].strip()
        person["kind"] = choice_value(kind_text, ContactKind.choices) if kind_text else None
        if kind_text and person["kind"] is None:
            choices = ", ".join(label for _, label in ContactKind.choices)
            return None, ROW_BAD_KIND, {"value": kind_text, "choices": choices}
    return person, None, {}


def _fill_blanks(person: _Person, row: dict, network: _Network, plan: ImportPlan) -> list[str]:
    """Complete an existing contact from the row; returns the labels of what changes."""
    changed = []
    url, email = row["linkedin_url"], row["email"]
    if url and not person.linkedin_url and url not in network.by_url:
        person.linkedin_url = person.url_key = person.changes["linkedin_url"] = url
        network.by_url[url] = person
        changed.append("LinkedIn URL")
    if email and not person.email and email.lower() not in network.by_email:
        person.email = person.changes["email"] = email
        network.by_email[email.lower()] = person
        changed.append("email")
    if row["company"] and person.company_id is None and "company" not in person.changes:
        company, created = network.company_for(plan, row["company"])
        person.changes["company"] = company
        person.company_key = company_name_key(row["company"])
        changed.append(f"company{' (new)' if created else ''} {row['company']}")
    for name, label in (("title", "title"), ("phone", "phone"), ("notes", "notes")):
        if row[name] and not getattr(person, name):
            setattr(person, name, row[name])
            person.changes[name] = row[name]
            changed.append(label)
    return changed


def _plan_people(plan: ImportPlan, table: Table, *, team, user, progress: Progress) -> None:
    linkedin = plan.kind == ImportJob.Kind.LINKEDIN
    columns = table.index(column_positions(plan.mapping, table.header))
    network = _Network(team)
    my_ties: dict[int, tuple[int, date | None]] = {}
    if linkedin:
        plan.me = _my_person(network, team=team, user=user)
        if plan.me.pk:
            ties = Relationship.objects.filter(
                Q(contact_a_id=plan.me.pk) | Q(contact_b_id=plan.me.pk)
            ).values_list("pk", "contact_a_id", "contact_b_id", "since")
            for pk, a, b, since in ties:
                my_ties[b if a == plan.me.pk else a] = (pk, since)
    first_row_of: dict[int, int] = {}  # id(person) → the row that claimed it
    source = "LinkedIn connections" if linkedin else "a contacts CSV"
    total = len(table.rows)
    for position, (row, cells, width) in enumerate(table.rows):
        if position % BATCH_SIZE == 0:
            progress(position, total)
        values = _row_values(plan, row, cells, width, table.header, columns)
        if values is None:
            continue
        cleaned, problem, details = _clean_person(row, values)
        if problem:
            plan.skip(row, problem, **details)
            continue
        since, notes = None, []
        if linkedin and values.get("since", "").strip():
            since = parse_date(values["since"])
            if since is None:
                notes.append(NOTE_BAD_CONNECTED_ON.format(value=shown(values["since"].strip())))
            elif not in_window(since):
                since = None
                notes.append(
                    NOTE_CONNECTED_ON_OUTSIDE_WINDOW.format(value=shown(values["since"].strip()))
                )
        name_key = person_name_key(
            cleaned["first_name"], cleaned["last_name"], company_name_key(cleaned["company"])
        )
        person, how, candidates = network.match(
            url=cleaned["linkedin_url"], email=cleaned["email"], name_key=name_key
        )
        if person is None and candidates > 1:
            plan.skip(
                row,
                ROW_AMBIGUOUS,
                count=candidates,
                name=f"{cleaned['first_name']} {cleaned['last_name']}".strip(),
                company=cleaned["company"] or "no company",
            )
            continue
        if person is not None and id(person) in first_row_of:
            plan.skip(
                row, ROW_DUPLICATE, first=first_row_of[id(person)], how=f"same {MATCHED_BY[how]}"
            )
            continue
        if person is not None and (
            person is plan.me or (person.user_id and person.user_id == user.pk)
        ):
            plan.skip(row, ROW_IS_YOU)
            continue
        if person is None:
            person = _plan_new_person(plan, network, cleaned, team=team, user=user)
            first_row_of[id(person)] = row
            parts = [f"new contact {person.full_name}"]
            if person.new.company is not None and person.new.company.pk is None:
                parts.append(f"new company {person.new.company.name}")
            if linkedin:
                plan.new_relationships.append((plan.me, person, _linkedin_tie(since, user)))
                parts.append(_connected_text(since))
                plan.activities.append(
                    (person, "created", f"Imported from {_name(user)}'s LinkedIn connections")
                )
            else:
                plan.activities.append((person, "created", f"Added to Warmpath from {source}"))
            plan.add(row, CREATE, _sentence(parts + notes), GROUP_NEW_CONTACT)
            continue
        first_row_of[id(person)] = row
        changed = _fill_blanks(person, cleaned, network, plan)
        parts = [f"matches {person.full_name} by {MATCHED_BY[how]}"]
        if changed:
            parts.append("adds " + ", ".join(changed))
            if person.pk:
                plan.changed_people.append(person)
        tie_changed = False
        if linkedin:
            tie = my_ties.get(person.pk) if person.pk else None
            if tie is None:
                plan.new_relationships.append((plan.me, person, _linkedin_tie(since, user)))
                plan.activities.append(
                    (person, "relationship", f"Connected with {_name(user)} on LinkedIn (imported)")
                )
                parts.append(_connected_text(since))
                tie_changed = True
            elif tie[1] is None and since is not None:
                plan.changed_relationships.append((tie[0], {"since": since}))
                parts.append(f"connected since {_format_date(since)} (date added)")
                tie_changed = True
        if changed and person.pk and not tie_changed:
            plan.activities.append(
                (person, "updated", f"Updated {', '.join(changed)} from {source}")
            )
        if not changed and not tie_changed:
            plan.skip(row, ROW_UP_TO_DATE, name=person.full_name, how=f"same {MATCHED_BY[how]}")
            continue
        plan.add(row, UPDATE, _sentence(parts + notes), GROUP_MATCHED.format(how=MATCHED_BY[how]))
    progress(total, total)


def _my_person(network: _Network, *, team, user) -> _Person:
    """The importing rep's own contact record (one end of every LinkedIn connection): the
    existing one, or as contact_for_user_ensure will create it at commit."""
    mine = Contact.objects.filter(user=user).values_list("pk", "team_id").first()
    if mine is not None:
        pk, team_id = mine
        if team_id != team.pk:
            raise FileRefused(OWN_CONTACT_IN_OTHER_TEAM)
        if pk in network.by_pk:
            return network.by_pk[pk]
    email = user.email if user.email and user.email.lower() not in network.by_email else ""
    first_name, last_name = contact_names_of_user(user)
    person = _Person(
        pk=None,
        first_name=first_name,
        last_name=last_name,
        email=email,
        linkedin_url="",
        company_key="",
        company_id=None,
        user_id=user.pk,
    )
    network.add(person)
    return person


def _plan_new_person(plan: ImportPlan, network: _Network, row: dict, *, team, user) -> _Person:
    company, _ = network.company_for(plan, row["company"])
    contact = Contact(
        team=team,
        owner=user,
        first_name=row["first_name"],
        last_name=row["last_name"],
        email=row["email"],
        linkedin_url=row["linkedin_url"],
        title=row["title"],
        phone=row["phone"],
        notes=row["notes"],
        kind=row.get("kind") or CONTACTS_DEFAULT_KIND,
    )
    if isinstance(company, Company):
        contact.company = company
    elif company is not None:
        contact.company_id = company
    person = _Person(
        pk=None,
        first_name=contact.first_name,
        last_name=contact.last_name,
        email=contact.email,
        linkedin_url=contact.linkedin_url,
        url_key=contact.linkedin_url,  # normalized by _clean_person
        company_key=company_name_key(row["company"]),
        company_id=None,
        title=contact.title,
        phone=contact.phone,
        notes=contact.notes,
        new=contact,
    )
    network.add(person)
    plan.new_people.append(person)
    return person


def _linkedin_tie(since: date | None, user) -> dict:
    return {
        "kind": RelationshipKind.OTHER,
        "strength": LINKEDIN_STRENGTH,
        "since": since,
        "source": RelationshipSource.LINKEDIN,
        "created_by": user,
    }


def _name(user) -> str:
    return user.get_full_name() or user.username


def _format_date(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _connected_text(since: date | None) -> str:
    return f"connected with you since {_format_date(since)}" if since else "connected with you"


def _sentence(parts: list[str]) -> str:
    text = "; ".join(part for part in parts if part)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _row_values(
    plan: ImportPlan,
    row: int,
    cells: tuple[str, ...],
    width: int,
    header: list[str],
    columns: dict[str, int],
) -> dict[str, str] | None:
    """The row's values by target (`cells` are the kept ones: Table.index); a row with
    more non-blank values than columns (`width`, its number of cells, is then not 0) is
    skipped (a comma outside quotes shifts every value after it)."""
    if width:
        plan.skip(row, ROW_TOO_MANY_VALUES, found=width, expected=len(header))
        return None
    return {target: cells[place].strip() for target, place in columns.items()}


# --- Planning relationships (relationships CSV) -----------------------------------------------


def _plan_relationships(plan: ImportPlan, table: Table, *, team, user, progress: Progress) -> None:
    columns = table.index(column_positions(plan.mapping, table.header))
    network = _Network(team)
    total = len(table.rows)
    found: list[tuple[int, _Person, _Person, dict]] = []
    first_row_of_pair: dict[tuple[int, int], int] = {}
    kind_choices = ", ".join(label for _, label in RelationshipKind.choices)
    for position, (row, cells, width) in enumerate(table.rows):
        if position % BATCH_SIZE == 0:
            progress(position // 2, total)
        values = _row_values(plan, row, cells, width, table.header, columns)
        if values is None:
            continue
        people = []
        for side, label in (("a", "first"), ("b", "second")):
            person, problem, details = _resolve(network, values, side)
            if problem:
                plan.skip(row, problem, **(details or {"side": label}))
                break
            people.append(person)
        if len(people) < 2:
            continue
        a, b = people
        if a is b:
            plan.skip(row, ROW_SAME_PERSON, name=a.full_name)
            continue
        fields: dict = {}
        if values.get("kind"):
            fields["kind"] = choice_value(values["kind"], RelationshipKind.choices)
            if fields["kind"] is None:
                plan.skip(row, ROW_BAD_KIND, value=values["kind"], choices=kind_choices)
                continue
        if values.get("strength"):
            try:
                fields["strength"] = int(values["strength"])
            except ValueError:
                fields["strength"] = 0
            if not 1 <= fields["strength"] <= 5:
                plan.skip(row, ROW_BAD_STRENGTH, value=values["strength"])
                continue
        if values.get("since"):
            fields["since"] = parse_date(values["since"])
            if fields["since"] is None:
                plan.skip(row, ROW_BAD_DATE, value=values["since"])
                continue
            if not in_window(fields["since"]):
                plan.skip(row, ROW_DATE_OUTSIDE_WINDOW, column="Since", value=values["since"])
                continue
        if values.get("notes"):
            limit = field_limit("notes", Relationship)
            if len(values["notes"]) > limit:
                plan.skip(row, ROW_TOO_LONG, column="Notes", limit=limit)
                continue
            fields["notes"] = values["notes"]
        pair = tuple(sorted((a.pk, b.pk)))
        if pair in first_row_of_pair:
            plan.skip(row, ROW_DUPLICATE_PAIR, first=first_row_of_pair[pair])
            continue
        first_row_of_pair[pair] = row
        found.append((row, a, b, fields))
    existing = _existing_pairs(list(first_row_of_pair))
    for position, (row, a, b, fields) in enumerate(found):
        if position % BATCH_SIZE == 0:
            progress((total + position) // 2, total)
        pair = tuple(sorted((a.pk, b.pk)))
        if pair not in existing:
            tie = {
                "kind": fields.get("kind", RelationshipKind.OTHER),
                "strength": fields.get("strength", RELATIONSHIP_DEFAULT_STRENGTH),
                "since": fields.get("since"),
                "notes": fields.get("notes", ""),
                "source": RelationshipSource.IMPORT,
                "created_by": user,
            }
            plan.new_relationships.append((a, b, tie))
            kind_label = RelationshipKind(tie["kind"]).label.lower()
            for person, other in ((a, b), (b, a)):
                plan.activities.append(
                    (
                        person,
                        "relationship",
                        f"Knows {other.full_name} ({kind_label}, strength {tie['strength']})",
                    )
                )
            plan.add(
                row,
                CREATE,
                f"{a.full_name} and {b.full_name}: {kind_label}, strength {tie['strength']}.",
                GROUP_NEW_RELATIONSHIP,
            )
            continue
        pk, current = existing[pair]
        changes = {name: value for name, value in fields.items() if current[name] != value}
        if not changes:
            plan.skip(row, ROW_PAIR_UP_TO_DATE, a=a.full_name, b=b.full_name)
            continue
        plan.changed_relationships.append((pk, changes))
        labels = ", ".join(Relationship._meta.get_field(name).verbose_name for name in changes)
        plan.add(
            row,
            UPDATE,
            f"{a.full_name} and {b.full_name} are already linked; changes {labels}.",
            GROUP_RELATIONSHIP_UPDATED,
        )
    progress(total, total)


def _resolve(network: _Network, values: dict, side: str):
    """The contact one side of a relationships row names, by LinkedIn URL or email."""
    ref = values.get(f"{side}_ref", "")
    url = values.get(f"{side}_url", "") or (ref if ref and "@" not in ref else "")
    email = values.get(f"{side}_email", "") or (ref if "@" in ref else "")
    if url:
        person = network.by_url.get(normalize_linkedin_url(url))
        if person is not None:
            return person, None, None
        if not email:
            return None, ROW_NOT_FOUND, {"what": "LinkedIn URL", "value": url}
    if email:
        person = network.by_email.get(email.lower())
        if person is not None:
            return person, None, None
        return None, ROW_NOT_FOUND, {"what": "email", "value": email}
    return None, ROW_NO_PERSON, None


def _existing_pairs(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], tuple[int, dict]]:
    """The relationships that already exist among these (low, high) pairs; looked up by
    the low id in chunks, so no query has more parameters than a database takes."""
    wanted = set(pairs)
    lows = sorted({low for low, _ in pairs})
    existing = {}
    for start in range(0, len(lows), 500):
        rows = Relationship.objects.filter(contact_a_id__in=lows[start : start + 500]).values_list(
            "pk", "contact_a_id", "contact_b_id", "kind", "strength", "since", "notes"
        )
        for pk, a, b, kind, strength, since, notes in rows:
            if (a, b) in wanted:
                existing[(a, b)] = (
                    pk,
                    {"kind": kind, "strength": strength, "since": since, "notes": notes},
                )
    return existing


# --- The preview ---------------------------------------------------------------------------------


def _no_progress(done: int, total: int) -> None:
    return None


def import_preview(
    *,
    team,
    user,
    kind: str,
    text: str,
    mapping: dict[str, str] | None = None,
    progress: Progress = _no_progress,
) -> ImportPlan:
    """What importing this text would do, row by row. Writes nothing. Raises FileRefused
    when the file cannot be imported at all; a mapping that cannot be imported yet (the
    contacts CSV) comes back as plan.mapping_errors."""

    def imported(header: list[str]) -> Iterable[int]:
        chosen = mapping_guess(header, kind) if mapping is None else mapping
        return column_positions(chosen, header).values()

    table = read_table(text, kind=kind, keep=imported, sample=PREVIEW_ROWS)
    if mapping is None:
        mapping = mapping_guess(table.header, kind)
    plan = ImportPlan(kind=kind, header=table.header, header_row=table.header_row, mapping=mapping)
    check_required_columns(kind=kind, table=table, mapping=mapping)
    plan.mapping_errors = mapping_errors(kind=kind, header=table.header, mapping=mapping)
    if not plan.ready:
        return plan
    if kind == ImportJob.Kind.RELATIONSHIPS:
        _plan_relationships(plan, table, team=team, user=user, progress=progress)
    else:
        _plan_people(plan, table, team=team, user=user, progress=progress)
    # Every data row has exactly one plan, so the first plans are the first rows.
    plan.rows.sort(key=lambda row_plan: row_plan.row)
    first_rows = dict(table.sample)
    for row_plan in plan.rows[:PREVIEW_ROWS]:
        row_plan.cells = first_rows.get(row_plan.row, [])
    return plan
