"""CSV imports into the team's network: LinkedIn connections, contacts, relationships.

The same three steps for every kind of file:

1. ``import_job_create`` reads the upload (size, zip/binary/HTML, encoding: UTF-8, UTF-8
   with BOM, Windows-1252), finds the header (after LinkedIn's ``Notes:`` preamble if
   any), checks the columns and the number of rows, and stores the text on an ImportJob.
   A file it refuses leaves nothing behind and says why (the FILE_* messages).
2. ``import_preview`` plans every row against the team's data as it is now — create,
   update or skip, and why — and writes nothing.
3. ``import_commit`` plans again (the data may have changed since the preview) and
   applies the plan in one transaction with bulk operations: a failure anywhere writes
   nothing, and 20,000 rows take seconds, not minutes.

The rules are those of contacts.services, applied in bulk: one contact per email and per
LinkedIn URL in a team (an existing contact is matched by LinkedIn URL, then email, then
name and company — never created twice); one company per name, case-insensitively;
relationships once per pair, lower id first, never with oneself, inside the team.
An existing contact is only completed (blank email, LinkedIn URL, company, title, phone,
notes filled in), never overwritten: what the team typed wins over a file.
Importing the same file twice creates nothing the second time.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts.visibility import visible_owned
from contacts.models import (
    Activity,
    Company,
    Contact,
    ContactKind,
    ImportJob,
    Relationship,
    RelationshipKind,
    RelationshipSource,
)
from contacts.services import (
    RELATIONSHIP_WITH_ITSELF,
    contact_for_user_ensure,
    normalize_linkedin_url,
)

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

# Rows shown on the preview, with their planned outcome.
PREVIEW_ROWS = 20
# Problems listed by row on the preview and the result (the totals count them all).
LISTED_ISSUES = 200
# LinkedIn puts a "Notes:" paragraph before the header; look this far for it.
HEADER_SEARCH_ROWS = 30
# Files up to this many rows are imported while the user waits; bigger ones by a worker.
INLINE_COMMIT_MAX_ROWS = 1000
BATCH_SIZE = 1000

LINKEDIN_STRENGTH = 2  # a LinkedIn connection: they know each other, not more yet
RELATIONSHIP_DEFAULT_STRENGTH = 3
CONTACTS_DEFAULT_KIND = ContactKind.OTHER  # an imported person is not a prospect or client yet

# --- What the user reads when a file is refused ---------------------------------------------

FILE_EMPTY = "The file is empty. Export it again and upload the .csv file."
FILE_TOO_LARGE = (
    "The file is larger than {limit}, the most one import takes. Split it into smaller files."
)
FILE_TOO_MANY_ROWS = (
    "The file has more than {limit:,} rows, the most one import takes. Split it into smaller files."
)
FILE_IS_ZIP = (
    "This is a zip archive (an Excel .xlsx workbook is one too), not a CSV file. Unzip it "
    "and upload the .csv inside, or in Excel use File › Save As › “CSV UTF-8”."
)
FILE_IS_EXCEL = (
    "This is an Excel workbook, not a CSV file. In Excel use File › Save As › “CSV UTF-8” "
    "and upload that file."
)
FILE_IS_BINARY = (
    "This is not a text file (it contains binary data), so it is not a CSV file. "
    "Upload the .csv file itself."
)
FILE_NOT_CSV = (
    "This looks like a web page or a JSON document, not a CSV file. Upload the .csv file itself."
)
FILE_BAD_ENCODING = (
    "Row {row}: a character that cannot be read. The file is neither UTF-8 nor Windows-1252 "
    "text; save it as “CSV UTF-8” and upload it again."
)
FILE_UNREADABLE_ROW = (
    "Row {row}: this line cannot be read as CSV ({detail}). Check for a quote that is "
    "opened and never closed."
)
FILE_NOT_LINKEDIN = (
    "This does not look like LinkedIn's Connections.csv: none of the first {rows} rows is a "
    "header with First Name and Last Name. Upload Connections.csv from LinkedIn's "
    "“Get a copy of your data”."
)
FILE_MISSING_COLUMNS = "Row {row}: the header has no {columns} column. Expected: {expected}."
FILE_NO_ROWS = "The file has a header but no rows to import."
OWN_CONTACT_IN_OTHER_TEAM = (
    "Your own contact record belongs to another team; switch to that team to import your "
    "LinkedIn connections."
)
MAPPING_NO_NAME = "Choose a column for First name or Full name: every contact needs a name."
MAPPING_TWICE = "{field} is chosen for more than one column ({columns}); choose it once."
COMMIT_CONFLICT = (
    "Someone changed the same contacts while this import ran, so nothing was imported. "
    "Open the preview again and import once more."
)
COMMIT_FAILED = (
    "The import stopped on an unexpected error and nothing was imported. Try again; if it "
    "happens again, tell your administrator."
)
ALREADY_STARTED = "This import has already been started."


class FileRefused(ValidationError):
    """A file (or a mapping) that cannot be imported at all; the message says why."""


# --- What the user reads about one row -------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    group: str  # the line of the totals this row counts in
    message: str  # "Row {row}: …", formatted for the row


ROW_NO_NAME = Reason("No name", "Row {row}: no first or last name; a contact needs a name.")
ROW_BAD_EMAIL = Reason("Email not valid", "Row {row}: “{value}” is not an email address.")
ROW_BAD_URL = Reason("LinkedIn URL not valid", "Row {row}: “{value}” is not a web address.")
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

GROUP_NEW_CONTACT = "New contact"
GROUP_MATCHED = "Matches an existing contact by {how}"
GROUP_NEW_RELATIONSHIP = "New relationship"
GROUP_RELATIONSHIP_UPDATED = "Existing relationship updated"

MATCHED_BY = {"url": "LinkedIn URL", "email": "email", "name": "name and company"}


def import_limits() -> tuple[int, int]:
    """(max bytes, max rows), read when used so that tests and admins can change them."""
    return settings.WARMPATH_IMPORT_MAX_BYTES, settings.WARMPATH_IMPORT_MAX_ROWS


# --- Reading the file ------------------------------------------------------------------------


@dataclass(frozen=True)
class DecodedFile:
    text: str
    encoding: str


def read_upload(data: bytes, *, max_bytes: int | None = None) -> DecodedFile:
    """The upload as text, or FileRefused with a message the user can act on."""
    max_bytes = max_bytes or import_limits()[0]
    if len(data) > max_bytes:
        raise FileRefused(FILE_TOO_LARGE.format(limit=filesizeformat(max_bytes)))
    if not data.strip():
        raise FileRefused(FILE_EMPTY)
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise FileRefused(FILE_IS_ZIP)
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # the old .xls (OLE) format
        raise FileRefused(FILE_IS_EXCEL)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text": readable, and a NUL byte there is not binary data.
        try:
            text, encoding = data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise FileRefused(FILE_IS_BINARY) from None
    else:
        if b"\x00" in data or data.startswith(b"%PDF"):
            raise FileRefused(FILE_IS_BINARY)
        try:
            text = data.decode("utf-8-sig")
            encoding = "UTF-8 with BOM" if data.startswith(codecs.BOM_UTF8) else "UTF-8"
        except UnicodeDecodeError as utf8_error:
            try:
                text, encoding = data.decode("cp1252"), "Windows-1252"
            except UnicodeDecodeError:
                row = data[: utf8_error.start].count(b"\n") + 1
                raise FileRefused(FILE_BAD_ENCODING.format(row=row)) from None
    text = text.lstrip("\ufeff").rstrip("\x1a")  # a BOM inside UTF-16; DOS end-of-file
    if text.lstrip().startswith(("<", "{")):
        raise FileRefused(FILE_NOT_CSV)
    if not text.strip():
        raise FileRefused(FILE_EMPTY)
    return DecodedFile(text=text, encoding=encoding)


def _header_key(cell: str) -> str:
    """'Email Address' / ' email_address ' / 'EMAIL-ADDRESS' → 'email address'."""
    return re.sub(r"[^a-z0-9]+", " ", cell.lower()).strip()


@dataclass
class Table:
    header: list[str]
    header_row: int
    rows: list[tuple[int, list[str]]]  # (row number as a spreadsheet shows it, cells)
    delimiter: str


def _delimiter(text: str) -> str:
    """Comma, semicolon (Excel in much of Europe) or tab, as the first line uses them."""
    first_line = next((line for line in io.StringIO(text) if line.strip()), "")
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _records(text: str, delimiter: str) -> Iterable[tuple[int, list[str]]]:
    """(row number, cells) for each non-blank record; a record spread over several lines
    (a quoted line break) is numbered by its first line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        row_number = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise FileRefused(FILE_UNREADABLE_ROW.format(row=row_number, detail=error)) from None
        if any(cell.strip() for cell in cells):
            yield row_number, cells


