from rest_framework.routers import SimpleRouter

from followups import api, api_notifications

router = SimpleRouter()
router.register("followups", api.FollowUpViewSet, basename="followup")
router.register("notifications", api_notifications.NotificationViewSet, basename="notification")

urlpatterns = router.urls
