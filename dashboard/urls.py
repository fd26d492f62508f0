from django.urls import path

from dashboard import views, views_week

app_name = "dashboard"

urlpatterns = [
    path("dashboard/referrers/", views.manager_referrers, name="referrers"),
    path("week/next-asks/", views_week.next_asks, name="next-asks"),
    path("dashboard/reps/<int:user_id>/", views.rep_detail, name="rep"),
    path("dashboard/goals/", views.goals, name="goals"),
    path("dashboard/export/reps.csv", views.export_reps, name="export-reps"),
    path("dashboard/export/referrals.csv", views.export_referrals, name="export-referrals"),
]