def _find_linkedin_header(records) -> tuple[int, list[str]]:
    for position, (row_number, cells) in enumerate(records):
        keys = {_header_key(cell) for cell in cells}
        if {"first name", "last name"} <= keys:
            return row_number, cells
        if position + 1 >= HEADER_SEARCH_ROWS:
            break
    raise FileRefused(FILE_NOT_LINKEDIN.format(rows=HEADER_SEARCH_ROWS))


def read_table(text: str, *, kind: str, max_rows: int | None = None) -> Table:
    """The header and the data rows, or FileRefused (no header, no rows, too many rows,
    a line that is not CSV). Columns are checked per kind by the column resolvers."""
    max_rows = max_rows or import_limits()[1]
    delimiter = "," if kind == ImportJob.Kind.LINKEDIN else _delimiter(text)
    records = iter(_records(text, delimiter))
    if kind == ImportJob.Kind.LINKEDIN:
        header_row, header = _find_linkedin_header(records)
    else:
        try:
            header_row, header = next(records)
        except StopIteration:
            raise FileRefused(FILE_EMPTY) from None
    header = [cell.strip() for cell in header]
    rows = []
    for row_number, cells in records:
        if len(rows) >= max_rows:
            raise FileRefused(FILE_TOO_MANY_ROWS.format(limit=max_rows))
        rows.append((row_number, cells))
    if not rows:
        raise FileRefused(FILE_NO_ROWS)
    return Table(header=header, header_row=header_row, rows=rows, delimiter=delimiter)


