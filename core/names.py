"""The one rule of every name Warmpath stores or shows as a name: people's first and last
names (contacts and users), companies, teams, deals, the people we introduced.

A name is one line of visible text, in any script. Three kinds of character break that:

- control characters (C0 and C1, so CR, LF, tab and NUL too), line and paragraph
  separators and lone surrogates: a name reaches email subjects, where a line break
  starts a new header ("Ref\\nBcc: someone@example.com"), and CSV cells and logs;
- the bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069):
  they reorder the text shown after them, so "\\u202eevil" reads "live" and a name can
  pose as another one; right-to-left names need none of them;
- nothing visible at all: a value of zero-width spaces and joiners, Hangul fillers or
  blank braille is an empty name that looks filled in.

Typed names (forms, the API, the admin, `add_member`) are refused with a message that says
which rule (`validate_name`, a validator of every name field, so model forms and model
serializers carry it). Names read from a file (the CSV and LinkedIn imports) and names
Warmpath builds from other names are normalised instead (`name_normalise`): control
characters become spaces, direction controls are dropped, spaces are collapsed; a name
left with nothing visible becomes empty, which the import reports as a row without a name.
"""

import unicodedata

from django.core.exceptions import ValidationError

NAME_CONTROL_CHARACTERS = (
    "A name is one line of text: no line breaks, tabs or other control characters."
)
NAME_DIRECTION_CONTROLS = (
    "A name cannot contain characters that reorder the text (right-to-left overrides or "
    "isolates, U+202A–U+202E and U+2066–U+2069); type the name as it reads."
)
NAME_INVISIBLE = "A name needs at least one visible character."
NAME_REFUSED_CODE = "invalid_name"

# Bidirectional embeddings and overrides (LRE, RLE, PDF, LRO, RLO) and isolates (LRI, RLI,
# FSI, PDI). The marks (LRM, RLM, ALM) reorder nothing by themselves and stay allowed.
DIRECTION_CONTROLS = frozenset(
    chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
)

# Characters that show nothing although they are not spaces or format characters: the
# combining grapheme joiner, Hangul fillers, the Khmer inherent vowels, blank braille, and
# the variation selectors. (Unicode's "default ignorable" code points, as far as names go.)
_INVISIBLE_OTHERS = frozenset(
    chr(code)
    for code in (
        0x034F,
        0x115F,
        0x1160,
        0x17B4,
        0x17B5,
        0x2800,
        0x3164,
        0xFFA0,
        *range(0xFE00, 0xFE10),
        *range(0xE0100, 0xE01F0),
    )
)
# Control characters (C0, C1, DEL), lone surrogates, line and paragraph separators.
_BREAKING_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
# Format characters (zero-width space and joiners, BOM…) and spaces.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Zs", "Zl", "Zp", "Cc"})


def _breaks_the_line(character: str) -> bool:
    return unicodedata.category(character) in _BREAKING_CATEGORIES


def _is_invisible(character: str) -> bool:
    return (
        character in _INVISIBLE_OTHERS or unicodedata.category(character) in _INVISIBLE_CATEGORIES
    )


def name_problem(value: str) -> str | None:
    """The message of the first rule `value` breaks, or None. An empty value breaks none:
    whether a name may be blank is its field's business."""
    if not value:
        return None
    if any(_breaks_the_line(character) for character in value):
        return NAME_CONTROL_CHARACTERS
    if any(character in DIRECTION_CONTROLS for character in value):
        return NAME_DIRECTION_CONTROLS
    if all(_is_invisible(character) for character in value):
        return NAME_INVISIBLE
    return None


def validate_name(value) -> None:
    """Refuses a name that breaks the rule above, with the message of the rule. A validator
    of every name field (models, and the forms and serializers built from them)."""
    problem = name_problem(str(value))
    if problem:
        raise ValidationError(problem, code=NAME_REFUSED_CODE)


def name_normalise(value: str) -> str:
    """The name as it should have been typed: control characters, line breaks and tabs
    become spaces, direction controls are dropped, runs of spaces become one, the ends are
    trimmed; a name with nothing visible left is empty. `validate_name` accepts what this
    returns."""
    text = "".join(
        " " if _breaks_the_line(character) else character
        for character in (value or "")
        if character not in DIRECTION_CONTROLS
    )
    text = " ".join(text.split())
    if all(_is_invisible(character) for character in text):
        return ""
    return text
