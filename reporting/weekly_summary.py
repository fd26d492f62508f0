"""The weekly summary: on Monday morning, each manager gets their team's numbers of the week
before, by the KPI definitions (reporting/kpis.py) — the same numbers as the dashboard.

Once per manager, team and week: OutgoingEmail.dedupe_key decides (outbox), so a run that
comes twice, concurrently or late sends nothing twice. The outbox sends the email after
commit, and its drain catches up what the broker lost.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from accounts.zones import zone_of
from core import money
from outbox.models import OutgoingEmail
from outbox.services import email_subject, outgoing_email_create_once
from referrals import selectors as referral_selectors
from reporting import kpis

# Monday, from 7:00 local time (the morning digest's window); until noon a missed run
# (broker or beat down) still catches up, never twice thanks to the dedupe key.
WEEKLY_SUMMARY_WEEKDAY = 0
WEEKLY_SUMMARY_FROM_HOUR = 7
WEEKLY_SUMMARY_UNTIL_HOUR = 12
# Warm paths waiting: the team's best asks not yet made, the first few across its reps.
WEEKLY_WARM_PATHS = 5


@dataclass
class WeeklyNumbers:
    name: str
    asks: int = 0
    intros: int = 0
    wins: int = 0
    overdue: int = 0
    won_value: str | None = None
    goals: dict | None = None  # the team's goals for the week (the total's only)


def team_week_numbers(*, team_id: int, start: datetime, end: datetime, now: datetime):
    """Asks, intros and wins of the week [start, end) (local midnights) per rep of the
    team, and follow-ups overdue now, with the team's total and its goals for the week —
    by the KPI definitions, the same numbers as the dashboard."""
    zone = start.tzinfo
    period = kpis.Period(start.date(), (end - timedelta(days=1)).date(), zone)
    totals, rows = kpis.team_table((team_id,), period, now=now)

    def numbers(name: str, kpi: dict) -> WeeklyNumbers:
        return WeeklyNumbers(
            name=name,
            asks=kpi["asks"],
            intros=kpi["intros"],
            wins=kpi["wins"],
            overdue=kpi["overdue_followups"],
            won_value=kpi["won_value"],
        )

    reps = [numbers(str(row.user), row.numbers) for row in rows]
    total = numbers("Team", totals)
    total.goals = totals["goals"] if totals["goals"]["asks"] is not None else None
    return reps, total


def _warm_paths(*, manager, team) -> list[dict]:
    """The team's best asks not yet made (referrals.selectors.team_next_asks): each rep's
    roster entries with a warm path, ranked as the connectors page ranks them for that
    rep, best chance first across the team, with the link to the prospect's connectors."""
    base = settings.WARMPATH_BASE_URL.rstrip("/")
    return [
        {
            "rep": str(entry.owner),
            "prospect": entry.prospect,
            "best": entry.best_connector,
            "url": f"{base}{reverse('contacts:connectors', args=[entry.prospect_id])}?max_hops=2",
        }
        for entry in referral_selectors.team_next_asks(manager, team=team, limit=WEEKLY_WARM_PATHS)
    ]


def _due(local: datetime) -> bool:
    return (
        local.weekday() == WEEKLY_SUMMARY_WEEKDAY
        and WEEKLY_SUMMARY_FROM_HOUR <= local.hour < WEEKLY_SUMMARY_UNTIL_HOUR
    )


def weekly_summaries_send(*, now: datetime | None = None) -> int:
    """To each manager, on Monday morning in their time zone, the team's asks, intros and
    wins of the week before (Monday to Sunday, their local days) against the team's
    WeeklyGoal, and the follow-ups overdue now. Once per manager, team and week (dedupe
    key weekly:<user>:<team>:<week start>). Run hourly, like the digest."""
    now = now or timezone.now()
    memberships = (
        Membership.objects.filter(role=Membership.Role.MANAGER, user__is_active=True)
        .exclude(user__email="")
        .select_related("user", "team")
        .order_by("pk")
    )
    due = []
    for membership in memberships:
        zone = zone_of(membership.user)
        local = now.astimezone(zone)
        if _due(local):
            week_start = local.date() - timedelta(days=7)
            key = f"weekly:{membership.user_id}:{membership.team_id}:{week_start.isoformat()}"
            due.append((membership, zone, week_start, key))
    done = set(
        OutgoingEmail.objects.filter(dedupe_key__in=[key for *_rest, key in due]).values_list(
            "dedupe_key", flat=True
        )
    )
    dashboard_url = f"{settings.WARMPATH_BASE_URL.rstrip('/')}{reverse('manager-dashboard')}"
    sent = 0
    for membership, zone, week_start, key in due:
        if key in done:
            continue
        week = kpis.Period(week_start, week_start + timedelta(days=6), zone)
        reps, total = team_week_numbers(
            team_id=membership.team_id, start=week.start_at, end=week.end_before, now=now
        )
        context = {
            "user": membership.user,
            "team": membership.team,
            "week_start": week.start,
            "week_end": week.end,
            "reps": reps,
            "total": total,
            "goal": total.goals,
            "url": dashboard_url,
            "warm_paths": _warm_paths(manager=membership.user, team=membership.team),
        }
        # Dates in the email read in the manager's time zone, whatever the worker's, and
        # amounts in the team's currency as the manager's language writes them.
        with (
            timezone.override(zone),
            money.override(currency=membership.team.currency, language=membership.user.language),
        ):
            subject = render_to_string("emails/weekly_summary_subject.txt", context)
            body = render_to_string("emails/weekly_summary.txt", context).strip() + "\n"
        if outgoing_email_create_once(
            team_id=membership.team_id,
            to=membership.user.email,
            subject=email_subject(subject),
            body=body,
            purpose="weekly_summary",
            dedupe_key=key,
        ):
            sent += 1
    return sent
