"""The pieces of tests/test_every_write.py: hostile values by kind of field, a form read back
as a browser would send it, and a fingerprint of every row Warmpath stores.

- Hostile values (`hostile_for`): extreme and impossible dates and times, strings at and past
  their column's length (in code points and in UTF-16 units), control characters and the
  characters a name refuses, huge and non-finite numbers, wrong types — mixed with
  hypothesis' own text, integers and dates.
- `form_fields_as_posted`: the fields of the first POST form of a page, with the values a
  browser would send if the user pressed the button without changing anything (inputs,
  checked boxes and radios, selected options, text areas; the admin's inlines and their
  management forms included).
- `rows_fingerprint` / `stored_values_problems`: every row of every Warmpath table, to prove
  that a refused write left nothing behind and that an accepted one stored nothing a
  column or the date window cannot hold.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from html.parser import HTMLParser

from django.apps import apps
from django.db import models
from hypothesis import strategies as st

from core.dates import FIRST_DAY, FIRST_MOMENT, LAST_DAY, LAST_MOMENT

WARMPATH_APPS = (
    "accounts",
    "outbox",
    "contacts",
    "referrals",
    "followups",
    "reporting",
    "dashboard",
    "exports",
    "idempotency",
)

# --- Hostile values ----------------------------------------------------------------------------

DAYS = [
    "0001-01-01",
    "9999-12-31",
    "1899-12-31",
    "2101-01-01",
    "1900-01-01",
    "2100-12-31",
    "2026-02-30",
    "2028-02-29",
    "2027-02-29",
    "99999-01-01",
    "+002026-01-01",
    "-2026-01-01",
    "2026-13-01",
    "0000-00-00",
    "20260301",
    "2026-W10-1",
]
MOMENTS = [
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "1900-01-01T00:00:00-23:59",
    "1900-01-01T00:00:00+14:00",
    "2100-12-31T23:59:59+14:00",
    "2100-12-31T23:59:59-12:00",
    "1899-12-31T23:59:59-12:00",
    "2101-01-01T00:00:00+14:00",
    "2026-02-30T10:00:00",
    "2028-02-29T12:00:00Z",
    "99999-01-01T00:00:00Z",
    "+002026-01-01T00:00:00Z",
    "2026-01-01T10:00:00-18:01",
    "2026-01-01T25:00:00",
    "2026-03-08T02:30:00",  # a time that does not exist in Los Angeles
    "2026-11-01T01:30:00",  # and one that exists twice
]
CONTROL_CHARACTERS = [chr(code) for code in [*range(0x20), 0x7F, 0x85, 0x9F]]
NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "Ada\x00Lovelace",
    "Ref\r\nBcc: someone@example.com",
    "Ref\nSubject: hi",
    "line\u2028separator\u2029",
    "\u200b\u200c\u200d",  # zero-width only
    "\u202eevil",  # a right-to-left override
    "\u2066isolate\u2069",
    "\ufeff",
    "e\u0301\u0301\u0301",
    "👩🏽‍💻🇫🇷",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x")',
    "'; DROP TABLE contacts; --",
    "%s %(name)s {0} {name}",
    "\\",
    "../../etc/passwd",
]
NUMBERS = [
    2**31,
    2**31 - 1,
    2**32,
    2**63,
    2**63 - 1,
    -(2**63),
    -(2**63) - 1,
    2**64,
    10**30,
    -1,
    0,
    1.5,
    1e308,
    -1e308,
    -0.0,
    5e-324,
]
NUMBER_TEXTS = [
    "1e999",
    "-1e999",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "1" * 400,
    "0." + "0" * 400 + "1",
    "9" * 13 + ".99",
    "12345678901234.5678",
    "1e5",
    "0x10",
    "٣",  # an Arabic-Indic digit
    "²",
    "1_000",
    " 42 ",
    "-0",
]
WRONG_TYPES = [None, True, False, [], [1, 2], ["a"], {}, {"a": 1}, [None]]


def _lengths(max_length: int | None) -> st.SearchStrategy:
    """Strings at a column's edge: exactly its length, one more, in ASCII and in astral
    characters (one code point, two UTF-16 units), and a megabyte."""
    limit = max_length or 255
    return st.sampled_from(
        [
            "x" * limit,
            "x" * (limit + 1),
            "😀" * limit,
            "😀" * (limit + 1),
            "é" * (limit // 2 + 1),
            "x" * (limit - 1) + "\x00",
            "x" * 1_000_000,
        ]
    )


TEXT = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.sampled_from(CONTROL_CHARACTERS).map(lambda character: f"A{character}B"),
    st.text(max_size=40),
)
INTEGERS = st.one_of(
    st.sampled_from(NUMBERS), st.sampled_from(NUMBER_TEXTS), st.integers(), st.floats()
)
DAY_VALUES = st.one_of(
    st.sampled_from(DAYS),
    st.dates().map(date.isoformat),
    st.sampled_from(MOMENTS),
)
MOMENT_VALUES = st.one_of(
    st.sampled_from(MOMENTS),
    st.sampled_from(DAYS),
    st.datetimes().map(datetime.isoformat),
    st.datetimes().map(lambda moment: f"{moment.isoformat()}+14:00"),
)
ANYTHING = st.one_of(
    TEXT,
    st.sampled_from(DAYS + MOMENTS),
    st.sampled_from(NUMBERS + NUMBER_TEXTS),
    st.sampled_from(WRONG_TYPES),
)


def hostile_for(kind: str, max_length: int | None = None) -> st.SearchStrategy:
    """Hostile values for a field of this kind ("date", "datetime", "integer", "number",
    "text", "boolean", "choice", "id", "other"), sometimes from another kind altogether."""
    typed = {
        "date": DAY_VALUES,
        "datetime": MOMENT_VALUES,
        "integer": INTEGERS,
        "number": INTEGERS,
        "id": INTEGERS,
        "text": st.one_of(TEXT, _lengths(max_length)),
        "choice": st.one_of(TEXT, _lengths(max_length)),
    }.get(kind, ANYTHING)
    return st.one_of(typed, typed, ANYTHING)


# --- A page's form as a browser sends it -----------------------------------------------------


class _FormReader(HTMLParser):
    """The fields of the first (or nth) <form method="post"> of a page that posts to
    `action` (or to itself), and their values as a browser would submit them unchanged."""

    def __init__(self, action: str | None, nth: int):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.skip = nth  # matching forms still to pass over
        self.inside = False
        self.done = False
        self.fields: dict[str, list[str]] = {}
        self.names: list[str] = []  # every field the form has, sent or not
        self._select: str | None = None
        self._select_multiple = False
        self._select_first: str | None = None
        self._select_chosen = False
        self._option: dict | None = None
        self._textarea: str | None = None

    def _add(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)

    def _named(self, name: str) -> None:
        if name not in self.names:
            self.names.append(name)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and not self.done and not self.inside:
            method = (attributes.get("method") or "get").lower()
            action = attributes.get("action")
            if method == "post" and (self.action is None or action in (None, "", self.action)):
                if self.skip:
                    self.skip -= 1
                else:
                    self.inside = True
            return
        if not self.inside:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = (attributes.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            self._named(name)
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    self._add(name, attributes.get("value") or "on")
                return
            self._add(name, attributes.get("value") or "")
        elif tag == "select" and name:
            self._named(name)
            self._select, self._select_first, self._select_chosen = name, None, False
            self._select_multiple = "multiple" in attributes
        elif tag == "option" and self._select:
            value = attributes.get("value")
            self._option = {"value": value, "text": ""}
            if self._select_first is None and value is not None:
                self._select_first = value
            if "selected" in attributes:
                self._select_chosen = True
                if value is not None:
                    self._add(self._select, value)
                else:
                    self._option["selected"] = True
        elif tag == "textarea" and name:
            self._named(name)
            self._textarea = name
            self._add(name, "")

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea][-1] += data
        if self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "textarea":
            if self._textarea:
                # Browsers drop the one line break right after <textarea>.
                text = self.fields[self._textarea][-1]
                self.fields[self._textarea][-1] = text.removeprefix("\n")
            self._textarea = None
        elif tag == "option" and self._option is not None:
            if self._option.get("selected"):
                self._add(self._select, self._option["text"].strip())
            self._option = None
        elif tag == "select" and self._select:
            if not self._select_chosen and not self._select_multiple and self._select_first:
                self._add(self._select, self._select_first)
            self._select = None
        elif tag == "form":
            self.inside, self.done = False, True


def form_fields_as_posted(
    html: str, action: str | None = None, nth: int = 0
) -> tuple[dict, list[str]]:
    """(the POST body a browser would send unchanged, every field name of the form)."""
    reader = _FormReader(action, nth)
    reader.feed(html)
    body = {
        name: values[0] if len(values) == 1 else values for name, values in reader.fields.items()
    }
    return body, reader.names


# --- Every row Warmpath stores -------------------------------------------------------------


def warmpath_models() -> list[type[models.Model]]:
    return [
        model
        for label in WARMPATH_APPS
        if apps.is_installed(label)
        for model in apps.get_app_config(label).get_models()
        if model._meta.managed and not model._meta.proxy
    ]


def rows_fingerprint() -> dict[str, str]:
    """A digest of the rows of each Warmpath table, by model (the world is small)."""
    digests = {}
    for model in warmpath_models():
        digest = hashlib.sha256()
        for row in model._default_manager.order_by("pk").values_list():
            row = tuple(bytes(value) if isinstance(value, memoryview) else value for value in row)
            digest.update(repr(row).encode("utf-8", "backslashreplace"))
        digests[model._meta.label] = digest.hexdigest()
    return digests


def stored_values_problems() -> list[str]:
    """What no row should hold: a date or time outside the window, a string longer than its
    column, a NUL character."""
    problems = []
    for model in warmpath_models():
        checked = [
            field
            for field in model._meta.concrete_fields
            if isinstance(field, models.DateField | models.CharField | models.TextField)
        ]
        if not checked:
            continue
        names = [field.attname for field in checked]
        for pk, *values in model._default_manager.values_list("pk", *names):
            for field, value in zip(checked, values, strict=True):
                where = f"{model._meta.label}#{pk}.{field.name}"
                if value is None:
                    continue
                if isinstance(value, datetime):
                    if value.tzinfo is not None:
                        inside = FIRST_MOMENT <= value <= LAST_MOMENT
                    else:
                        inside = FIRST_DAY <= value.date() <= LAST_DAY
                    if not inside:
                        problems.append(f"{where} = {value!r}: outside the date window")
                elif isinstance(value, date):
                    if not FIRST_DAY <= value <= LAST_DAY:
                        problems.append(f"{where} = {value!r}: outside the date window")
                elif isinstance(value, str):
                    if "\x00" in value:
                        problems.append(f"{where}: holds a NUL character")
                    limit = getattr(field, "max_length", None)
                    if limit and len(value) > limit:
                        problems.append(f"{where}: {len(value)} characters, column holds {limit}")
    return problems
