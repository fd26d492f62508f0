from django.urls import path

from followups import notification_views

app_name = "followups"

urlpatterns = [
    # The bell: the user's reminders, and marking them read.
    path("notifications/", notification_views.notifications, name="notifications"),
    path(
        "notifications/<int:pk>/read/",
        notification_views.notification_read,
        name="notification-read",
    ),
    path(
        "notifications/read-all/",
        notification_views.notifications_read_all,
        name="notifications-read-all",
    ),
]
