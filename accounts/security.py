"""Credentials: login lockout (django-axes), the client address it counts by, and the
writes on API tokens.

Lockout: five failed logins for one username from one address lock that pair out for
half an hour (AXES_* in settings). The login page, the admin login and the API token
endpoint all authenticate with the request, so all three count and all three refuse a
locked-out pair — even with the right password. An admin unlocks by deleting the pair's
"access attempts" in the admin.

API tokens: one per user (DRF's authtoken). The key is shown once, when it is made;
the user or an admin can revoke it at any time, and a password change revokes it too.
"""

from axes.backends import AxesStandaloneBackend
from axes.models import AccessAttempt
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from rest_framework.authtoken.models import Token

from accounts.models import User
from core.text import fit

LOCKED_OUT = (
    "Too many failed logins for this account from your address. It is locked for "
    "{minutes} minutes after the last attempt; an admin can unlock it sooner."
)


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def locked_out_message() -> str:
    return LOCKED_OUT.format(minutes=lockout_minutes())


class LoginAttemptBackend(AxesStandaloneBackend):
    """Axes' lockout check, first in AUTHENTICATION_BACKENDS: a locked-out username and
    address are refused before any password is checked.

    authenticate() without a request (the test client's login(), the shell, a management
    command) has no client address to count or lock out, so it is left to the next
    backend instead of failing as plain Axes would. Every web entry point — the login
    form, the admin login, the token endpoint — passes its request.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def login_username(request, credentials: dict | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE: the username a failed login is recorded and counted under —
    as typed (Axes' own choice: the login form's field, or the token endpoint's), cut to
    what the record's column holds. A username longer than 255 characters made the record
    of the failure raise DataError: a 500 instead of "wrong username or password". NUL,
    which PostgreSQL cannot store, is dropped."""
    source = credentials if credentials else getattr(request, "data", request.POST)
    username = source.get(settings.AXES_USERNAME_FORM_FIELD)
    if username is None:
        return None
    limit = AccessAttempt._meta.get_field("username").max_length
    return fit(str(username).replace("\x00", ""), limit, ellipsis="")


def client_ip(request) -> str | None:
    """The client's address, for lockouts (AXES_CLIENT_IP_CALLABLE) as for throttles.

    REMOTE_ADDR, unless WARMPATH_PROXY_COUNT says how many proxies of ours stand in
    front: then the address the outermost of them saw, counted from the right of
    X-Forwarded-For, which a client cannot forge (the same rule as DRF's NUM_PROXIES).
    """
    proxies = settings.WARMPATH_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        addresses = [address.strip() for address in forwarded.split(",")]
        return addresses[-min(proxies, len(addresses))]
    return request.META.get("REMOTE_ADDR")


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: what a locked-out login gets — JSON for the API, the
    locked-out page for people. 429 Too Many Requests either way."""
    message = locked_out_message()
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return render(request, "registration/locked_out.html", {"message": message}, status=status)


# --- API tokens ---------------------------------------------------------------------------


def api_token_for(*, user: User) -> Token | None:
    return Token.objects.filter(user=user).first()


def api_token_create(*, user: User) -> Token:
    """Give the user a new API token, replacing (and so revoking) any earlier one. The
    caller shows its key once; it is not shown again."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def api_token_revoke(*, user: User) -> bool:
    """Revoke the user's API token; scripts using it get 401 from now on. True if there
    was one."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)


def user_password_changed(*, user: User) -> None:
    """What a password change means beyond the password: the user's API token is
    revoked (a leaked password may have been used to fetch it). Other sessions end by
    themselves — Django checks each session against a hash of the password — while the
    session that made the change is kept (update_session_auth_hash)."""
    api_token_revoke(user=user)
