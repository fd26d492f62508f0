"""Pieces the apps' admin classes share."""

from datetime import date

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.db import models
from django.utils.text import capfirst

from core.dates import FIRST_DAY, FIRST_MOMENT, LAST_DAY, LAST_MOMENT, OUTSIDE_WINDOW, in_window
from core.http import parse_id


class _KnownIdsOnly:
    """An autocomplete widget that shows only the chosen values that can be ids. Django's
    looks every submitted value up to show it again with the form's errors, so a value
    that is no id (" ", "abc", 10**30) raised ValueError there: a 500 instead of the
    form's "Select a valid choice"."""

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        if isinstance(target, models.IntegerField | models.AutoField):
            value = [item for item in value if parse_id(item) is not None]
        return super().optgroups(name, value, attr)


class _Select(_KnownIdsOnly, AutocompleteSelect):
    pass


class _SelectMultiple(_KnownIdsOnly, AutocompleteSelectMultiple):
    pass


class AutocompleteAdminMixin:
    """For every admin and inline with autocomplete_fields: their widgets refuse a value
    that is not an id with the form's error, as every other field does (_KnownIdsOnly)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = _Select(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = _SelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class DateHierarchyInWindowAdmin(admin.ModelAdmin):
    """An admin whose date_hierarchy holds to core.dates' window, both ways.

    What comes in: a drill-down to a year, month or day outside the window
    (?asked_at__year=9999) made Django's admin compute the next year or day past the
    calendar's end (a 500); it is refused with the window's message, naming the field.

    What is shown: the hierarchy truncates times in the admin's zone inside the database,
    which fails (a 500) on a time stored outside the window before it existed, so it covers
    the window's rows only. The list itself, computed before, still shows every row."""

    def get_changelist_instance(self, request):
        if self.date_hierarchy:
            self._refuse_a_drill_down_outside_the_window(request)
        changelist = super().get_changelist_instance(request)
        path = changelist.date_hierarchy
        if path:
            if isinstance(self._hierarchy_field(), models.DateTimeField):
                window = (FIRST_MOMENT, LAST_MOMENT)
            else:
                window = (FIRST_DAY, LAST_DAY)
            # Read by the date_hierarchy tag alone once the list's rows are fetched.
            changelist.queryset = changelist.queryset.filter(**{f"{path}__range": window})
        return changelist

    def _hierarchy_field(self):
        return get_fields_from_path(self.model, self.date_hierarchy)[-1]

    def _refuse_a_drill_down_outside_the_window(self, request) -> None:
        path = self.date_hierarchy
        year = request.GET.get(f"{path}__year")
        if year is None:
            return
        try:
            first = date(
                int(year),
                int(request.GET.get(f"{path}__month") or 1),
                int(request.GET.get(f"{path}__day") or 1),
            )
        except ValueError:
            return  # not a day at all: Django's admin refuses it itself
        except OverflowError:
            first = None
        if first is None or not in_window(first):
            label = capfirst(self._hierarchy_field().verbose_name)
            self.message_user(request, f"{label}: {OUTSIDE_WINDOW}", messages.ERROR)
            raise IncorrectLookupParameters(OUTSIDE_WINDOW)
