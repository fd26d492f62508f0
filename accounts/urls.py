from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views, views_calendar, views_security

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/api-token/", views_security.api_token, name="profile-api-token"),
    path("profile/calendar/", views_calendar.calendar_feed_manage, name="profile-calendar"),
    path("team/switch/", views.switch_team, name="switch-team"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        views_security.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]
