"""Filters shared by the JSON APIs of every app (django-filter plumbing, no Warmpath app)."""

import datetime

import django_filters
from rest_framework import exceptions

OUT_OF_RANGE_TIME = "Give a time between years 1 and 9999, with an offset within ±15:59."


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time filter that queries in UTC. A valid offset PostgreSQL cannot
    store (e.g. -18:01), or a time at year 1 or 9999 that leaves the calendar once moved
    to UTC, reached the database as it was: a 500. Now UTC, or a 400."""

    def filter(self, qs, value):
        if value is not None and value.tzinfo is not None:
            try:
                value = value.astimezone(datetime.UTC)
            except OverflowError:
                raise exceptions.ValidationError({self.field_name: [OUT_OF_RANGE_TIME]}) from None
        return super().filter(qs, value)
