"""The one window of dates Warmpath accepts, and every piece that holds input to it.

Python's calendar ends at years 1 and 9999. A time stored at that edge leaves the calendar
when it is shown in a zone on the far side of UTC (an ask dated 0001-01-01 00:00 UTC is
year 0 in New York: OverflowError, a 500 on every page that shows it), and a date there
leaves it as soon as a page adds a day or a week to it (?week=9999-12-31). So every date
and time that enters Warmpath — a form, the API, a query parameter, a CSV cell — must lie
between FIRST_DAY and LAST_DAY, checked here, and is refused otherwise with OUTSIDE_WINDOW
on the field that carried it.

Why these years: the oldest date a sales team records is when a long-standing client
became one, or since when two people know each other — decades back, within a lifetime,
never before 1900. The furthest ahead is a goal, a deal to close, a follow-up — years
ahead, not a century. Anything outside is a typo (0202 for 2020, 2206 for 2026) or a
probe. The window is wide enough that nothing computed from a date in it (a period's
weeks, twelve weeks of trend, a day in the zones UTC−12 to UTC+14) comes near the edge.

The pieces, one per way a date comes in, all built on in_window():
- model fields DateField / DateTimeField (the window as a validator, hence in ModelForms,
  the admin and ModelSerializers), whose times read back from the database are safe to
  show in any zone even when stored outside the window before it existed;
- form fields DateFormField / DateTimeFormField (pages, and the filters of core.filters);
- serializer fields DateSerializerField / DateTimeSerializerField (core.serializers maps
  model dates to them);
- parse_day() for a day in a query parameter read by hand.
tests/test_date_window.py walks the project and fails on a date input without the window.
"""

from datetime import UTC, date, datetime, timedelta, timezone

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from rest_framework import serializers

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2100, 12, 31)
# The first and last instants that are a day of the window somewhere on Earth (UTC+14 is
# the first zone into a day, UTC−12 the last out of it): where a time typed in the window
# in any zone can be, once stored in UTC.
FIRST_MOMENT = datetime.combine(FIRST_DAY, datetime.min.time(), timezone(timedelta(hours=14)))
LAST_MOMENT = datetime.combine(LAST_DAY, datetime.max.time(), timezone(timedelta(hours=-12)))

# The window as the API's schema can say it, a pattern on the text of a day or a time: the
# years 1900 to 2100, offsets from UTC−12 to UTC+14. A day is also `format: date` (the
# calendar says which days exist). A time is the pattern alone, which says what Warmpath
# reads — seconds and offset may be left out, unlike `format: date-time` — and admits no
# 29 February, 30 or 31 of a month without one (a leap day is accepted, not advertised).
_YEAR = "(19[0-9]{2}|20[0-9]{2}|2100)"
_DAY = _YEAR + "-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_EXISTING_DAY = (
    _YEAR + "-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
)
_TIME = "([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?"
_OFFSET = "(Z|[+](0[0-9]|1[0-3]):[0-5][0-9]|[+]14:00|-(0[0-9]|1[01]):[0-5][0-9]|-12:00)"
DAY_PATTERN = f"^{_DAY}$"
MOMENT_PATTERN = f"^{_EXISTING_DAY}[T ]{_TIME}{_OFFSET}?$"
DAY_SCHEMA = {"type": "string", "format": "date", "pattern": DAY_PATTERN}
MOMENT_SCHEMA = {"type": "string", "pattern": MOMENT_PATTERN}

WINDOW = f"{FIRST_DAY.day} {FIRST_DAY:%B %Y} to {LAST_DAY.day} {LAST_DAY:%B %Y}"
OUTSIDE_WINDOW = f"Outside the years Warmpath keeps: give a date from {WINDOW}."
NOT_A_DATE = "Use a date like 2026-03-02."
OUTSIDE_WINDOW_CODE = "outside_window"


def in_window(value: date | datetime) -> bool:
    """Is this date, or this time's day as written (in its own offset, or naive), in the
    window? What the user typed is what is checked, before any move to another zone."""
    day = value.date() if isinstance(value, datetime) else value
    return FIRST_DAY <= day <= LAST_DAY


