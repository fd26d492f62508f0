"""Pieces the apps' admin classes share."""

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.db import models

from core.dates import FIRST_DAY, FIRST_MOMENT, LAST_DAY, LAST_MOMENT


class DateHierarchyInWindowAdmin(admin.ModelAdmin):
    """An admin whose date_hierarchy is a time the users type (core.dates' window). The
    hierarchy truncates times in the admin's zone inside the database, which fails (a
    500) for a time stored outside the window before it existed; with such rows in the
    list, the hierarchy is left out and the list shown without it."""

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        path = changelist.date_hierarchy
        if path:
            field = get_fields_from_path(self.model, path)[-1]
            if isinstance(field, models.DateTimeField):
                first, last = FIRST_MOMENT, LAST_MOMENT
            else:
                first, last = FIRST_DAY, LAST_DAY
            outside = models.Q(**{f"{path}__lt": first}) | models.Q(**{f"{path}__gt": last})
            if changelist.queryset.filter(outside).exists():
                changelist.date_hierarchy = None
        return changelist
