"""The pages people land on, under the un-namespaced names that redirects, emails and
settings (LOGIN_REDIRECT_URL = "home") use: home, rep-week, manager-dashboard. The other
dashboard pages are in dashboard/urls.py, namespaced "dashboard"."""

from django.urls import path

from dashboard import views, views_week

urlpatterns = [
    path("", views_week.home, name="home"),
    path("week/", views_week.rep_week, name="rep-week"),
    path("dashboard/", views.manager_dashboard, name="manager-dashboard"),
]
