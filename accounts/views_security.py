"""The user's own credentials: their API token, and the password change that also
revokes it (accounts.security)."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import security

# Messages, not secrets (ruff's S105 takes "TOKEN" in a name for a password).
TOKEN_REVOKED = "Your API token is revoked: scripts using it are refused from now on."  # noqa: S105
NO_TOKEN_TO_REVOKE = "You have no API token to revoke."  # noqa: S105


@never_cache
@require_http_methods(["GET", "POST"])
def api_token(request):
    """See whether you have a token, make a new one (its key is shown on this answer
    only, never again), or revoke it."""
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            token = security.api_token_create(user=user)
            # Rendered, not redirected: the key must not travel through the session or
            # a cookie. never_cache keeps it out of caches (no-store).
            return render(
                request, "accounts/api_token.html", {"token": token, "new_key": token.key}
            )
        if action == "revoke":
            if security.api_token_revoke(user=user):
                messages.success(request, TOKEN_REVOKED)
            else:
                messages.info(request, NO_TOKEN_TO_REVOKE)
            return redirect("profile-api-token")
        return redirect("profile-api-token")
    return render(request, "accounts/api_token.html", {"token": security.api_token_for(user=user)})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change (which keeps this session and ends the others), then
    accounts.security.user_password_changed (which revokes the API token). The page
    after it says both."""

    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form):
        response = super().form_valid(form)
        security.user_password_changed(user=form.user)
        return response
