from django.urls import path
from rest_framework.routers import SimpleRouter

from reporting import api

router = SimpleRouter()
router.register("goals", api.GoalViewSet, basename="goal")

urlpatterns = [path("kpis/", api.KpiView.as_view(), name="api-kpis"), *router.urls]
