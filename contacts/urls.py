from django.urls import path

from contacts import views, views_history, views_imports

app_name = "contacts"

urlpatterns = [
    path("contacts/", views.contact_list, name="list"),
    path("contacts/export.csv", views.contact_export, name="export"),
    path("contacts/search/", views.contact_search, name="search"),
    path("contacts/import/", views_imports.import_start, name="import"),
    path("contacts/import/<int:pk>/", views_imports.import_preview, name="import-preview"),
    path("contacts/import/<int:pk>/commit/", views_imports.import_commit, name="import-commit"),
    path("contacts/import/<int:pk>/status/", views_imports.import_status, name="import-status"),
    path("contacts/new/", views.contact_create_view, name="create"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="edit"),
    path("contacts/<int:pk>/touch/", views.contact_touch_log_view, name="touch-log"),
    path("contacts/<int:pk>/history/", views_history.contact_history, name="contact-history"),
    path(
        "contacts/<int:pk>/relationships/new/",
        views.relationship_create_view,
        name="relationship-create",
    ),
    path(
        "relationships/<int:pk>/edit/",
        views.relationship_edit,
        name="relationship-edit",
    ),
    path(
        "relationships/<int:pk>/delete/",
        views.relationship_delete_view,
        name="relationship-delete",
    ),
    path(
        "relationships/export.csv",
        views_imports.relationship_export,
        name="relationships-export",
    ),
    path("companies/", views.company_list, name="company-list"),
    path("companies/search/", views.company_search, name="company-search"),
    path("companies/new/", views.company_create_view, name="company-create"),
    path("companies/<int:pk>/", views.company_detail, name="company-detail"),
    path("companies/<int:pk>/edit/", views.company_edit, name="company-edit"),
]
# A contact's own page (contacts:detail) and its connectors (contacts:connectors,
# contacts:connector-ask) read referral data: referrals/urls_contacts.py holds them, and
# config/urls.py serves both lists in this namespace.
