"""A follow-up item's due time (followup_tags.due): one conversion to the user's zone, then
every way the item writes it — the <time> element's value and title, the short date, how
long until or since, overdue or not — exactly as Django's date formats and the
relative_due filter write them, for any moment of the date window, any zone (half-hour
offsets, daylight-saving days, UTC−12 and UTC+14) and any language (the day and month
names are cached per day: a cache shared across languages would mix them)."""

from datetime import UTC, datetime
from unittest import mock
from zoneinfo import ZoneInfo

from django.template import Context, Template
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from core.dates import FIRST_MOMENT, LAST_MOMENT
from followups.templatetags.followup_tags import due, relative_due

ZONES = [
    "UTC",
    "America/New_York",
    "America/St_Johns",
    "Europe/Berlin",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Kiritimati",
    "Etc/GMT+12",
]
LANGUAGES = ["en-us", "en-gb", "de", "fr", "ja"]
# What the item's template wrote with Django's date filter before `due` existed.
AS_THE_DATE_FILTER_WRITES = Template(
    "{{ moment|date:'c' }}|{{ moment|date:'l j F Y, H:i T' }}|{{ moment|date:'D j M, H:i' }}"
)

moments = st.datetimes(
    min_value=FIRST_MOMENT.astimezone(UTC).replace(tzinfo=None),
    max_value=LAST_MOMENT.astimezone(UTC).replace(tzinfo=None),
    timezones=st.just(UTC),
)


@settings(deadline=None, max_examples=300)
@given(
    moment=moments,
    now=moments,
    zone=st.sampled_from(ZONES),
    language=st.sampled_from(LANGUAGES),
)
def test_due_writes_what_the_date_formats_write(moment, now, zone, language):
    with (
        timezone.override(ZoneInfo(zone)),
        translation.override(language),
        mock.patch.object(timezone, "now", return_value=now),
    ):
        shown = due(moment)
        iso, full, short = AS_THE_DATE_FILTER_WRITES.render(Context({"moment": moment})).split("|")
        relative = relative_due(moment)

    assert (shown.iso, shown.full, shown.short) == (iso, full, short)
    assert shown.relative == relative
    assert shown.past is (moment < now)


def test_no_due_time_writes_nothing():
    assert due(None) is None


def test_the_same_day_in_two_languages_keeps_each_its_names():
    moment = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    with timezone.override(ZoneInfo("UTC")):
        with translation.override("en-us"):
            english = due(moment).short
        with translation.override("de"):
            german = due(moment).short
    assert (english, german) == ("Mon 7 Dec, 09:30", "Mo 7 Dez, 09:30")
