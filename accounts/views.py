from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.forms import ProfileForm
from accounts.middleware import ACTIVE_TEAM_SESSION_KEY
from accounts.models import CalendarFeed
from accounts.selectors import memberships_for_user
from core.http import parse_id

PROFILE_SAVED = "Your profile is saved."


def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, PROFILE_SAVED)
        return redirect("profile")
    return profile_page(request, form)


def profile_page(request, form=None, **extra):
    """The profile page, with `extra` in its context (a calendar link shown once)."""
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form or ProfileForm(instance=request.user),
            "memberships": memberships_for_user(user=request.user),
            "calendar_feed": CalendarFeed.objects.filter(user=request.user).first(),
            **extra,
        },
    )


@require_POST
def switch_team(request):
    """Work in another of the user's teams; a team they do not belong to is a 404."""
    team_id = parse_id(request.POST.get("team"))
    if team_id is None:
        raise Http404("No such team.")
    if not memberships_for_user(user=request.user).filter(team_id=team_id).exists():
        raise Http404("No such team.")
    request.session[ACTIVE_TEAM_SESSION_KEY] = team_id
    return redirect(reverse("home"))
