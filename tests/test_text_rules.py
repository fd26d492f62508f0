"""The rules of text Warmpath builds and shows (core.text, core.names), as properties:

- `fit`: whatever the text and the room, the result fits, starts like the text and ends
  with an ellipsis when cut, and never cuts a character as the reader sees it (a letter
  and its accents, an emoji sequence, a flag) unless one alone is longer than the room;
- `validate_name` / `name_normalise`: a name refused for control characters, direction
  overrides or nothing visible; a normalised name always passes the rule;
- `one_line`: whatever the text, an email built with it as a subject, or a download with
  it as a file name, has no header it did not ask for and can be encoded.

Through the real services, with maximal and hostile names: tests/test_derived_values.py.
"""

import email
import re
import string

import jsonschema_rs
import pytest
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.http import HttpResponse
from hypothesis import given, settings
from hypothesis import strategies as st

from core.names import (
    DIRECTION_CONTROLS,
    NAME_CONTROL_CHARACTERS,
    NAME_DIRECTION_CONTROLS,
    NAME_INVISIBLE,
    NAME_PATTERN,
    name_normalise,
    name_problem,
    validate_name,
)
from core.text import ELLIPSIS, fit, fit_file_name, one_line
from exports.views import attachment

# Any code point, NUL, controls and lone surrogates included.
ANY_TEXT = st.text(alphabet=st.characters(codec=None, blacklist_categories=()), max_size=400)

# What a reader sees as one character, and what must never be cut inside.
CLUSTERS = [
    *string.ascii_letters,
    " ",
    "é",  # precomposed
    "e\u0301",  # e + combining acute
    "a\u0308\u0301",  # two accents
    "ß",
    "中",
    "한",
    "ب\u064e",  # Arabic letter with a vowel mark
    "कि",  # Devanagari letter and its vowel sign
    "👍",
    "👍🏽",  # skin tone
    "👩\u200d💻",  # ZWJ sequence
    "👨\u200d👩\u200d👧\u200d👦",  # family
    "🇫🇷",  # flag: two regional indicators
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # Scotland: tags
    "❤\ufe0f",  # variation selector
    "𝔸",  # astral letter
]


@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    clusters=st.lists(st.sampled_from(CLUSTERS), max_size=120),
    room=st.integers(min_value=2, max_value=300),
)
def test_fit_cuts_between_characters_as_read(clusters, room):
    text = "".join(clusters)
    fitted = fit(text, room)
    assert len(fitted) <= room
    if len(text) <= room:
        assert fitted == text
        return
    assert fitted.endswith(ELLIPSIS)
    kept = fitted[: -len(ELLIPSIS)]
    # As many whole clusters as leave room for the ellipsis, trailing spaces trimmed.
    whole = 0
    while whole < len(clusters) and len("".join(clusters[: whole + 1])) <= room - len(ELLIPSIS):
        whole += 1
    if whole:  # (else one cluster alone is wider than the room: cut inside it)
        assert kept == "".join(clusters[:whole]).rstrip()


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=ANY_TEXT, room=st.integers(min_value=0, max_value=500))
def test_fit_always_fits_and_starts_like_the_text(text, room):
    fitted = fit(text, room)
    assert len(fitted) <= room
    kept = fitted.removesuffix(ELLIPSIS)
    assert text.startswith(kept)


def test_fit_examples():
    assert fit("Ada Lovelace", 12) == "Ada Lovelace"
    assert fit("Ada Lovelace", 11) == "Ada Lovela…"
    assert fit("Ada Lovelace", 5) == "Ada…"  # the space before the ellipsis is trimmed
    assert fit("Zoë" + "e\u0301" * 3, 5) == "Zoë…"  # not "Zoëe…" with its accent lost
    assert fit("🇫🇷🇩🇪🇮🇹", 4) == "🇫🇷…"
    assert fit("ab", 1) == "a"  # no room for an ellipsis: cut only
    # One "character" longer than the room: cut inside it rather than not at all.
    assert len(fit("e" + "\u0301" * 500, 300)) == 300


def test_file_names_keep_their_extension():
    assert fit_file_name("referrals-2026-11-01-2026-11-30.csv", 255) == (
        "referrals-2026-11-01-2026-11-30.csv"
    )
    long = fit_file_name("x" * 400 + ".csv", 255)
    assert len(long) == 255 and long.endswith("….csv")
    assert fit_file_name("evil\r\nSet-Cookie: a=b.csv", 255) == "evil Set-Cookie: a=b.csv"


