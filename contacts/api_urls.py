from rest_framework.routers import SimpleRouter

from contacts.api import CompanyViewSet, ContactViewSet, RelationshipViewSet

router = SimpleRouter()
router.register("companies", CompanyViewSet, basename="company")
router.register("contacts", ContactViewSet, basename="contact")
router.register("relationships", RelationshipViewSet, basename="relationship")

urlpatterns = router.urls
