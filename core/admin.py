"""Pieces the apps' admin classes share."""

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.db import models

from core.dates import FIRST_DAY, FIRST_MOMENT, LAST_DAY, LAST_MOMENT


class DateHierarchyInWindowAdmin(admin.ModelAdmin):
    """An admin whose date_hierarchy is a date users type (core.dates' window). The
    hierarchy truncates times in the admin's zone inside the database, which fails (a
    500) on a time stored outside the window before it existed: it covers the window's
    rows only. The list itself, computed before, still shows every row."""

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        path = changelist.date_hierarchy
        if path:
            field = get_fields_from_path(self.model, path)[-1]
            if isinstance(field, models.DateTimeField):
                window = (FIRST_MOMENT, LAST_MOMENT)
            else:
                window = (FIRST_DAY, LAST_DAY)
            # Read by the date_hierarchy tag alone once the list's rows are fetched.
            changelist.queryset = changelist.queryset.filter(**{f"{path}__range": window})
        return changelist
