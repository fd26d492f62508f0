from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django_htmx.http import HttpResponseClientRedirect
from rest_framework.views import APIView

from accounts.selectors import active_membership
from accounts.zones import zone_of
from core import money

ACTIVE_TEAM_SESSION_KEY = "active_team_id"


class ActiveMembershipMiddleware:
    """Sets request.membership: the user's membership in the team they work in now
    (chosen in the navigation, kept in the session), or None. Looked up lazily, once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(
            lambda: active_membership(
                user=request.user, team_id=request.session.get(ACTIVE_TEAM_SESSION_KEY)
            )
        )
        return self.get_response(request)


class UserTimezoneMiddleware:
    """Show times in the logged-in user's own time zone; store everything in UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # UTC for visitors and unknown zone names (accounts.zones).
        zone = zone_of(getattr(request, "user", None))
        # Scoped to this request: the thread serves other users (and tests) next.
        with timezone.override(zone):
            return self.get_response(request)


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, except for REST framework views: those
    authenticate session *or* token themselves and answer 401 as JSON, never a redirect
    to an HTML login page. An in-place update (htmx) sends the whole page to the login
    page, and back to that page afterwards."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "cls", None)
        if view_class is not None and issubclass(view_class, APIView):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)

    def handle_no_permission(self, request, view_func):
        if not request.headers.get("HX-Request"):
            return super().handle_no_permission(request, view_func)
        # A redirect would be followed by htmx itself, and the login page swapped into
        # the part of the page being updated (a follow-up item, a search's results).
        # HX-Redirect makes the browser go there instead; "next" is the page the user
        # was on (the login view only follows a "next" on this site).
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        page = current.path + (f"?{current.query}" if current.query else "")
        login = redirect_to_login(
            page or settings.LOGIN_REDIRECT_URL,
            resolve_url(self.get_login_url(view_func)),
            self.get_redirect_field_name(view_func),
        )
        return HttpResponseClientRedirect(login.url)


class MoneyFormatMiddleware:
    """Write amounts in the working team's currency for the user's language (core.money);
    the site's default currency and language for a visitor or a user without a team."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        def resolve():
            user = getattr(request, "user", None)
            membership = getattr(request, "membership", None)
            team = membership.team if membership else None
            return getattr(team, "currency", None), getattr(user, "language", None)

        with money.override_lazily(resolve):
            return self.get_response(request)
