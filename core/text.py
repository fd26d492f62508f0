"""Text Warmpath builds from other text: made to fit where it goes.

- `fit_field`: every value *derived* from other data (a deal's name built from two
  people's names, a timeline line, a notification, an email subject, a file name) is
  written through it, so it fits its column whatever the names it was built from: too
  long, it is cut with an ellipsis, never in the middle of a character as the reader sees
  it (a letter and its accents, an emoji sequence, a flag); into a name field, it also
  follows the rule of names (core.names). A column too short raised DataError on
  PostgreSQL — for ever, on each retry of the same step.
- `one_line`: the one way text becomes a header's value (an email's subject, a download's
  file name), whatever its source and however old the row it comes from: nothing in it
  can end the line and start another header.
"""

import unicodedata

from core.names import BREAKING_CHARACTERS, DIRECTION_CONTROLS, name_normalise, validate_name

ELLIPSIS = "…"

_ZERO_WIDTH_JOINER = "\u200d"


def _extends_previous(character: str) -> bool:
    """A character that belongs to the one before it on screen (UAX #29's Extend and
    SpacingMark, as far as names and sentences go): combining marks, the zero-width
    joiner, variation selectors, emoji skin tones, emoji tags."""
    code = ord(character)
    return (
        unicodedata.category(character) in ("Mn", "Me", "Mc")
        or character == _ZERO_WIDTH_JOINER
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
        or 0xE0100 <= code <= 0xE01EF
    )


def _is_regional_indicator(character: str) -> bool:
    return 0x1F1E6 <= ord(character) <= 0x1F1FF


def _is_high_surrogate(character: str) -> bool:
    return 0xD800 <= ord(character) <= 0xDBFF


def _is_boundary(text: str, position: int) -> bool:
    """Whether cutting `text` at `position` keeps every character the reader sees whole."""
    if position <= 0 or position >= len(text):
        return True
    before, after = text[position - 1], text[position]
    if _is_high_surrogate(before):  # a surrogate pair kept as two code points
        return False
    if _extends_previous(after) or before == _ZERO_WIDTH_JOINER:
        return False
    if _is_regional_indicator(before) and _is_regional_indicator(after):
        # Flags are pairs of regional indicators: cut only after an even number of them.
        run = 0
        while position - run - 1 >= 0 and _is_regional_indicator(text[position - run - 1]):
            run += 1
        return run % 2 == 0
    return True


def fit(text: str, max_length: int, *, ellipsis: str = ELLIPSIS) -> str:
    """`text`, or when longer than `max_length` characters its start and an ellipsis, at
    most `max_length` characters in all. The cut falls between two characters as the reader
    sees them; only a single "character" longer than the room (a letter under hundreds of
    accents) is cut inside."""
    if len(text) <= max_length:
        return text
    if max_length <= len(ellipsis):
        ellipsis = ""
    room = max_length - len(ellipsis)
    cut = room
    while cut > 0 and not _is_boundary(text, cut):
        cut -= 1
    if cut == 0:
        cut = room - 1 if room and _is_high_surrogate(text[room - 1]) else room
    return text[:cut].rstrip() + ellipsis


def fit_field(model, field_name: str, text: str) -> str:
    """`text` as the field `field_name` of `model` may hold it: a name by the rule of names
    (core.names) when the field holds one, and no longer than its max_length (`fit`)."""
    field = model._meta.get_field(field_name)
    if validate_name in field.validators:
        text = name_normalise(text)
    if field.max_length is not None:
        text = fit(text, field.max_length)
    return text


def one_line(text: str) -> str:
    """`text` safe as a header's value: every character that breaks the line by the rule of
    names (core.names: C0 and C1 controls, so CR, LF, tab and NUL too, line and paragraph
    separators) becomes a space, a lone surrogate (it cannot be encoded) U+FFFD, direction
    controls are dropped, runs of spaces become one, the ends are trimmed."""
    characters = []
    for character in text or "":
        if character in DIRECTION_CONTROLS:
            continue
        if character in BREAKING_CHARACTERS:
            characters.append("\ufffd" if "\ud800" <= character <= "\udfff" else " ")
        else:
            characters.append(character)
    return " ".join("".join(characters).split())


def fit_file_name(name: str, max_length: int) -> str:
    """A file name on one line, at most `max_length` characters, keeping its extension
    (".csv") when it has to be shortened."""
    name = one_line(name)
    if len(name) <= max_length:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) + 2 > max_length // 2:
        return fit(name, max_length)
    return fit(stem, max_length - len(extension) - 1) + "." + extension
