"""Pages anyone may open, without an account: a referrer's answer to an ask by link."""

from django.urls import path

from referrals import views_public

app_name = "public"

urlpatterns = [
    path("r/<str:token>/", views_public.referrer_link, name="referrer-link"),
]
