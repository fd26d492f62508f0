"""Reading an uploaded file: from bytes to text (refusing, with a message the user can act
on, what is not a CSV file we can read), to a header and rows, to which column feeds which
field; and the values in the cells (dates as LinkedIn writes them, choices by value or
label). Nothing here touches the database."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.template.defaultfilters import filesizeformat

from contacts.models import (
    Contact,
    ImportJob,
)

# LinkedIn puts a "Notes:" paragraph before the header; look this far for it.
HEADER_SEARCH_ROWS = 30

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
FILE_MIXED_ENCODING = (
    "Row {row}: a character that is not UTF-8, in a file that is UTF-8 before it: part of "
    "the file was saved in another encoding. Save the whole file as “CSV UTF-8” and upload "
    "it again."
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
MAPPING_NO_NAME = "Choose a column for First name or Full name: every contact needs a name."
MAPPING_TWICE = "{field} is chosen for more than one column ({columns}); choose it once."


class FileRefused(ValidationError):
    """A file (or a mapping) that cannot be imported at all; the message says why."""


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
            row = data[: utf8_error.start].count(b"\n") + 1
            if any(byte >= 0x80 for byte in data[: utf8_error.start]):
                # Accented letters read as UTF-8 before this point: a UTF-8 file with a
                # piece in another encoding. Read as Windows-1252, every one of those
                # letters would be imported garbled ("Müller" as "MÃ¼ller").
                raise FileRefused(FILE_MIXED_ENCODING.format(row=row)) from None
            try:
                text, encoding = data.decode("cp1252"), "Windows-1252"
            except UnicodeDecodeError:
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


def column_positions(mapping: dict[str, str], header: list[str]) -> dict[str, int]:
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
    columns = column_positions(mapping, header)
    needs_name = kind == ImportJob.Kind.CONTACTS
    if needs_name and "first_name" not in columns and "full_name" not in columns:
        errors.append(MAPPING_NO_NAME)
    return errors


def check_required_columns(*, kind: str, table: Table, mapping: dict[str, str]) -> None:
    columns = column_positions(mapping, table.header)
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
url_validator = URLValidator(schemes=["http", "https"])


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


def choice_value(value: str, choices) -> str | None:
    """A choice by its value or its label, ignoring case: 'Former colleague' and
    'former_colleague' alike."""
    key = _header_key(value)
    for choice_value, label in choices:
        if key in (_header_key(choice_value), _header_key(label)):
            return choice_value
    return None


def field_limit(field_name: str, model=Contact) -> int:
    return model._meta.get_field(field_name).max_length


def person_name_key(first: str, last: str, company: str) -> tuple[str, str, str]:
    return (" ".join(first.lower().split()), " ".join(last.lower().split()), company.lower())


def company_name_key(name: str) -> str:
    return " ".join(name.split()).lower()