# --- Columns: which column feeds which field -------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    aliases: tuple[str, ...]


LINKEDIN_TARGETS = (
    Target("first_name", "First Name", ("first name",)),
    Target("last_name", "Last Name", ("last name",)),
    Target("linkedin_url", "URL", ("url", "profile url")),
    Target("email", "Email Address", ("email address", "email")),
    Target("company", "Company", ("company",)),
    Target("title", "Position", ("position",)),
    Target("since", "Connected On", ("connected on",)),
)
LINKEDIN_REQUIRED = ("first_name", "last_name", "company", "since")

CONTACT_TARGETS = (
    Target("full_name", "Full name", ("name", "full name", "contact", "contact name")),
    Target("first_name", "First name", ("first name", "firstname", "given name", "first")),
    Target("last_name", "Last name", ("last name", "lastname", "surname", "family name", "last")),
    Target("email", "Email", ("email", "e mail", "email address", "mail", "work email")),
    Target("phone", "Phone", ("phone", "phone number", "telephone", "mobile", "tel")),
    Target(
        "company",
        "Company",
        ("company", "company name", "organization", "organisation", "account", "employer"),
    ),
    Target("title", "Title", ("title", "job title", "position", "role")),
    Target("kind", "Kind", ("kind", "type", "contact type", "contact kind")),
    Target(
        "linkedin_url",
        "LinkedIn URL",
        ("linkedin", "linkedin url", "linkedin profile", "profile url", "url"),
    ),
    Target("notes", "Notes", ("notes", "note", "comments", "comment")),
)


def _side_targets(side: str) -> tuple[Target, ...]:
    """Columns naming one person of a relationship: "Contact A" holding an email or a
    LinkedIn URL, or "Contact A email" / "Contact A LinkedIn URL" (as exported)."""
    letter = side.upper()
    return (
        Target(f"{side}_ref", f"Contact {letter}", (f"contact {side}", f"person {side}", side)),
        Target(
            f"{side}_email",
            f"Contact {letter} email",
            (f"contact {side} email", f"person {side} email", f"{side} email", f"email {side}"),
        ),
        Target(
            f"{side}_url",
            f"Contact {letter} LinkedIn URL",
            (
                f"contact {side} linkedin url",
                f"contact {side} url",
                f"person {side} linkedin url",
                f"{side} linkedin url",
                f"{side} url",
            ),
        ),
    )


