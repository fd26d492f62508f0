from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.forms import ProfileForm
from accounts.middleware import ACTIVE_TEAM_SESSION_KEY
from accounts.selectors import memberships_for_user, team_members

PROFILE_SAVED = "Your profile is saved."


def home(request):
    """Send each person to the page they work from: reps to their week, managers to the
    team dashboard, admins without a team to the admin."""
    membership = request.membership
    if membership:
        return redirect("manager-dashboard" if membership.is_manager else "rep-week")
    if request.user.is_staff:
        return redirect("admin:index")
    return render(request, "accounts/no_team.html", status=200)


def _membership_or_404(request, *, manager: bool):
    membership = request.membership
    if not membership or membership.is_manager != manager:
        raise Http404("This page belongs to another role.")
    return membership


def rep_week(request):
    membership = _membership_or_404(request, manager=False)
    return render(
        request,
        "accounts/rep_week.html",
        {"team": membership.team, "teammates": team_members(team=membership.team)},
    )


def manager_dashboard(request):
    membership = _membership_or_404(request, manager=True)
    return render(
        request,
        "accounts/manager_dashboard.html",
        {"team": membership.team, "members": team_members(team=membership.team)},
    )


def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, PROFILE_SAVED)
        return redirect("profile")
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "memberships": memberships_for_user(user=request.user)},
    )


@require_POST
def switch_team(request):
    """Work in another of the user's teams; a team they do not belong to is a 404."""
    try:
        team_id = int(request.POST.get("team", ""))
    except ValueError:
        raise Http404("No such team.") from None
    if not memberships_for_user(user=request.user).filter(team_id=team_id).exists():
        raise Http404("No such team.")
    request.session[ACTIVE_TEAM_SESSION_KEY] = team_id
    return redirect(reverse("home"))
