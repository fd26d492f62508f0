"""Where each person lands: the home redirect by role and the rep's week (the rep's home
page). Thin: the numbers come from reporting.kpis, the lists from the referral and
follow-up selectors, the warm paths from referrals.selectors.roster_next_asks — in a
request of their own (next_asks), as they search the rep's network."""

from datetime import timedelta

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.selectors import team_members
from accounts.zones import zone_of
from dashboard.views import goal_rows
from followups import selectors as followup_selectors
from referrals import selectors as referral_selectors
from referrals.models import OPEN_STATUSES, Referral
from reporting import kpis

# How much of each list the rep's week shows; the full lists are a click away.
WEEK_LIST_LENGTH = 6
RECENT_WIN_DAYS = 30


def home(request):
    """Send each person to the page they work from: reps to their week, managers to the
    team dashboard, admins without a team to the admin."""
    membership = request.membership
    if membership:
        return redirect("manager-dashboard" if membership.is_manager else "rep-week")
    if request.user.is_staff:
        return redirect("admin:index")
    return render(request, "accounts/no_team.html", status=200)


def _membership_or_404(request):
    membership = request.membership
    if not membership:
        raise Http404("This page is for members of a team.")
    return membership


def rep_week(request):
    """The seller's home — a rep's, and a manager's own (a manager who sells keeps their
    own asks and follow-ups): this week's goals vs actual, whom to ask about next (warm
    paths first: next_asks, once the page shows), where each ask stands, follow-ups due,
    recent wins."""
    membership = _membership_or_404(request)
    team, user = membership.team, request.user
    # Their own work only: a manager may see the whole team's, but this is their week.
    counts = referral_selectors.pipeline_counts(user, team=team, own=True)
    # This week, Monday to today in the rep's time zone (reporting/kpis.py).
    week = kpis.named_period("this_week", today=kpis.today_for(user), zone=zone_of(user))
    numbers = kpis.goal_progress(kpis.Scope(team_ids=(team.pk,), rep_id=user.pk), week)
    now = timezone.now()
    going_cold, going_cold_count = referral_selectors.going_cold_for_user(
        user, team=team, now=now, limit=WEEK_LIST_LENGTH
    )
    return render(
        request,
        "dashboard/rep_week.html",
        {
            "team": team,
            "is_manager": membership.is_manager,
            "teammates": team_members(team=team),
            "steps": [
                (status, Referral.Status(status).label, counts[status]) for status in OPEN_STATUSES
            ],
            "counts": counts,
            "week": week,
            "week_numbers": numbers,
            "goal_rows": goal_rows(numbers),
            "open_referrals": referral_selectors.as_ask_rows(
                referral_selectors.referrals_for_user(user, OPEN_STATUSES, team=team)
            ).filter(owner=user)[:WEEK_LIST_LENGTH],
            "recent_wins": referral_selectors.as_ask_rows(
                referral_selectors.referrals_for_user(user, "won", team=team)
            )
            .filter(owner=user, won_at__gte=timezone.now() - timedelta(days=RECENT_WIN_DAYS))
            .order_by("-won_at")[:WEEK_LIST_LENGTH],
            "recent_win_days": RECENT_WIN_DAYS,
            # Follow-ups overdue or due today: counts in one query, the first few in one.
            "followup_counts": followup_selectors.due_counts_for_user(user, team=team),
            "followups_due": followup_selectors.due_soon_for_user(user, team=team)[
                :WEEK_LIST_LENGTH
            ],
            # Keeping the network warm (templates/dashboard/_week_going_cold.html and
            # _week_ask_again.html).
            "going_cold": going_cold,
            "going_cold_count": going_cold_count,
            "ask_again": referral_selectors.ask_again_for_user(
                user, team=team, now=now, limit=WEEK_LIST_LENGTH
            ),
        },
    )


def next_asks(request):
    """The week's "whom to ask about next": the rep's roster entries waiting for an ask,
    each with the best path within two introductions as the connectors page ranks it.
    A request of its own, which the week makes once it shows (htmx), as it searches the
    rep's network for every prospect, where the rest of the week reads a few rows each.
    Without JavaScript, the week links here: the same panel as a page."""
    membership = _membership_or_404(request)
    entries = referral_selectors.roster_next_asks(
        request.user, team=membership.team, limit=WEEK_LIST_LENGTH
    )
    return render(
        request,
        "dashboard/_whom_to_ask_next.html" if request.htmx else "dashboard/next_asks.html",
        {"next_asks": entries},
    )
