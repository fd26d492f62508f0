"""The plumbing of every list's filters (django-filter, no Warmpath app).

A list has one FilterSet (in its app's filters.py) holding every filter and the search
box, used by its page (bound to request.GET) and by its API (the viewset's
filterset_class), so the two cannot filter the same list differently. The API answers a
malformed filter with a 400; a page ignores it, says so, and applies the others. Date
filters hold core.dates' window (DateFilter, UtcIsoDateTimeFilter).
"""

from collections.abc import Callable, Iterable

import django_filters
from django import forms
from django.db import models
from django.db.models import Q
from drf_spectacular.drainage import get_override, set_override
from drf_spectacular.utils import extend_schema_field

from core.dates import DAY_SCHEMA, MOMENT_SCHEMA, DateFormField, DateTimeFormField
from core.http import MAX_ID
from core.search import search_words, words_match


def _documented(filter_, **bounds) -> None:
    """The schema of a filter whose class fixes it (extend_schema_field below), made the
    filter's own with what this one says: its help_text (drf-spectacular reads no
    description past a class's schema, so the parameter was undocumented) and its own
    bounds (a fit of at most 100 read as "up to the largest id")."""
    schema = dict(get_override(type(filter_), "field"))
    schema.update({name: value for name, value in bounds.items() if value is not None})
    if filter_.extra.get("help_text"):
        schema["description"] = str(filter_.extra["help_text"])
    set_override(filter_, "field", schema)


class _DocumentedMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _documented(self)


@extend_schema_field(DAY_SCHEMA)
class DateFilter(_DocumentedMixin, django_filters.DateFilter):
    """A day (2026-03-02), in the window of core.dates: a day at the calendar's edge made
    the pages that add to it or show it in a zone fail (a 500)."""

    field_class = DateFormField


@extend_schema_field(MOMENT_SCHEMA)
class UtcIsoDateTimeFilter(_DocumentedMixin, django_filters.IsoDateTimeFilter):
    """An ISO 8601 time, in the window of core.dates, queried in UTC: a valid offset
    PostgreSQL cannot store (e.g. -18:01) reached the database as it was (a 500)."""

    field_class = DateTimeFormField


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """A record's id. A plain number, not a model choice: an id the user cannot see
    simply matches nothing, and no query is spent validating it. Only ids a database
    column holds: a larger number reached the query (a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
        _documented(self, minimum=kwargs["min_value"], maximum=kwargs["max_value"])


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": MAX_ID})
class WholeNumberFilter(django_filters.NumberFilter):
    """A count or a grade (a relationship's strength…): a whole number, as its column
    holds. django-filter's own number filter took 0.5 and a 40-digit number."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
        _documented(self, minimum=kwargs["min_value"], maximum=kwargs["max_value"])


@extend_schema_field({"type": "boolean"})
class BooleanFilter(django_filters.BooleanFilter):
    """true or false (or empty: not applied). django-filter's own took `null`, `unknown`
    and anything else as "not applied", silently."""

    field_class = forms.TypedChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "Yes"), ("false", "No")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        kwargs.setdefault("empty_value", None)
        super().__init__(*args, **kwargs)
        _documented(self)


# Text a filter takes: any but NUL, which Django's form fields refuse (a 400 to a request
# the schema allowed, found by schemathesis on the search box).
TEXT_SCHEMA = {"type": "string", "pattern": "^[^\\x00]*$"}


@extend_schema_field(TEXT_SCHEMA)
class TextFilter(_DocumentedMixin, django_filters.CharFilter):
    """A text filter (a company's country…), documented as taking no NUL character."""


class FilterSet(django_filters.rest_framework.FilterSet):
    """The base of every list's FilterSet: a filter generated for a whole-number column is
    a whole-number filter, and a yes/no filter takes true or false only."""

    FILTER_DEFAULTS = {
        **django_filters.rest_framework.FilterSet.FILTER_DEFAULTS,
        **{
            field_class: {"filter_class": WholeNumberFilter}
            for field_class in (
                models.IntegerField,
                models.SmallIntegerField,
                models.PositiveIntegerField,
                models.PositiveSmallIntegerField,
                models.BigIntegerField,
            )
        },
        models.BooleanField: {"filter_class": BooleanFilter},
        models.CharField: {"filter_class": TextFilter},
        models.TextField: {"filter_class": TextFilter},
    }


@extend_schema_field(TEXT_SCHEMA)
class WordsFilter(_DocumentedMixin, django_filters.CharFilter):
    """The search box (core.search's rule): every word typed must appear in one of
    `fields`, or satisfy `condition(text)` when a list needs a finer query (contacts)."""

    def __init__(
        self,
        *,
        fields: Iterable[str] = (),
        condition: Callable[[str], Q] | None = None,
        **kwargs,
    ):
        kwargs.setdefault("label", "Search")
        super().__init__(**kwargs)
        self.search_fields = tuple(fields)
        self.condition = condition

    def filter(self, qs, value):
        if not search_words(value):
            return qs
        if self.condition is not None:
            return qs.filter(self.condition(value))
        return qs.filter(words_match(value, self.search_fields))


def search_filters(
    *, fields: Iterable[str] = (), condition=None, label: str = "Search", help_text: str = ""
):
    """The search box under both its names: `q` (the pages' box) and `search` (the API's
    name since v1). Either or both may be given; each must match."""
    return tuple(
        WordsFilter(fields=fields, condition=condition, label=label, help_text=help_text)
        for _name in ("q", "search")
    )


def filters_in_force(filterset: django_filters.FilterSet) -> dict:
    """The valid filters given, by parameter name: what a page shows as "filtered", and
    what a CSV export stores to rebuild the same list later."""
    filterset.is_valid()  # fills cleaned_data; an invalid filter is left out, i.e. ignored
    return {
        name: value
        for name, value in filterset.form.cleaned_data.items()
        if value not in (None, "")
    }


def page_form(
    filterset: django_filters.FilterSet,
    *,
    shown: Iterable[str],
    choices: dict[str, list[tuple]] | None = None,
) -> forms.Form:
    """The filter set's form as a list page shows it: the `shown` filters, in that
    order; every other filter stays in force (a link may carry it, and the template
    keeps it as a hidden input when set) without a control of its own. `choices` turns a
    number filter into a select (the reps a manager may pick)."""
    # Validated first, with the filters' own widgets: an invalid filter is left out of
    # cleaned_data, i.e. ignored, and the others apply (filterset.qs, filter_queryset).
    filterset.is_valid()
    form = filterset.form
    shown = list(shown)
    for name, field in form.fields.items():
        form[name].help_text = ""  # the API's documentation, not the page's
        if name not in shown:
            field.widget = forms.HiddenInput()
    for name, options in (choices or {}).items():
        form.fields[name].widget = forms.Select(choices=options)
    form.order_fields(shown)
    return form