RELATIONSHIP_TARGETS = (
    *_side_targets("a"),
    *_side_targets("b"),
    Target("kind", "Kind", ("kind", "relationship", "relationship kind", "type")),
    Target("strength", "Strength", ("strength",)),
    Target("since", "Since", ("since", "known since")),
    Target("notes", "Notes", ("notes", "note")),
)
RELATIONSHIPS_EXPECTED = "Contact A, Contact B (each an email or a LinkedIn URL), Kind, Strength"

TARGETS = {
    ImportJob.Kind.LINKEDIN: LINKEDIN_TARGETS,
    ImportJob.Kind.CONTACTS: CONTACT_TARGETS,
    ImportJob.Kind.RELATIONSHIPS: RELATIONSHIP_TARGETS,
}


def mapping_guess(header: list[str], kind: str) -> dict[str, str]:
    """Column position (as text) → target name, from the header's words; each target
    once, the leftmost column winning."""
    by_alias = {alias: target.name for target in TARGETS[kind] for alias in target.aliases}
    mapping: dict[str, str] = {}
    for position, cell in enumerate(header):
        target = by_alias.get(_header_key(cell))
        if target and target not in mapping.values():
            mapping[str(position)] = target
    return mapping


def _columns(mapping: dict[str, str], header: list[str]) -> dict[str, int]:
    return {
        target: int(position)
        for position, target in mapping.items()
        if target and position.isdigit() and int(position) < len(header)
    }


def mapping_errors(*, kind: str, header: list[str], mapping: dict[str, str]) -> list[str]:
    """Why these columns cannot be imported, if they cannot (empty list: they can)."""
    labels = {target.name: target.label for target in TARGETS[kind]}
    errors = []
    chosen = Counter(target for target in mapping.values() if target)
    for target, count in chosen.items():
        if count > 1 and target in labels:
            columns = ", ".join(
                header[int(position)]
                for position, name in mapping.items()
                if name == target and position.isdigit() and int(position) < len(header)
            )
            errors.append(MAPPING_TWICE.format(field=labels[target], columns=columns))
    columns = _columns(mapping, header)
    needs_name = kind == ImportJob.Kind.CONTACTS
    if needs_name and "first_name" not in columns and "full_name" not in columns:
        errors.append(MAPPING_NO_NAME)
    return errors


def _check_required_columns(*, kind: str, table: Table, mapping: dict[str, str]) -> None:
    columns = _columns(mapping, table.header)
    missing: list[str] = []
    expected = ""
    if kind == ImportJob.Kind.LINKEDIN:
        labels = {target.name: target.label for target in LINKEDIN_TARGETS}
        missing = [labels[name] for name in LINKEDIN_REQUIRED if name not in columns]
        expected = ", ".join(target.label for target in LINKEDIN_TARGETS)
    elif kind == ImportJob.Kind.RELATIONSHIPS:
        for side in ("a", "b"):
            if not {f"{side}_ref", f"{side}_email", f"{side}_url"} & set(columns):
                missing.append(f"Contact {side.upper()}")
        expected = RELATIONSHIPS_EXPECTED
    if missing:
        raise FileRefused(
            FILE_MISSING_COLUMNS.format(
                row=table.header_row, columns=" or ".join(missing), expected=expected
            )
        )


# --- Values -----------------------------------------------------------------------------------

DATE_FORMATS = (
    "%d %b %Y",
    "%d-%b-%y",
    "%d-%b-%Y",
    "%d %B %Y",
    "%Y-%m-%d",
    "%b %d, %Y",
    "%B %d, %Y",
)
_url_validator = URLValidator(schemes=["http", "https"])


def parse_date(value: str) -> date | None:
    """'12 Mar 2024', '12-Mar-24' (LinkedIn's exports), '2024-03-12', 'Mar 12, 2024';
    None when the text is none of those."""
    text = " ".join(value.replace("Sept", "Sep").split())
    for date_format in DATE_FORMATS:
        try:
            return datetime.strptime(text, date_format).date()  # a calendar date, no time zone
        except ValueError:
            continue
    return None


def _choice(value: str, choices) -> str | None:
    """A choice by its value or its label, ignoring case: 'Former colleague' and
    'former_colleague' alike."""
    key = _header_key(value)
    for choice_value, label in choices:
        if key in (_header_key(choice_value), _header_key(label)):
            return choice_value
    return None


