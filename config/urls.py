from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.api import TokenView
from config.health import health
from contacts import urls as contacts_urls
from referrals import urls_contacts as referrals_contact_urls

admin.site.site_header = "Warmpath administration"
admin.site.site_title = "Warmpath admin"
# The database out of reach answers 503 with Retry-After, not 500 (config/unavailable.py).
handler500 = "config.unavailable.server_error"

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("", include("contacts.api_urls")),
    path("", include("referrals.api_urls")),
    path("", include("followups.api_urls")),
    path("", include("reporting.api_urls")),
]

urlpatterns = [
    path("", include("dashboard.home_urls")),
    path("", include("accounts.urls")),
    # One namespace, two apps: the graph's pages (contacts/urls.py) and the pages of a
    # contact that read referral data (its own page, its connectors), which live above it.
    path(
        "",
        include(([*contacts_urls.urlpatterns, *referrals_contact_urls.urlpatterns], "contacts")),
    ),
    path("", include("referrals.urls")),
    path("", include("followups.urls")),
    path("", include("dashboard.urls")),
    path("", include("exports.urls")),
    # Public pages (no account): a referrer's answer to an ask by link.
    path("", include("referrals.urls_public")),
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # A page for people: anonymous visitors go to the login page, not a bare 401. The split
    # view loads its start-up script from a URL (script-src 'self' holds); its template
    # still has an inline <style>, so style-src is relaxed on this page only.
    path(
        "api/docs/",
        login_required(
            csp_update({"style-src": [UNSAFE_INLINE]})(
                SpectacularSwaggerSplitView.as_view(url_name="api-schema")
            )
        ),
        name="api-docs",
    ),
]
