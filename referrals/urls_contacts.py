"""Pages named in the contacts' URL namespace that compose a contact with referral data,
so they live in referrals: a contact's own page and its connectors (referrals in
reverse) with the one-click ask. config/urls.py serves them in the "contacts" namespace
next to contacts/urls.py, so their paths and names are those they always had
(contacts:detail, contacts:connectors, contacts:connector-ask)."""

from django.urls import path

from referrals import views_connectors, views_contact

urlpatterns = [
    path("contacts/<int:pk>/", views_contact.contact_detail, name="detail"),
    # Who can introduce you; the ask.
    path("contacts/<int:pk>/connectors/", views_connectors.connector_list, name="connectors"),
    path(
        "contacts/<int:pk>/connectors/ask/",
        views_connectors.connector_ask,
        name="connector-ask",
    ),
]