def _limit(field_name: str, model=Contact) -> int:
    return model._meta.get_field(field_name).max_length


def _name_key(first: str, last: str, company: str) -> tuple[str, str, str]:
    return (" ".join(first.lower().split()), " ".join(last.lower().split()), company.lower())


def _company_key(name: str) -> str:
    return " ".join(name.split()).lower()


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
        self.add(row, SKIP, reason.message.format(row=row, **values), reason.group)

    def columns(self) -> list[dict]:
        """The file's columns and what each feeds, for the preview."""
        labels = {target.name: target.label for target in TARGETS[self.kind]}
        return [
            {
                "position": str(position),
                "header": header or f"(column {position + 1})",
                "target": self.mapping.get(str(position), ""),
                "label": labels.get(self.mapping.get(str(position), ""), ""),
            }
            for position, header in enumerate(self.header)
        ]

    def preview_rows(self) -> list[RowPlan]:
        return self.rows[:PREVIEW_ROWS]

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
            self.companies.setdefault(_company_key(name), pk)
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
                    company_key=_company_key(company or ""),
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
        key = _name_key(person.first_name, person.last_name, person.company_key)
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
        key = _company_key(name)
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
    """The row's person, cleaned and validated; or the reason it is skipped."""
    first, last = values.get("first_name", ""), values.get("last_name", "")
    if "full_name" in values and not first and not last:
        first, _, last = values["full_name"].partition(" ")
    first, last = " ".join(first.split()), " ".join(last.split())
    if not first and not last:
        return None, ROW_NO_NAME, {}
    if not first:  # a contact's first name is required; "Prince" goes there
        first, last = last, ""
    person = {
        "first_name": first,
        "last_name": last,
        "email": values.get("email", "").strip(),
        "linkedin_url": normalize_linkedin_url(values.get("linkedin_url", "")),
        "company": " ".join(values.get("company", "").split()),
        "title": " ".join(values.get("title", "").split()),
        "phone": values.get("phone", "").strip(),
        "notes": values.get("notes", "").strip(),
    }
    limits = {
        "first_name": ("First name", _limit("first_name")),
        "last_name": ("Last name", _limit("last_name")),
        "email": ("Email", _limit("email")),
        "linkedin_url": ("LinkedIn URL", _limit("linkedin_url")),
        "company": ("Company", _limit("name", Company)),
        "title": ("Title", _limit("title")),
        "phone": ("Phone", _limit("phone")),
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
            _url_validator(person["linkedin_url"])
        except ValidationError:
            return None, ROW_BAD_URL, {"value": values.get("linkedin_url", "").strip()}
    if "kind" in values:
        kind_text = values["kind"].strip()
        person["kind"] = _choice(kind_text, ContactKind.choices) if kind_text else None
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
        person.company_key = _company_key(row["company"])
        changed.append(f"company{' (new)' if created else ''} {row['company']}")
    for name, label in (("title", "title"), ("phone", "phone"), ("notes", "notes")):
        if row[name] and not getattr(person, name):
            setattr(person, name, row[name])
            person.changes[name] = row[name]
            changed.append(label)
    return changed


def _plan_people(plan: ImportPlan, table: Table, *, team, user, progress: Progress) -> None:
    linkedin = plan.kind == ImportJob.Kind.LINKEDIN
    columns = _columns(plan.mapping, table.header)
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
    for position, (row, cells) in enumerate(table.rows):
        if position % BATCH_SIZE == 0:
            progress(position, total)
        values = _row_values(plan, row, cells, table.header, columns)
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
                notes.append(NOTE_BAD_CONNECTED_ON.format(value=values["since"].strip()))
        name_key = _name_key(
            cleaned["first_name"], cleaned["last_name"], _company_key(cleaned["company"])
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
    person = _Person(
        pk=None,
        first_name=user.first_name or user.username,
        last_name=user.last_name,
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
        company_key=_company_key(row["company"]),
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
    plan: ImportPlan, row: int, cells: list[str], header: list[str], columns: dict[str, int]
) -> dict[str, str] | None:
    """The row's cells by target; a short row is padded, a row with more non-blank values
    than columns is skipped (a comma outside quotes shifts every value after it)."""
    if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
        plan.skip(row, ROW_TOO_MANY_VALUES, found=len(cells), expected=len(header))
        return None
    return {
        target: (cells[position] if position < len(cells) else "").strip()
        for target, position in columns.items()
    }


# --- Planning relationships (relationships CSV) -----------------------------------------------


def _plan_relationships(plan: ImportPlan, table: Table, *, team, user, progress: Progress) -> None:
    columns = _columns(plan.mapping, table.header)
    network = _Network(team)
    total = len(table.rows)
    found: list[tuple[int, _Person, _Person, dict]] = []
    first_row_of_pair: dict[tuple[int, int], int] = {}
    kind_choices = ", ".join(label for _, label in RelationshipKind.choices)
    for position, (row, cells) in enumerate(table.rows):
        if position % BATCH_SIZE == 0:
            progress(position // 2, total)
        values = _row_values(plan, row, cells, table.header, columns)
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
            fields["kind"] = _choice(values["kind"], RelationshipKind.choices)
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
        if values.get("notes"):
            limit = _limit("notes", Relationship)
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


# --- Preview and commit -------------------------------------------------------------------------


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
    table = read_table(text, kind=kind)
    if mapping is None:
        mapping = mapping_guess(table.header, kind)
    plan = ImportPlan(kind=kind, header=table.header, header_row=table.header_row, mapping=mapping)
    _check_required_columns(kind=kind, table=table, mapping=mapping)
    plan.mapping_errors = mapping_errors(kind=kind, header=table.header, mapping=mapping)
    if not plan.ready:
        return plan
    if kind == ImportJob.Kind.RELATIONSHIPS:
        _plan_relationships(plan, table, team=team, user=user, progress=progress)
    else:
        _plan_people(plan, table, team=team, user=user, progress=progress)
    # Every data row has exactly one plan, so the first plans are the first rows.
    plan.rows.sort(key=lambda row_plan: row_plan.row)
    shown = dict(table.rows[:PREVIEW_ROWS])
    for row_plan in plan.rows[:PREVIEW_ROWS]:
        row_plan.cells = shown.get(row_plan.row, [])
    return plan


def _apply(plan: ImportPlan, *, team, user, file_name: str, progress: Progress) -> None:
    """Write the plan with bulk operations, in the caller's transaction."""
    # Imported here: scoring belongs to the referrals app, which depends on contacts.
    from referrals.models import IdealClientProfile
    from referrals.scoring import fit_score

    now = timezone.now()
    sizes = (
        len(plan.companies),
        len(plan.new_people),
        len(plan.changed_people),
        len(plan.new_relationships),
        len(plan.changed_relationships),
        len(plan.activities),
    )
    total, done = sum(sizes) or 1, 0

    def step(count: int) -> None:
        nonlocal done
        done += count
        progress(done, total)

    Company.objects.bulk_create(plan.companies, batch_size=BATCH_SIZE)
    step(len(plan.companies))
    if plan.me is not None and plan.me.pk is None:
        plan.me.pk = contact_for_user_ensure(user=user, team=team).pk

    # Fit scores are computed before the rows are written (the same rule as
    # referrals.services.contact_fit_scores_refresh), which needs each contact's company.
    profile = IdealClientProfile.objects.filter(team=team).first()
    changed_contacts = _load_changed_contacts(plan, now=now)
    if profile is not None:
        _attach_companies([person.new for person in plan.new_people] + changed_contacts)
    new_contacts = [person.new for person in plan.new_people]
    for contact in new_contacts + changed_contacts:
        contact.fit_score = fit_score(profile, contact)
    for start in range(0, len(new_contacts), BATCH_SIZE):
        batch = new_contacts[start : start + BATCH_SIZE]
        Contact.objects.bulk_create(batch)
        step(len(batch))
    for person in plan.new_people:
        person.pk = person.new.pk
    Contact.objects.bulk_update(
        changed_contacts,
        ["email", "linkedin_url", "company", "title", "phone", "notes", "fit_score", "updated_at"],
        batch_size=500,
    )
    step(len(changed_contacts))

    relationships = []
    for one, other, tie in plan.new_relationships:
        low, high = sorted((one.pk, other.pk))
        relationships.append(Relationship(team=team, contact_a_id=low, contact_b_id=high, **tie))
    for start in range(0, len(relationships), BATCH_SIZE):
        batch = relationships[start : start + BATCH_SIZE]
        Relationship.objects.bulk_create(batch)
        step(len(batch))
    # Grouped by the fields that change: bulk_update writes every listed field of every row.
    by_fields: dict[tuple[str, ...], list[Relationship]] = {}
    for pk, changes in plan.changed_relationships:
        by_fields.setdefault(tuple(sorted(changes)), []).append(
            Relationship(pk=pk, updated_at=now, **changes)
        )
    for names, batch in by_fields.items():
        Relationship.objects.bulk_update(batch, [*names, "updated_at"], batch_size=500)
    step(len(plan.changed_relationships))

    activities = [
        Activity(
            team=team,
            actor=user,
            contact_id=person.pk,
            verb=verb,
            description=description[:500],
            occurred_at=now,
        )
        for person, verb, description in plan.activities
    ]
    if plan.me is not None and plan.new_relationships:
        activities.append(
            Activity(
                team=team,
                actor=user,
                contact_id=plan.me.pk,
                verb="imported",
                description=(
                    f"Imported {len(plan.new_relationships):,} LinkedIn connections"
                    f" from {file_name or 'a file'}"
                )[:500],
                occurred_at=now,
            )
        )
    Activity.objects.bulk_create(activities, batch_size=BATCH_SIZE)
    step(len(plan.activities))


def _load_changed_contacts(plan: ImportPlan, *, now) -> list[Contact]:
    """The existing contacts the plan completes, loaded and changed in memory."""
    changes = {person.pk: person.changes for person in plan.changed_people}
    pks = sorted(changes)
    contacts: list[Contact] = []
    for start in range(0, len(pks), 500):
        contacts.extend(Contact.objects.filter(pk__in=pks[start : start + 500]))
    for contact in contacts:
        for name, value in changes[contact.pk].items():
            if isinstance(value, Company):
                contact.company = value
            elif name == "company":
                contact.company_id = value
            else:
                setattr(contact, name, value)
        contact.updated_at = now
    return contacts


def _attach_companies(contacts: list[Contact]) -> None:
    """Give each contact its company object, one query per 500 companies rather than one
    per contact (fit scores read the company's industry, region and size)."""
    wanted = sorted(
        {
            contact.company_id
            for contact in contacts
            if contact.company_id and not Contact.company.is_cached(contact)
        }
    )
    companies: dict[int, Company] = {}
    for start in range(0, len(wanted), 500):
        companies.update(Company.objects.in_bulk(wanted[start : start + 500]))
    for contact in contacts:
        if contact.company_id in companies and not Contact.company.is_cached(contact):
            contact.company = companies[contact.company_id]


def _set_progress(job_id: int, done: int, total: int) -> None:
    try:
        cache.set(_progress_key(job_id), (done, total), 60 * 60)
    except Exception:  # progress is a nicety: a cache outage must not fail the import
        logger.warning("Could not record the progress of import %s", job_id, exc_info=True)


def _progress_key(job_id: int) -> str:
    return f"warmpath:import:{job_id}:progress"


def import_progress(*, job: ImportJob) -> tuple[int, int]:
    """(done, total) of a running import, as its worker last reported it."""
    if job.is_finished:
        return job.progress_total, job.progress_total
    try:
        value = cache.get(_progress_key(job.pk))
    except Exception:  # a cache outage shows no progress rather than an error page
        value = None
    return tuple(value) if value else (job.progress_done, job.progress_total or 1)


def import_commit(*, job: ImportJob) -> dict:
    """Import the job's file, all or nothing, and return what was done (the preview's
    summary, now true). Refusals (FileRefused) and unexpected failures are recorded on the
    job as FAILED, with nothing else written, and raised. Running it twice imports once."""
    try:
        with transaction.atomic():
            locked = (
                ImportJob.objects.select_for_update().select_related("team", "owner").get(pk=job.pk)
            )
            if locked.status == ImportJob.Status.DONE:
                return locked.result
            half = max(locked.row_count, 1)

            def planning(done: int, total: int) -> None:
                _set_progress(job.pk, done * half // max(total, 1), 2 * half)

            def saving(done: int, total: int) -> None:
                _set_progress(job.pk, half + done * half // max(total, 1), 2 * half)

            plan = import_preview(
                team=locked.team,
                user=locked.owner,
                kind=locked.kind,
                text=locked.content,
                mapping=locked.mapping,
                progress=planning,
            )
            if not plan.ready:
                raise FileRefused(plan.mapping_errors)
            try:
                with transaction.atomic():
                    _apply(
                        plan,
                        team=locked.team,
                        user=locked.owner,
                        file_name=locked.file_name,
                        progress=saving,
                    )
            except IntegrityError:
                logger.warning("Import %s lost a race with another write", job.pk, exc_info=True)
                raise FileRefused(COMMIT_CONFLICT) from None
            result = plan.summary()
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJob.Status.DONE,
                result=result,
                content="",
                error="",
                progress_done=2 * half,
                progress_total=2 * half,
                finished_at=timezone.now(),
            )
    except FileRefused as refusal:
        _fail(job, " ".join(refusal.messages))
        raise
    except Exception:
        logger.exception("Import %s failed", job.pk)
        _fail(job, COMMIT_FAILED)
        raise
    job.refresh_from_db()
    return result


def _fail(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED, error=message, finished_at=timezone.now()
    )


# --- Reads -------------------------------------------------------------------------------------


def import_jobs_for_user(*, user, with_content: bool = False) -> QuerySet[ImportJob]:
    """The import jobs the user may see: a rep their own, a manager their team's. Without
    the file's text (up to the size limit) unless asked for."""
    jobs = visible_owned(ImportJob.objects.all(), user).select_related("owner", "team")
    return jobs if with_content else jobs.defer("content")


# --- The job's life -----------------------------------------------------------------------------


def import_job_create(*, team, owner, kind: str, file_name: str, data: bytes) -> ImportJob:
    """Read and check an upload and keep it for its preview. Raises FileRefused (nothing
    stored) for a file that cannot be imported whatever the mapping."""
    decoded = read_upload(data)
    table = read_table(decoded.text, kind=kind)
    if kind != ImportJob.Kind.CONTACTS:
        _check_required_columns(kind=kind, table=table, mapping=mapping_guess(table.header, kind))
    return ImportJob.objects.create(
        team=team,
        owner=owner,
        kind=kind,
        file_name=file_name[:255],
        encoding=decoded.encoding,
        content=decoded.text,
        row_count=len(table.rows),
        mapping=mapping_guess(table.header, kind),
    )


RESTARTABLE = (ImportJob.Status.PREVIEW, ImportJob.Status.QUEUED, ImportJob.Status.FAILED)


def import_job_set_mapping(*, job: ImportJob, mapping: dict[str, str]) -> ImportJob:
    if job.status not in (ImportJob.Status.PREVIEW, ImportJob.Status.FAILED):
        raise FileRefused(ALREADY_STARTED)
    job.mapping = {position: target for position, target in mapping.items() if target}
    job.save(update_fields=["mapping"])
    return job


def import_job_start(*, job: ImportJob) -> bool:
    """Start the import: at once for a small file (True when done), by a worker for a
    large one (False; the job is QUEUED and its page shows the progress). A job still
    QUEUED (the broker was down) or FAILED (nothing was written) may be started again."""
    claimed = ImportJob.objects.filter(pk=job.pk, status__in=RESTARTABLE).update(
        status=ImportJob.Status.QUEUED, started_at=timezone.now()
    )
    if not claimed:
        raise FileRefused(ALREADY_STARTED)
    if job.row_count <= INLINE_COMMIT_MAX_ROWS:
        import_commit(job=job)
        return True
    from contacts.tasks import import_job_run

    transaction.on_commit(lambda: _enqueue(import_job_run, job.pk))
    job.refresh_from_db()
    return False


def _enqueue(task, job_id: int) -> None:
    try:
        task.delay(job_id)
    except Exception:  # the broker is down: the job stays QUEUED and can be started again
        logger.exception("Could not queue import %s", job_id)


def import_job_run(*, job_id: int) -> None:
    """The worker's part: mark the job running (so its page says so), then commit."""
    updated = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).update(status=ImportJob.Status.RUNNING)
    if not updated:
        return  # done already (a redelivered message), or gone
    job = ImportJob.objects.get(pk=job_id)
    try:
        import_commit(job=job)
    except FileRefused:
        return  # recorded on the job for its owner to read; nothing to retry
