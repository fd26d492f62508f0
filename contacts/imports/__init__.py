"""CSV imports into the team's network: LinkedIn connections, contacts, relationships.

The same three steps for every kind of file:

1. ``import_job_create`` reads the upload (size, zip/binary/HTML, encoding: UTF-8, UTF-8
   with BOM, UTF-16 and UTF-32 with or without their mark, Windows-1252; then one check of
   the text whatever it was: control characters, lines, row length, columns, rows, all
   before the CSV parser or the planning does any work), finds the header (after
   LinkedIn's ``Notes:`` preamble if any), checks the columns, and stores the text on an
   ImportJob. A file it refuses leaves nothing behind and says why (the FILE_* messages,
   which name the limit and its value). The limits are settings (import_limits).
2. ``import_preview`` plans every row against the team's data as it is now — create,
   update or skip, and why — and writes nothing. ``import_job_preview`` keeps what the
   page shows of it on the job (bounded in size), planned again only when the columns or
   the team's data have changed.
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

The package, top-down: ``files`` (bytes → text → header and rows → columns and values),
``planning`` (each row's outcome, against the team's data; writes nothing) and ``jobs``
(the commit in bulk, its progress, the ImportJob's life). Callers import from here.
"""

from contacts.imports.files import (
    CONTACT_TARGETS,
    FILE_BAD_ENCODING,
    FILE_CONTROL_CHARACTER,
    FILE_EMPTY,
    FILE_IS_BINARY,
    FILE_IS_EXCEL,
    FILE_IS_ZIP,
    FILE_MISSING_COLUMNS,
    FILE_MIXED_ENCODING,
    FILE_MIXED_ENCODING_LATER,
    FILE_NO_ROWS,
    FILE_NOT_CSV,
    FILE_NOT_ITS_ENCODING,
    FILE_NOT_LINKEDIN,
    FILE_ROW_TOO_LONG,
    FILE_TOO_LARGE,
    FILE_TOO_MANY_COLUMNS,
    FILE_TOO_MANY_LINES,
    FILE_TOO_MANY_ROWS,
    FILE_UNREADABLE_ROW,
    HEADER_SEARCH_ROWS,
    LINKEDIN_TARGETS,
    MAPPING_NO_NAME,
    MAPPING_TWICE,
    RELATIONSHIPS_EXPECTED,
    SHOWN_CHARS,
    FileRefused,
    ImportLimits,
    import_limits,
    mapping_errors,
    mapping_guess,
    parse_date,
    read_table,
    read_upload,
)
from contacts.imports.jobs import (
    ALREADY_STARTED,
    COMMIT_CONFLICT,
    COMMIT_FAILED,
    INLINE_COMMIT_MAX_ROWS,
    import_commit,
    import_job_create,
    import_job_preview,
    import_job_run,
    import_job_set_mapping,
    import_job_start,
    import_jobs_for_user,
    import_progress,
)
from contacts.imports.planning import (
    OWN_CONTACT_IN_OTHER_TEAM,
    PREVIEW_COLUMNS,
    PREVIEW_ROWS,
    ROW_AMBIGUOUS,
    ROW_BAD_DATE,
    ROW_BAD_EMAIL,
    ROW_BAD_KIND,
    ROW_BAD_STRENGTH,
    ROW_BAD_URL,
    ROW_DATE_OUTSIDE_WINDOW,
    ROW_DUPLICATE,
    ROW_DUPLICATE_PAIR,
    ROW_IS_YOU,
    ROW_NO_NAME,
    ROW_NO_PERSON,
    ROW_NOT_FOUND,
    ROW_PAIR_UP_TO_DATE,
    ROW_SAME_PERSON,
    ROW_TOO_LONG,
    ROW_TOO_MANY_VALUES,
    ROW_UP_TO_DATE,
    ImportPlan,
    Reason,
    RowPlan,
    import_preview,
)

__all__ = [
    "ALREADY_STARTED",
    "COMMIT_CONFLICT",
    "COMMIT_FAILED",
    "CONTACT_TARGETS",
    "FILE_BAD_ENCODING",
    "FILE_CONTROL_CHARACTER",
    "FILE_EMPTY",
    "FILE_IS_BINARY",
    "FILE_IS_EXCEL",
    "FILE_IS_ZIP",
    "FILE_MISSING_COLUMNS",
    "FILE_MIXED_ENCODING",
    "FILE_MIXED_ENCODING_LATER",
    "FILE_NOT_CSV",
    "FILE_NOT_ITS_ENCODING",
    "FILE_NOT_LINKEDIN",
    "FILE_NO_ROWS",
    "FILE_ROW_TOO_LONG",
    "FILE_TOO_LARGE",
    "FILE_TOO_MANY_COLUMNS",
    "FILE_TOO_MANY_LINES",
    "FILE_TOO_MANY_ROWS",
    "FILE_UNREADABLE_ROW",
    "HEADER_SEARCH_ROWS",
    "INLINE_COMMIT_MAX_ROWS",
    "LINKEDIN_TARGETS",
    "MAPPING_NO_NAME",
    "MAPPING_TWICE",
    "OWN_CONTACT_IN_OTHER_TEAM",
    "PREVIEW_COLUMNS",
    "PREVIEW_ROWS",
    "RELATIONSHIPS_EXPECTED",
    "ROW_AMBIGUOUS",
    "ROW_BAD_DATE",
    "ROW_BAD_EMAIL",
    "ROW_BAD_KIND",
    "ROW_BAD_STRENGTH",
    "ROW_BAD_URL",
    "ROW_DATE_OUTSIDE_WINDOW",
    "ROW_DUPLICATE",
    "ROW_DUPLICATE_PAIR",
    "ROW_IS_YOU",
    "ROW_NOT_FOUND",
    "ROW_NO_NAME",
    "ROW_NO_PERSON",
    "ROW_PAIR_UP_TO_DATE",
    "ROW_SAME_PERSON",
    "ROW_TOO_LONG",
    "ROW_TOO_MANY_VALUES",
    "ROW_UP_TO_DATE",
    "SHOWN_CHARS",
    "FileRefused",
    "ImportLimits",
    "ImportPlan",
    "Reason",
    "RowPlan",
    "import_commit",
    "import_job_create",
    "import_job_preview",
    "import_job_run",
    "import_job_set_mapping",
    "import_job_start",
    "import_jobs_for_user",
    "import_limits",
    "import_preview",
    "import_progress",
    "mapping_errors",
    "mapping_guess",
    "parse_date",
    "read_table",
    "read_upload",
]
