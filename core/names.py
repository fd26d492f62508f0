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

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.deconstruct import deconstructible

NAME_CONTROL_CHARACTERS = (
    "A name is one line of text: no line breaks, tabs or other control characters."
)
NAME_DIRECTION_CONTROLS = (
    "A name cannot contain characters that reorder the text (right-to-left overrides or "
    "isolates, U+202A–U+202E and U+2066–U+2069); type the name as it reads."
)
NAME_INVISIBLE = "A name needs at least one visible character."
NAME_REFUSED_CODE = "invalid_name"

# The three kinds of character, as ranges of code points (first, last). Written out rather
# than read from unicodedata, so the rule, and the pattern the API's schema shows, do not
# change with the Python version's Unicode tables (these are Unicode 15's).
#
# Breaking the line: the C0 and C1 controls and DEL (CR, LF, tab, NUL included), the line
# and paragraph separators, surrogates (a lone one cannot be encoded).
BREAKING = ((0x00, 0x1F), (0x7F, 0x9F), (0x2028, 0x2029))
# Reordering: the bidirectional embeddings and overrides (LRE, RLE, PDF, LRO, RLO) and
# isolates (LRI, RLI, FSI, PDI). The marks (LRM, RLM, ALM) reorder nothing by themselves.
REORDERING = ((0x202A, 0x202E), (0x2066, 0x2069))
# Showing nothing: the spaces (Zs) and the other format characters (Cf: zero-width
# space, joiners, BOM…) and what shows nothing although it is neither: the combining
# grapheme joiner, Hangul fillers, Khmer inherent vowels, blank braille, the variation
# selectors. Only those of the Basic Multilingual Plane: a JSON Schema pattern (ECMA-262)
# cannot name the others, and the pattern must say exactly what the rule does (a name
# made only of emoji tag characters is an oddity, not a trick that works on people).
INVISIBLE = (
    (0x20, 0x20),
    (0xA0, 0xA0),
    (0xAD, 0xAD),
    (0x34F, 0x34F),
    (0x600, 0x605),
    (0x61C, 0x61C),
    (0x6DD, 0x6DD),
    (0x70F, 0x70F),
    (0x890, 0x891),
    (0x8E2, 0x8E2),
    (0x115F, 0x1160),
    (0x1680, 0x1680),
    (0x17B4, 0x17B5),
    (0x180E, 0x180E),
    (0x2000, 0x200F),
    (0x202F, 0x202F),
    (0x205F, 0x2064),
    (0x206A, 0x206F),
    (0x2800, 0x2800),
    (0x3000, 0x3000),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF9, 0xFFFB),
)
# Lone surrogates break the line too, but no ECMA-262 pattern names them: the pattern
# leaves them out. (JSON bodies and REST framework refuse them before any rule.)
SURROGATES = ((0xD800, 0xDFFF),)


def _characters(ranges) -> frozenset[str]:
    return frozenset(chr(code) for first, last in ranges for code in range(first, last + 1))


def _escape(code: int) -> str:
    return f"\\u{code:04x}"  # understood alike by Python and ECMA-262 (JSON Schema)


def _class(ranges) -> str:
    """The ranges as the inside of a regular expression's [...], written with escapes."""
    return "".join(
        _escape(first) if first == last else f"{_escape(first)}-{_escape(last)}"
        for first, last in ranges
    )


BREAKING_CHARACTERS = _characters(BREAKING + SURROGATES)
DIRECTION_CONTROLS = _characters(REORDERING)
INVISIBLE_CHARACTERS = _characters(INVISIBLE)

# The rule as one regular expression (the API's schema shows it as the fields' pattern):
# invisible characters, then a visible one, then anything but line breakers and
# reorderers. It refuses the empty name, which validators never see (a blank field is the
# field's business; the schema shows a blank name as the other of its two forms). Linear
# in time whatever the length: the invisible start and the first visible character cannot
# match the same characters, so nothing is tried twice.
NAME_PATTERN = (
    rf"\A[{_class(INVISIBLE)}]*"
    rf"[^{_class(BREAKING + REORDERING + INVISIBLE)}]"
    rf"[^{_class(BREAKING + REORDERING)}]*\Z"
)


def name_problem(value: str) -> str | None:
    """The message of the first rule `value` breaks, or None. An empty value breaks none:
    whether a name may be blank is its field's business."""
    if not value:
        return None
    if any(character in BREAKING_CHARACTERS for character in value):
        return NAME_CONTROL_CHARACTERS
    if any(character in DIRECTION_CONTROLS for character in value):
        return NAME_DIRECTION_CONTROLS
    if all(character in INVISIBLE_CHARACTERS for character in value):
        return NAME_INVISIBLE
    return None


@deconstructible(path="core.names.NameValidator")
class NameValidator(RegexValidator):
    """The rule above, on every name field (models, and the forms and serializers built
    from them). A regular expression, so the API's schema documents it as a pattern; the
    message says which part of the rule the name breaks."""

    regex = NAME_PATTERN
    code = NAME_REFUSED_CODE

    def __call__(self, value) -> None:
        problem = name_problem(str(value))
        if problem:
            raise ValidationError(problem, code=self.code)


validate_name = NameValidator()


def name_normalise(value: str) -> str:
    """The name as it should have been typed: control characters, line breaks and tabs
    become spaces, direction controls are dropped, runs of spaces become one, the ends are
    trimmed; a name with nothing visible left is empty. `validate_name` accepts what this
    returns."""
    text = "".join(
        " " if character in BREAKING_CHARACTERS else character
        for character in (value or "")
        if character not in DIRECTION_CONTROLS
    )
    text = " ".join(text.split())
    if all(character in INVISIBLE_CHARACTERS for character in text):
        return ""
    return text
