"""Reading an uploaded file: from bytes to text (refusing, with a message the user can act
on, what is not a CSV file we can read), to a header and rows, to which column feeds which
field; and the values in the cells (dates as LinkedIn writes them, choices by value or
label). Nothing here touches the database.

Whatever the file, the cost of reading it is bounded by the limits (import_limits): the
bytes are decoded first, whatever the encoding, then one validation runs on the text
(binary data, control characters, then its shape: lines and row length, measured at the
speed of str methods) before the CSV parser sees it; the parser's records are checked for
their columns and length as they come, before anything else is done with them."""

from __future__ import annotations

import codecs
import csv
import io
import operator
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
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
FILE_TOO_MANY_LINES = (
    "The file has more than {limit:,} lines (blank lines and the lines inside quoted cells "
    "count too), the most one import takes. Remove the blank lines or split it into smaller files."
)
FILE_TOO_MANY_COLUMNS = (
    "Row {row}: {found:,} columns, more than the {limit:,} one import takes. Remove the "
    "columns you do not import, or check the separator (a comma, semicolon or tab)."
)
FILE_ROW_TOO_LONG = (
    "Row {row} is longer than {limit:,} characters, the most one row may hold. Shorten "
    "it, or check for a quote that is opened and never closed."
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
FILE_CONTROL_CHARACTER = (
    "Row {row}: a control character ({code}), which no name, email or note may hold: the "
    "file is damaged, or was not saved as text. Remove the character, or export the file "
    "again, and upload it again."
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
FILE_MIXED_ENCODING_LATER = (
    "Row {row}: a character in UTF-8, in a file that is Windows-1252 before it: part of "
    "the file was saved in another encoding. Save the whole file as “CSV UTF-8” and upload "
    "it again."
)
FILE_NOT_ITS_ENCODING = (
    "Row {row}: bytes that are not {encoding} text, in a file that is {encoding} before "
    "them: it is damaged, or part of it was saved in another encoding. Save the whole file "
    "as “CSV UTF-8” and upload it again."
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

# What a page shows of a value from the file (a header, a cell, a value quoted in a
# message), so that a page's size is bounded whatever the file holds.
SHOWN_CHARS = 40


class FileRefused(ValidationError):
    """A file (or a mapping) that cannot be imported at all; the message says why."""


class ImportLimits(NamedTuple):
    max_bytes: int
    max_rows: int
    max_columns: int
    max_row_chars: int
    max_lines: int


def import_limits() -> ImportLimits:
    """Read when used, so that tests and admins can change them (config/settings/base.py)."""
    return ImportLimits(
        max_bytes=settings.WARMPATH_IMPORT_MAX_BYTES,
        max_rows=settings.WARMPATH_IMPORT_MAX_ROWS,
        max_columns=settings.WARMPATH_IMPORT_MAX_COLUMNS,
        max_row_chars=settings.WARMPATH_IMPORT_MAX_ROW_CHARS,
        max_lines=settings.WARMPATH_IMPORT_MAX_LINES,
    )


def shown(value: str, limit: int = SHOWN_CHARS) -> str:
    """A value from the file as a page shows it: at most `limit` characters."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


# --- Reading the file: bytes to text ---------------------------------------------------------


@dataclass(frozen=True)
class DecodedFile:
    text: str
    encoding: str


# Byte-order marks, UTF-32's first: its little-endian mark begins with UTF-16's.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8 with BOM"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
# UTF-32 and UTF-16 without a mark, told by their zero bytes: (codec, name, code unit size,
# the byte of each unit that holds an ASCII letter).
WIDE_ENCODINGS = (
    ("utf-32-le", "UTF-32", 4, 0),
    ("utf-32-be", "UTF-32", 4, 3),
    ("utf-16-le", "UTF-16", 2, 0),
    ("utf-16-be", "UTF-16", 2, 1),
)
# A character of UTF-8 (a letter of Latin-1 such as é, or typographic punctuation such as
# ’ “ – …) in bytes that are not UTF-8 as a whole: no Windows-1252 text has these pairs.
UTF8_LETTER = re.compile(rb"\xc3[\x80-\xbf]|\xe2\x80[\x80-\xbf]")
SNIFF_BYTES = 4096


def _line_number(text: str | bytes, position: int) -> int:
    """The line `position` is on, as a spreadsheet and the CSV parser count them (a line
    ends with \\n, \\r\\n or \\r)."""
    lf, cr, crlf = ("\n", "\r", "\r\n") if isinstance(text, str) else (b"\n", b"\r", b"\r\n")
    return (
        text.count(lf, 0, position)
        + text.count(cr, 0, position)
        - text.count(crlf, 0, position)
        + 1
    )


def _wide_encoding(data: bytes) -> tuple[str, str] | None:
    """UTF-32 or UTF-16 without a byte-order mark: text that is mostly ASCII has a zero in
    every byte of each code unit but the one holding the letter."""
    for codec, name, size, letter in WIDE_ENCODINGS:
        length = min(len(data), SNIFF_BYTES)
        sample = data[: length - length % size]
        if len(sample) < 2 * size:
            continue
        units = len(sample) // size
        lanes = [sample[byte::size] for byte in range(size)]
        letters_zero = lanes[letter].count(0)
        others_zero = sum(lane.count(0) for byte, lane in enumerate(lanes) if byte != letter)
        if letters_zero * 10 <= units and others_zero * 10 >= 9 * units * (size - 1):
            return codec, name
    return None


def _decode_as(data: bytes, codec: str, name: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        before = data[: error.start].decode(codec, errors="replace")
        row = _line_number(before, len(before))
        encoding = name.removesuffix(" with BOM")
        raise FileRefused(FILE_NOT_ITS_ENCODING.format(row=row, encoding=encoding)) from None


def _decode(data: bytes) -> DecodedFile:
    """The text of the file in whichever encoding it is: a byte-order mark says which;
    without one, UTF-32 or UTF-16 by their zero bytes, else UTF-8, else Windows-1252 (never
    a mix of UTF-8 and another, which would import some names garbled)."""
    for mark, codec, name in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return DecodedFile(text=_decode_as(data[len(mark) :], codec, name), encoding=name)
    wide = _wide_encoding(data)
    if wide is not None:
        return DecodedFile(text=_decode_as(data, *wide), encoding=wide[1])
    try:
        return DecodedFile(text=data.decode("utf-8"), encoding="UTF-8")
    except UnicodeDecodeError as utf8_error:
        start = utf8_error.start
    row = _line_number(data, start)
    if not data[:start].isascii():
        # Accented letters read as UTF-8 before this point: a UTF-8 file with a piece in
        # another encoding. Read as Windows-1252, every one of those letters would be
        # imported garbled ("Müller" as "MÃ¼ller").
        raise FileRefused(FILE_MIXED_ENCODING.format(row=row))
    later = UTF8_LETTER.search(data, start)
    if later is not None:  # the same, the other way round
        raise FileRefused(FILE_MIXED_ENCODING_LATER.format(row=_line_number(data, later.start())))
    try:
        return DecodedFile(text=data.decode("cp1252"), encoding="Windows-1252")
    except UnicodeDecodeError:
        raise FileRefused(FILE_BAD_ENCODING.format(row=row)) from None


# Control characters (Unicode's Cc) but the tab and the line breaks. PostgreSQL cannot
# store NUL; the others break email headers and are no part of a name.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# So many of them at the start of a file (one character in 20, and 4 at least): binary
# data (an image, a document, UTF-16 read as UTF-8), not a text file with a stray one.
BINARY_SHARE = 20


def _check_text(text: str) -> None:
    """One validation of the decoded text, whatever the encoding it came in."""
    start = text[:SNIFF_BYTES]
    if len(CONTROL_CHARACTER.findall(start)) >= max(4, len(start) / BINARY_SHARE):
        raise FileRefused(FILE_IS_BINARY)
    if text.lstrip().startswith(("<", "{")):
        raise FileRefused(FILE_NOT_CSV)
    if not text.strip():
        raise FileRefused(FILE_EMPTY)
    control = CONTROL_CHARACTER.search(text)
    if control is not None:
        code = f"U+{ord(control.group()):04X}"
        row = _line_number(text, control.start())
        raise FileRefused(FILE_CONTROL_CHARACTER.format(row=row, code=code))


def read_upload(data: bytes, *, max_bytes: int | None = None) -> DecodedFile:
    """The upload as text, or FileRefused with a message the user can act on."""
    max_bytes = max_bytes or import_limits().max_bytes
    if len(data) > max_bytes:
        raise FileRefused(FILE_TOO_LARGE.format(limit=filesizeformat(max_bytes)))
    if not data.strip():
        raise FileRefused(FILE_EMPTY)
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise FileRefused(FILE_IS_ZIP)
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # the old .xls (OLE) format
        raise FileRefused(FILE_IS_EXCEL)
    if data.startswith(b"%PDF"):
        raise FileRefused(FILE_IS_BINARY)
    decoded = _decode(data)
    text = decoded.text.lstrip("\ufeff").rstrip("\x1a")  # a second mark; DOS end-of-file
    _check_text(text)
    return DecodedFile(text=text, encoding=decoded.encoding)


# --- Reading the file: text to a table -------------------------------------------------------


def check_shape(text: str, limits: ImportLimits, delimiter: str = ",") -> None:
    """Refuse a text with too many lines, or a line too long (with too many columns, when
    its separators tell for sure), before the CSV parser reads it: str methods only, a few
    passes at most over the text whatever its shape."""
    lines = text.count("\n") + text.count("\r") - text.count("\r\n")
    if lines > limits.max_lines:
        raise FileRefused(FILE_TOO_MANY_LINES.format(limit=limits.max_lines))
    flat = text.replace("\r", "\n")
    start, end, longest = 0, len(flat), limits.max_row_chars
    # The line starting at `start` is too long when the next `longest` + 1 characters
    # hold no line break; else the next line to look at is the one after the last break
    # among them (every line before it is shorter). Two steps move on by `longest` at
    # least, so this takes about 2 × length / longest steps.
    while end - start > longest:
        last_break = flat.rfind("\n", start, start + longest + 1)
        if last_break == -1:
            row = _line_number(text, start)
            line_end = flat.find("\n", start)
            line = flat[start : line_end if line_end != -1 else end]
            if '"' not in line and line.count(delimiter) >= limits.max_columns:
                columns = line.count(delimiter) + 1  # no quote: each separator is one
                raise FileRefused(
                    FILE_TOO_MANY_COLUMNS.format(row=row, found=columns, limit=limits.max_columns)
                )
            raise FileRefused(FILE_ROW_TOO_LONG.format(row=row, limit=longest))
        start = last_break + 1


def _header_key(cell: str) -> str:
    """'Email Address' / ' email_address ' / 'EMAIL-ADDRESS' → 'email address'."""
    return re.sub(r"[^a-z0-9]+", " ", cell.lower()).strip()


@dataclass
class Table:
    header: list[str]
    header_row: int
    # Each data row: (its number as a spreadsheet shows it, the cells in the `kept`
    # columns, in that order; and its number of cells when it has more non-blank values
    # than the header has columns, else 0). Only what planning reads is kept, so that a
    # file's size in memory is bounded by its rows, not its cells.
    rows: list[tuple[int, tuple[str, ...], int]]
    delimiter: str
    kept: tuple[int, ...] = ()
    sample: list[tuple[int, list[str]]] = field(default_factory=list)  # the first rows, whole

    def index(self, columns: dict[str, int]) -> dict[str, int]:
        """target → column position, as target → place among the kept cells."""
        place = {position: number for number, position in enumerate(self.kept)}
        return {target: place[position] for target, position in columns.items()}


def _first_line(text: str) -> str:
    """The first line that is not blank, found with str methods whatever comes before."""
    found = re.search(r"\S", text)
    if found is None:
        return ""
    start = max(text.rfind("\n", 0, found.start()), text.rfind("\r", 0, found.start())) + 1
    ends = [end for end in (text.find("\n", start), text.find("\r", start)) if end != -1]
    return text[start : min(ends, default=len(text))]


def _delimiter(text: str) -> str:
    """Comma, semicolon (Excel in much of Europe) or tab, as the first line uses them."""
    first_line = _first_line(text)
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _records(text: str, delimiter: str, limits: ImportLimits) -> Iterable[tuple[int, list[str]]]:
    """(row number, cells) for each non-blank record; a record spread over several lines
    (a quoted line break) is numbered by its first line. Each record is checked against
    the limits as soon as the parser has split it; empty cells past the last column a
    spreadsheet pads its rows with do not count."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        row_number = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise FileRefused(FILE_UNREADABLE_ROW.format(row=row_number, detail=error)) from None
        if len(cells) > limits.max_columns:
            if "".join(cells[limits.max_columns :]).strip():
                raise FileRefused(
                    FILE_TOO_MANY_COLUMNS.format(
                        row=row_number, found=len(cells), limit=limits.max_columns
                    )
                )
            del cells[limits.max_columns :]
        joined = "".join(cells)
        if len(joined) > limits.max_row_chars:
            raise FileRefused(FILE_ROW_TOO_LONG.format(row=row_number, limit=limits.max_row_chars))
        if joined.strip():
            yield row_number, cells


def _find_linkedin_header(records) -> tuple[int, list[str]]:
    for position, (row_number, cells) in enumerate(records):
        keys = {_header_key(cell) for cell in cells}
        if {"first name", "last name"} <= keys:
            return row_number, cells
        if position + 1 >= HEADER_SEARCH_ROWS:
            break
    raise FileRefused(FILE_NOT_LINKEDIN.format(rows=HEADER_SEARCH_ROWS))


def _picker(positions: tuple[int, ...]) -> Callable[[list[str]], tuple[str, ...]]:
    if not positions:
        return lambda cells: ()
    if len(positions) == 1:
        return lambda cells: (cells[positions[0]],)
    return operator.itemgetter(*positions)


def read_table(
    text: str,
    *,
    kind: str,
    max_rows: int | None = None,
    keep: Callable[[list[str]], Iterable[int]] = lambda header: (),
    sample: int = 0,
) -> Table:
    """The header and the data rows, or FileRefused (no header, no rows, past a limit, a
    line that is not CSV). Of each row, the cells in the columns `keep` chooses from the
    header; the first `sample` rows whole. Columns are checked per kind by the column
    resolvers."""
    limits = import_limits()
    if max_rows:
        limits = limits._replace(max_rows=max_rows)
    delimiter = "," if kind == ImportJob.Kind.LINKEDIN else _delimiter(text)
    check_shape(text, limits, delimiter)
    records = iter(_records(text, delimiter, limits))
    if kind == ImportJob.Kind.LINKEDIN:
        header_row, header = _find_linkedin_header(records)
    else:
        try:
            header_row, header = next(records)
        except StopIteration:
            raise FileRefused(FILE_EMPTY) from None
    header = [cell.strip() for cell in header]
    width = len(header)
    kept = tuple(sorted({position for position in keep(header) if 0 <= position < width}))
    pick, reach = _picker(kept), (kept[-1] + 1 if kept else 0)
    table = Table(header=header, header_row=header_row, rows=[], delimiter=delimiter, kept=kept)
    for row_number, cells in records:
        if len(table.rows) >= limits.max_rows:
            raise FileRefused(FILE_TOO_MANY_ROWS.format(limit=limits.max_rows))
        found = len(cells) if len(cells) > width and "".join(cells[width:]).strip() else 0
        if len(table.sample) < sample:
            table.sample.append((row_number, cells))
        if len(cells) < reach:  # a short row: the missing cells are blank
            cells = cells + [""] * (reach - len(cells))
        table.rows.append((row_number, pick(cells), found))
    if not table.rows:
        raise FileRefused(FILE_NO_ROWS)
    return table


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
                shown(header[int(position)])
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
