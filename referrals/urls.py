from django.urls import path

from contacts import views_profile
from referrals import views, views_fits, views_history, views_send

app_name = "referrals"

urlpatterns = [
    # The rep's wish list of prospects.
    path("roster/", views.roster, name="roster"),
    path("roster/new/", views.roster_create, name="roster-create"),
    path("roster/<int:pk>/edit/", views.roster_edit, name="roster-edit"),
    path("roster/<int:pk>/delete/", views.roster_delete, name="roster-delete"),
    # Asks for introductions and their progress.
    path("referrals/", views.pipeline, name="pipeline"),
    path("referrals/new/", views.referral_create, name="referral-create"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral-detail"),
    path("referrals/<int:pk>/edit/", views.referral_edit, name="referral-edit"),
    path("referrals/<int:pk>/history/", views_history.referral_history, name="referral-history"),
    path("referrals/<int:pk>/transition/", views.referral_transition, name="referral-transition"),
    path("referrals/<int:pk>/send/", views_send.referral_send, name="referral-send"),
    path("referrals/<int:pk>/drafts/", views_send.referral_drafts, name="referral-drafts"),
    # The testimonial conversation that earns the right to ask.
    path("readiness/", views.readiness_list, name="readiness-list"),
    path("readiness/export.csv", views.readiness_export, name="readiness-export"),
    path("readiness/new/", views.readiness_create, name="readiness-create"),
    # Deals of every source.
    path("deals/", views.deal_list, name="deal-list"),
    path("deals/new/", views.deal_create, name="deal-create"),
    path("deals/<int:pk>/edit/", views.deal_edit, name="deal-edit"),
    # Reciprocity.
    path("given/", views.given_list, name="given-list"),
    path("given/new/", views.given_create, name="given-create"),
    # Small htmx answers for the forms: contact search, the referrer's green light.
    path("referrals/contact-options/", views.contact_options, name="contact-options"),
    path("referrals/referrer-warning/", views.referrer_warning, name="referrer-warning"),
    # The team's ideal client profile: contacts' page (the profile is about contacts), under
    # the name it has always had here.
    path("profile/ideal-client/", views_profile.ideal_client_profile, name="icp"),
    # Its good fits who are not clients yet, best first, to put on the roster in one go.
    path("profile/ideal-client/fits/", views_fits.fits, name="fits"),
]
