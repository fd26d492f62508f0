from django.urls import path

from followups import notification_views, views, views_calendar, views_problems

app_name = "followups"

urlpatterns = [
    # The rep's follow-up inbox, completing and skipping in place, drafts, the team's overdue.
    path("followups/", views.inbox, name="inbox"),
    path("followups/team/", views.team_overdue, name="team-overdue"),
    path("followups/<int:pk>/complete/", views.complete, name="complete"),
    path("followups/<int:pk>/skip/", views.skip, name="skip"),
    path("followups/<int:pk>/draft/", views.draft, name="draft"),
    # A problem during an open sale: a status report to the referrer, due today.
    path("referrals/<int:pk>/problem/", views_problems.report_problem, name="report-problem"),
    # The rep's private calendar feed (the secret is made on the profile page).
    path("calendar/<str:secret>.ics", views_calendar.calendar_feed, name="calendar-feed"),
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