# --- Names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Ref\nBcc: someone@example.com", NAME_CONTROL_CHARACTERS),
        ("Ref\r\nBcc: someone@example.com", NAME_CONTROL_CHARACTERS),
        ("Ada\tLovelace", NAME_CONTROL_CHARACTERS),
        ("Ada\x00", NAME_CONTROL_CHARACTERS),
        ("Ada\x1b[31m", NAME_CONTROL_CHARACTERS),  # C0: an escape sequence
        ("Ada\x85Lovelace", NAME_CONTROL_CHARACTERS),  # C1: next line
        ("Ada\u2028Lovelace", NAME_CONTROL_CHARACTERS),  # line separator
        ("Ada\ud800", NAME_CONTROL_CHARACTERS),  # lone surrogate
        ("\u202eevil\u202c", NAME_DIRECTION_CONTROLS),
        ("Ada \u2066Lovelace\u2069", NAME_DIRECTION_CONTROLS),
        ("\u200b", NAME_INVISIBLE),
        ("\u200b\u200c\u200d\ufeff", NAME_INVISIBLE),
        ("\u3164", NAME_INVISIBLE),  # Hangul filler
        ("\u2800\u2800", NAME_INVISIBLE),  # blank braille
        (" \u00a0\u200b ", NAME_INVISIBLE),
    ],
)
def test_names_refuse_control_direction_and_invisible_characters(name, message):
    with pytest.raises(ValidationError) as refused:
        validate_name(name)
    assert refused.value.messages == [message]


@pytest.mark.parametrize(
    "name",
    [
        "",  # blank is the field's business
        "Ada Lovelace",
        "مرحبا بالعالم שלום",  # right to left, no override needed
        "Zoë 👩🏽\u200d💻🚀",
        "e\u0301\u0301a\u0308",
        "O'Brien-Smith, Jr.",
        "محمد\u200f",  # a right-to-left mark reorders nothing: allowed
        "Anne\u00a0Marie",
        "=HYPERLINK(1)",  # formula-looking: the CSV export's to neutralise
        "<script>alert(1)</script>",  # markup: the templates' to escape
    ],
)
def test_names_of_any_script_are_accepted(name):
    validate_name(name)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(text=ANY_TEXT)
def test_a_normalised_name_always_follows_the_rule(text):
    normalised = name_normalise(text)
    assert name_problem(normalised) is None
    assert name_normalise(normalised) == normalised
    assert not any(character in DIRECTION_CONTROLS for character in normalised)


NAME_CHARACTERS = st.one_of(
    st.characters(codec=None, blacklist_categories=("Cs",)),
    st.sampled_from("\u200b\u200d\u202e\u2066\u3164\u2800\ufe0f\U000e0020 \n\t\x00\x85"),
)
# The pattern as the API's schema shows it (drf-spectacular's ECMA-262 spelling), read by
# the JSON Schema validator schemathesis uses.
SCHEMA_PATTERN = jsonschema_rs.validator_for(
    {"type": "string", "pattern": NAME_PATTERN.replace("\\A", "^").replace("\\Z", "$")}
)


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(text=st.text(alphabet=NAME_CHARACTERS, max_size=12))
def test_the_pattern_the_schema_shows_is_the_rule(text):
    # (The empty name is the field's business: validators never see it. Lone surrogates,
    # which no ECMA-262 pattern names, are refused by the rule alone.)
    follows_the_rule = bool(text) and name_problem(text) is None
    assert (re.fullmatch(NAME_PATTERN, text) is not None) == follows_the_rule
    assert SCHEMA_PATTERN.is_valid(text) == follows_the_rule


def test_the_rule_takes_linear_time_on_huge_values():
    for huge in ("a" * 10**6 + "\n", "\u200b" * 10**6, "a\u200b" * 10**6 + "\u202e"):
        assert re.fullmatch(NAME_PATTERN, huge) is None
        assert name_problem(huge) is not None


def test_normalising_examples():
    assert name_normalise("Ref\nBcc: someone@example.com") == "Ref Bcc: someone@example.com"
    assert name_normalise("\tAda\x00  Lovelace\r\n") == "Ada Lovelace"
    assert name_normalise("\u202eevil\u202c") == "evil"
    assert name_normalise("\u200b\u200d") == ""
    assert name_normalise("Zoë 👩🏽\u200d💻") == "Zoë 👩🏽\u200d💻"


# --- Headers ---------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=ANY_TEXT)
def test_any_text_makes_a_subject_that_adds_no_header_and_encodes(text):
    subject = one_line(text)
    message = EmailMessage(
        subject=subject, body="Body", from_email="warmpath@example.com", to=["a@example.com"]
    ).message()
    raw = message.as_bytes()  # BadHeaderError or UnicodeEncodeError would raise here
    parsed = email.message_from_bytes(raw)
    assert parsed.get_all("Bcc") is None
    assert parsed.get_all("To") == ["a@example.com"]
    assert len(parsed.get_all("Subject") or [""]) == 1


@settings(max_examples=200, deadline=None, derandomize=True)
@given(text=ANY_TEXT)
def test_any_file_name_makes_a_download_header(text):
    response = HttpResponse()
    response["Content-Disposition"] = attachment(text or "export.csv")  # never BadHeaderError
    assert "\n" not in response["Content-Disposition"]
    assert "\r" not in response["Content-Disposition"]