def validate_in_window(value: date | datetime) -> None:
    """The window as a Django validator (model, form and serializer fields). A time with
    a zone is checked as an instant (FIRST_MOMENT..LAST_MOMENT), so a time accepted as
    typed in any zone stays valid once moved to UTC for storage."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        inside = FIRST_MOMENT <= value <= LAST_MOMENT
    else:
        inside = in_window(value)
    if not inside:
        raise ValidationError(OUTSIDE_WINDOW, code=OUTSIDE_WINDOW_CODE)


def parse_day(text: str | None) -> date | None:
    """A day read by hand from a query parameter (ISO 8601, 2026-03-02); None when empty.
    ValidationError with NOT_A_DATE or OUTSIDE_WINDOW otherwise."""
    if text is None or not str(text).strip():
        return None
    try:
        day = date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValidationError(NOT_A_DATE, code="invalid") from None
    validate_in_window(day)
    return day


# --- Times stored before the window existed --------------------------------------------------


class OutOfWindowDateTime(datetime):
    """A time read from the database that lies outside the window: stored before the
    window was enforced, or by hand. Moving it to a zone where it would leave the calendar
    keeps it in UTC instead of raising OverflowError, so every page, email, export and API
    answer that shows it (templates, the admin, DRF all call astimezone) still works.
    DateTimeField hands these out; a time that came in as input is never one."""

    def astimezone(self, tz=None):
        try:
            return super().astimezone(tz)
        except OverflowError:
            return self


def nearest_in_window(moment: datetime) -> datetime:
    """A stored time as the nearest one the window holds: for computing from a record
    stored outside the window before it existed (a week after 9999-12-31 is no date)."""
    return min(max(moment, FIRST_MOMENT), LAST_MOMENT)


def _safe_to_show(value):
    if isinstance(value, datetime) and value.tzinfo is not None and not in_window(value):
        return OutOfWindowDateTime.combine(value.date(), value.timetz())
    return value


# --- Model fields ------------------------------------------------------------------------------


class DateField(models.DateField):
    """models.DateField with the window. The window is validation, not schema: migrations
    record a plain DateField, so the window never needs a migration."""

    default_validators = [validate_in_window]

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": DateFormField, **kwargs})

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateField", args, kwargs


class DateTimeField(models.DateTimeField):
    """models.DateTimeField with the window, whose values read back from the database are
    safe to show in any zone (OutOfWindowDateTime). Migrations record a plain
    DateTimeField."""

    default_validators = [validate_in_window]

    def from_db_value(self, value, expression, connection):
        return _safe_to_show(value)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": DateTimeFormField, **kwargs})

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateTimeField", args, kwargs


# --- Form fields -------------------------------------------------------------------------------


class DateFormField(forms.DateField):
    """forms.DateField with the window."""

    default_validators = [validate_in_window]


class DateTimeFormField(forms.DateTimeField):
    """forms.DateTimeField with the window, checked on the time as typed (naive: in the
    user's zone; or with the ISO offset given), then kept in UTC: an offset PostgreSQL
    cannot store (e.g. -18:01) must not reach the database as typed."""

    default_validators = [validate_in_window]

    def to_python(self, value):
        result = super().to_python(value)
        if result is None:
            return None
        if not in_window(result):
            raise ValidationError(OUTSIDE_WINDOW, code=OUTSIDE_WINDOW_CODE)
        return result.astimezone(UTC)


# --- Serializer fields (the API) ---------------------------------------------------------------


class DateSerializerField(serializers.DateField):
    """serializers.DateField with the window."""

    default_error_messages = {OUTSIDE_WINDOW_CODE: OUTSIDE_WINDOW}
    default_validators = [validate_in_window]

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not in_window(day):
            self.fail(OUTSIDE_WINDOW_CODE)
        return day


class DateTimeSerializerField(serializers.DateTimeField):
    """serializers.DateTimeField with the window, checked on the time as sent, before DRF
    moves it to a zone (where a time at the calendar's edge would overflow)."""

    default_error_messages = {OUTSIDE_WINDOW_CODE: OUTSIDE_WINDOW}
    default_validators = [validate_in_window]

    def enforce_timezone(self, value):
        # DRF's last step of reading a time; also its first of showing one, where a time
        # outside the window (stored before it existed) is an OutOfWindowDateTime.
        if not isinstance(value, OutOfWindowDateTime) and not in_window(value):
            self.fail(OUTSIDE_WINDOW_CODE)
        return super().enforce_timezone(value)

    def to_representation(self, value):
        # Shown as it is, never refused: only input is held to the window.
        return super().to_representation(_safe_to_show(value))


def monday(day: date) -> date:
    """The Monday of the week of `day` (weeks run Monday to Sunday everywhere in Warmpath:
    goals, trends, the weekly rollups)."""
    return day - timedelta(days=day.weekday())
