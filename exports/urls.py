from django.urls import path

from exports import views

app_name = "exports"

urlpatterns = [
    path("exports/", views.export_list, name="list"),
    path("exports/<int:pk>/", views.export_detail, name="detail"),
    path("exports/<int:pk>/status/", views.export_status, name="status"),
    path("exports/<int:pk>/download/", views.export_download, name="download"),
    path("exports/<int:pk>/restart/", views.export_restart, name="restart"),
]
