"""Writing CSV that spreadsheet programs open safely.

Excel, LibreOffice and Google Sheets run a cell that starts with =, +, -, @ (or a tab or
carriage return that hides one) as a formula, so a contact named "=HYPERLINK(…)" could
run code on the reader's machine. Every exported cell goes through safe_cell, which
prefixes such a value with an apostrophe: shown as text, never evaluated.
"""

# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


class Echo:
    """A file-like object whose write returns the line, for csv.writer in a stream."""

    def write(self, value):
        return value
