"""The admin site as a whole, once every app has registered its models (Django imports
this module last among the apps' admin modules: config comes after them in
INSTALLED_APPS).

Every date hierarchy of the site, ours and the third-party apps' alike (django-celery-beat,
django-axes), holds to core.dates' window: a drill-down to ?field__year=9999 was a 500, and
so was the hierarchy itself over a time stored at the calendar's edge.
"""

from django.contrib import admin

from core.admin import DateHierarchyInWindowAdmin

for model, model_admin in list(admin.site._registry.items()):
    if model_admin.date_hierarchy and not isinstance(model_admin, DateHierarchyInWindowAdmin):
        admin_class = type(model_admin)
        admin.site.unregister(model)
        admin.site.register(
            model, type(admin_class.__name__, (DateHierarchyInWindowAdmin, admin_class), {})
        )
