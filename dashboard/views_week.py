"""Where each person lands: the home redirect by role and the rep's week (the rep's home
page). Thin: the numbers come from reporting.kpis, the lists from the referral and
follow-up selectors, the warm paths from referrals.connectors."""

from datetime import timedelta

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.selectors import team_members
from accounts.zones import zone_of
from dashboard.views import goal_rows
from followups import selectors as followup_selectors
from referrals import connectors
from referrals import selectors as referral_selectors
from referrals.models import OPEN_STATUSES, Referral, RosterEntry
from reporting import kpis

# How much of each list the rep's week shows; the full lists are a click away.
WEEK_LIST_LENGTH = 6
# How many waiting roster entries the week looks for a warm path to (one query, bounded).
WARM_PATH_CANDIDATES = 20
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
    paths first), where each ask stands, follow-ups due, recent wins."""
    membership = _membership_or_404(request)
    team, user = membership.team, request.user
    # Their own work only: a manager may see the whole team's, but this is their week.
    counts = referral_selectors.pipeline_counts(user, team=team, own=True)
    # This week, Monday to today in the rep's time zone (reporting/kpis.py).
    week = kpis.named_period("this_week", today=kpis.today_for(user), zone=zone_of(user))
    numbers = kpis.goal_progress(kpis.Scope(team_ids=(team.pk,), rep_id=user.pk), week)
    waiting = list(
        referral_selectors.roster_for_user(user, team=team).filter(
            owner=user, status=RosterEntry.Status.WANTED
        )[:WARM_PATH_CANDIDATES]
    )
    best = connectors.best_connectors_for(targets=[e.prospect for e in waiting], user=user)
    for entry in waiting:
        entry.best_connector = best.get(entry.prospect_id)
    # Whom to ask about next: prospects with a warm path first (an ask needs one), each
    # group in roster order (priority, then fit).
    next_asks = sorted(waiting, key=lambda entry: entry.best_connector is None)
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
            "next_asks": next_asks[:WEEK_LIST_LENGTH],
            "open_referrals": referral_selectors.referrals_for_user(
                user, OPEN_STATUSES, team=team
            ).filter(owner=user)[:WEEK_LIST_LENGTH],
            "recent_wins": referral_selectors.referrals_for_user(user, "won", team=team)
            .filter(owner=user, won_at__gte=timezone.now() - timedelta(days=RECENT_WIN_DAYS))
            .order_by("-won_at")[:WEEK_LIST_LENGTH],
            "recent_win_days": RECENT_WIN_DAYS,
            # Follow-ups overdue or due today: counts in one query, the first few in one.
            "followup_counts": followup_selectors.due_counts_for_user(user, team=team),
            "followups_due": followup_selectors.due_soon_for_user(user, team=team)[
                :WEEK_LIST_LENGTH
            ],
        },
    )
