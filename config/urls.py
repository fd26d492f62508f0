from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.api import TokenView
from config.health import health

admin.site.site_header = "Warmpath administration"
admin.site.site_title = "Warmpath admin"
# The database out of reach answers 503 with Retry-After, not 500 (config/unavailable.py).
handler500 = "config.unavailable.server_error"

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("", include("contacts.api_urls")),
    path("", include("referrals.api_urls")),
    path("", include("followups.api_urls")),
    path("", include("dashboard.api_urls")),
]

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("contacts.urls")),
    path("", include("referrals.urls")),
    path("", include("followups.urls")),
    path("", include("dashboard.urls")),
    path("", include("exports.urls")),
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
