"""The calendar feed's link on the profile page: made (or made again: the old link stops
working) and shown on that one answer, never again; or switched off."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.calendar import calendar_feed_regenerate, calendar_feed_revoke
from accounts.views import profile_page

CALENDAR_OFF = "Your calendar feed is switched off: its link no longer works."


@never_cache
@require_POST
def calendar_feed_manage(request):
    if request.POST.get("action") == "revoke":
        calendar_feed_revoke(user=request.user)
        messages.success(request, CALENDAR_OFF)
        return redirect("profile")
    secret = calendar_feed_regenerate(user=request.user)
    # Rendered, not redirected: the secret must not travel through the session or a cookie.
    link = settings.WARMPATH_BASE_URL + reverse("followups:calendar-feed", args=[secret])
    return profile_page(request, calendar_link=link)
