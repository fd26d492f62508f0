from django.urls import re_path
from rest_framework.routers import SimpleRouter

from referrals import api
from referrals.api_connectors import ContactConnectorViewSet

router = SimpleRouter()
router.register("roster", api.RosterEntryViewSet, basename="roster")
router.register("readiness-checks", api.ReadinessCheckViewSet, basename="readiness-check")
router.register("referrals", api.ReferralViewSet, basename="referral")
router.register("deals", api.DealViewSet, basename="deal")
router.register("referrals-given", api.ReferralGivenViewSet, basename="referral-given")

urlpatterns = [
    *router.urls,
    # Referrals in reverse, under the contact it leads to (the id pattern is the router's).
    re_path(
        r"^contacts/(?P<pk>[^/.]+)/connectors/$",
        ContactConnectorViewSet.as_view({"get": "connectors"}),
        name="contact-connectors",
    ),
]
