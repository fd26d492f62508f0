"""The morning digest: each member's follow-ups due today and overdue, and (for reps) the
people going cold with a reason to call (referrals.selectors.going_cold_for_user), once a
day.

Unique per person and local day by ``OutgoingEmail.dedupe_key`` (as is the weekly
summary, reporting/weekly_summary.py), so a run repeated, concurrent or late sends
nothing new. The email goes through the outbox (outbox/services.py), like the reminders
(followups/reminders.py).
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.zones import zone_of
from followups.emails import absolute_url, followup_email_context, render_email
from followups.models import FollowUp
from outbox.models import OutgoingEmail
from outbox.services import email_subject, outgoing_email_create_once
from referrals import selectors as referral_selectors

# The digest goes out on the first hourly run from 7:00 local time; until noon a missed
# run (broker or beat down) still catches up, never twice thanks to the dedupe key.
DIGEST_FROM_HOUR = 7
DIGEST_UNTIL_HOUR = 12
DIGEST_LIST_LIMIT = 25
# Whom to ask about next: the first prospects with a warm path, as on the rep's week.
DIGEST_NEXT_ASKS = 3
DIGEST_COLD_LIMIT = 10


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _in_window(local: datetime) -> bool:
    return DIGEST_FROM_HOUR <= local.hour < DIGEST_UNTIL_HOUR


def digests_send(*, now: datetime | None = None) -> int:
    """The morning digest: to each member whose local time is in the morning window
    (from 7:00) and who has not had today's (dedupe key digest:<user>:<local date>), the
    follow-ups due today and those overdue, in their own time zone. Nothing due, no
    email. Run hourly: every zone, with or without daylight saving, passes 7:00 once a
    day; a missed run is caught up by the next one before noon."""
    now = now or timezone.now()
    candidates = (
        User.objects.filter(is_active=True, memberships__isnull=False)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    due: list[tuple[User, ZoneInfo, date]] = []
    for user in candidates:
        zone = zone_of(user)
        local = now.astimezone(zone)
        if _in_window(local):
            due.append((user, zone, local.date()))
    keys = {user.pk: f"digest:{user.pk}:{day.isoformat()}" for user, _zone_, day in due}
    done = set(
        OutgoingEmail.objects.filter(dedupe_key__in=keys.values()).values_list(
            "dedupe_key", flat=True
        )
    )
    sent = 0
    for user, zone, day in due:
        if keys[user.pk] in done:
            continue
        if _digest_create(user=user, zone=zone, day=day, key=keys[user.pk]):
            sent += 1
    return sent


def _next_asks(user: User) -> list[dict]:
    """The prospects of the user's roster to ask about next, each with the best path as
    the connectors page ranks it (referrals.selectors.roster_next_asks)."""
    rows = []
    for membership in user.memberships.select_related("team").order_by("pk"):
        for entry in referral_selectors.roster_next_asks(
            user, team=membership.team, limit=DIGEST_NEXT_ASKS
        ):
            if entry.best_connector is not None and len(rows) < DIGEST_NEXT_ASKS:
                path = reverse("contacts:connectors", args=[entry.prospect_id])
                rows.append(
                    {
                        "prospect": entry.prospect,
                        "best": entry.best_connector,
                        "url": absolute_url(f"{path}?max_hops=2"),
                    }
                )
    return rows


def _digest_create(*, user: User, zone: ZoneInfo, day: date, key: str) -> OutgoingEmail | None:
    start = _local_midnight(day, zone)
    end = _local_midnight(day + timedelta(days=1), zone)
    pending = FollowUp.objects.filter(
        owner=user, status=FollowUp.Status.PENDING, due_at__lt=end
    ).select_related("recipient", "referral__referrer", "referral__prospect")
    counts = pending.aggregate(
        today=Count("pk", filter=Q(due_at__gte=start)),
        overdue=Count("pk", filter=Q(due_at__lt=start)),
    )
    cold, cold_count = [], 0
    membership = user.memberships.select_related("team").order_by("pk").first()
    if membership is not None and not membership.is_manager:
        cold, cold_count = referral_selectors.going_cold_for_user(
            user, team=membership.team, now=timezone.now(), limit=DIGEST_COLD_LIMIT
        )
    if not counts["today"] and not counts["overdue"] and not cold_count:
        return None
    today = list(pending.filter(due_at__gte=start).order_by("due_at", "pk")[:DIGEST_LIST_LIMIT])
    overdue = list(pending.filter(due_at__lt=start).order_by("due_at", "pk")[:DIGEST_LIST_LIMIT])

    def rows(followups):
        return [
            {
                **followup_email_context(followup, zone),
                "overdue_days": (day - followup.due_at.astimezone(zone).date()).days,
            }
            for followup in followups
        ]

    context = {
        "user": user,
        "day": day,
        "time_zone": zone.key,
        "today": rows(today),
        "overdue": rows(overdue),
        "today_count": counts["today"],
        "overdue_count": counts["overdue"],
        "limit": DIGEST_LIST_LIMIT,
        "cold": [
            {
                "contact": row.contact.full_name,
                "days_silent": row.days_silent,
                "reason": row.reason,
                "url": absolute_url(reverse("contacts:detail", args=[row.contact.pk])),
            }
            for row in cold
        ],
        "cold_count": cold_count,
        "url": absolute_url(reverse("rep-week")),
        "next_asks": _next_asks(user),
    }
    return outgoing_email_create_once(
        team_id=None,
        to=user.email,
        subject=email_subject(render_to_string("emails/digest_subject.txt", context)),
        body=render_email("emails/digest.txt", context, zone),
        purpose="digest",
        dedupe_key=key,
    )
