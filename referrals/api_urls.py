from rest_framework.routers import SimpleRouter

from referrals import api

router = SimpleRouter()
router.register("roster", api.RosterEntryViewSet, basename="roster")
router.register("readiness-checks", api.ReadinessCheckViewSet, basename="readiness-check")
router.register("referrals", api.ReferralViewSet, basename="referral")
router.register("deals", api.DealViewSet, basename="deal")
router.register("referrals-given", api.ReferralGivenViewSet, basename="referral-given")

urlpatterns = router.urls
