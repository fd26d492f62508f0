"""The public pages of Warmpath: what a referrer opens from a link in an ask, without an
account (referrals.links has the rules).

No login, no navigation, nothing of the team but what the email already said (the rep's
and the prospect's names). The GET shows one button and changes nothing; the POST acts.
CSRF stays on (the GET sets the cookie), the CSP is the project's strict one, the answers
are never cached, and each client address is held to REFERRER_LINK_RATE requests per
REFERRER_LINK_WINDOW: past that, 429, before any token is read. Every refusal is the same
page with the same status, whatever the reason.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.security import client_ip
from referrals.links import (
    LINK_REFUSED,
    NOT_NOW,
    NOTE_MAX_LENGTH,
    LinkRefused,
    referrer_link_read,
    referrer_link_use,
    rep_name,
)

REFERRER_LINK_RATE = 30
REFERRER_LINK_WINDOW = 600  # seconds
TOO_MANY = "Too many attempts from your connection. Please wait a few minutes and try again."
# A refused link is a 404 (the same for every reason: nothing to learn from it).
REFUSED_STATUS = 404


def _over_the_rate(request) -> bool:
    """A fixed window per client address, counted in the cache."""
    rate = getattr(settings, "REFERRER_LINK_RATE", REFERRER_LINK_RATE)
    window = getattr(settings, "REFERRER_LINK_WINDOW", REFERRER_LINK_WINDOW)
    key = f"referrer-link-rate:{client_ip(request)}"
    if cache.add(key, 1, timeout=window):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.add(key, 1, timeout=window)
        return False
    return count > rate


def _refused(request, message=LINK_REFUSED, status=REFUSED_STATUS):
    response = render(request, "referrals/public/link_refused.html", {"message": message})
    response.status_code = status
    return response


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def referrer_link(request, token):
    if _over_the_rate(request):
        return _refused(request, TOO_MANY, status=429)
    try:
        if request.method == "POST":
            referral = referrer_link_use(
                token=token, note=request.POST.get("note", "")[: NOTE_MAX_LENGTH * 4]
            )
            return render(
                request,
                "referrals/public/link_done.html",
                {
                    "rep": rep_name(referral.owner),
                    "prospect": referral.prospect.full_name,
                    "declined": referral.status == referral.Status.DECLINED,
                },
            )
        link = referrer_link_read(token)
    except LinkRefused:
        return _refused(request)
    return render(
        request,
        "referrals/public/link.html",
        {
            "link": link,
            "question": link.question(),
            "rep": rep_name(link.referral.owner),
            "referrer_first_name": link.referral.referrer.first_name,
            "declining": link.step == NOT_NOW,
            "note_max_length": NOTE_MAX_LENGTH,
        },
    )
