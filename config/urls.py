from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.api import TokenView
from config.health import health

admin.site.site_header = "Warmpath administration"
admin.site.site_title = "Warmpath admin"

api_v1 = [
    path("auth/token/", login_not_required(TokenView.as_view()), name="api-token"),
]

urlpatterns = [
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
