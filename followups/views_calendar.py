"""The calendar feed's URL: no login (a calendar application fetches it), the secret in
the link opens it (accounts.calendar); any other secret is a 404."""

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from accounts.calendar import calendar_feed_user
from followups.calendar import calendar_feed_for

NO_SUCH_FEED = "No such calendar."


@login_not_required
@require_GET
def calendar_feed(request, secret):
    user = calendar_feed_user(secret)
    if user is None:
        raise Http404(NO_SUCH_FEED)
    response = HttpResponse(calendar_feed_for(user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="warmpath.ics"'
    # Private to its holder; calendar applications refresh on their own schedule.
    response["Cache-Control"] = "private, no-store"
    return response
