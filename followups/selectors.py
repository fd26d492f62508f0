"""Reads of follow-ups shared by the inbox, the manager's page, the rep's week, the
referral page, the API and the admin.

Scoped through accounts.visibility (a rep sees their own follow-ups, a manager the
team's, staff everything); querysets come with the rows an item shows already joined.

Time: "overdue" means pending with its due time passed (DESIGN.md's KPI); "due today"
means pending and due between now and the end of the user's day; "upcoming" from the
start of tomorrow for UPCOMING_DAYS days. Days are the user's own (User.time_zone),
each computed from its own midnight, so a 23- or 25-hour day around a daylight-saving
change is still one day.
"""

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from accounts.models import Team
from accounts.visibility import visible_owned
from accounts.zones import zone_of
from followups.models import FollowUp, Notification
from referrals.models import Referral

UPCOMING_DAYS = 14
Status = FollowUp.Status


def day_start(day: date, zone) -> datetime:
    """Midnight of `day` in `zone`, as an aware datetime (where midnight does not exist
    because the clocks jump at midnight, the instant the day starts)."""
    local = datetime.combine(day, time.min, tzinfo=zone)
    return local.astimezone(zoneinfo.ZoneInfo("UTC")).astimezone(zone)


def today_bounds(user, *, now: datetime | None = None) -> tuple[datetime, datetime, date]:
    """(start of today, start of tomorrow, today) in the user's zone."""
    now = now or timezone.now()
    zone = zone_of(user)
    today = now.astimezone(zone).date()
    return day_start(today, zone), day_start(today + timedelta(days=1), zone), today


def _joined(queryset: QuerySet) -> QuerySet:
    return queryset.select_related(
        "owner", "recipient", "referral", "referral__referrer", "referral__prospect"
    )


# What a list item shows (templates/followups/_item.html, the rep's week) of a follow-up
# and of the people joined to it: lists read these columns only (a contact's row has
# some forty; building sixty items' five objects from every column cost a third of the
# inbox's reading).
_PERSON = ("first_name", "last_name", "preferred_channel")
ITEM_FIELDS = (
    *("id", "team", "owner", "referral", "kind", "recipient", "due_at", "status"),
    *("channel", "note", "skip_reason", "done_at"),
    *("owner__first_name", "owner__last_name", "owner__username"),
    *(f"recipient__{field}" for field in _PERSON),
    *("referral__referrer", "referral__prospect"),
    *(f"referral__referrer__{field}" for field in _PERSON),
    *(f"referral__prospect__{field}" for field in _PERSON),
)


def as_items(followups: QuerySet[FollowUp]) -> QuerySet[FollowUp]:
    """A list of follow-ups (followups_for_user's joins) read for its items only."""
    return followups.only(*ITEM_FIELDS)


def followups_for_user(user, *, team: Team | None = None) -> QuerySet[FollowUp]:
    """Every follow-up the user may see, soonest due first."""
    followups = visible_owned(FollowUp.objects.all(), user)
    if team is not None:
        followups = followups.filter(team=team)
    return _joined(followups).order_by("due_at", "pk")


def inbox_sections(
    user, *, team: Team | None, now: datetime | None = None
) -> tuple[QuerySet[FollowUp], dict[str, Q]]:
    """The rep's own pending follow-ups up to the end of the upcoming days, and what puts
    one in each section of the inbox — overdue, due today, upcoming (the next
    UPCOMING_DAYS days) — so the caller can count the sections in one query and read
    each section's page."""
    now = now or timezone.now()
    _, tomorrow, today = today_bounds(user, now=now)
    horizon = day_start(today + timedelta(days=UPCOMING_DAYS + 1), zone_of(user))
    mine = as_items(followups_for_user(user, team=team)).filter(
        owner=user, status=Status.PENDING, due_at__lt=horizon
    )
    return mine, {
        "overdue": Q(due_at__lt=now),
        "today": Q(due_at__gte=now, due_at__lt=tomorrow),
        "upcoming": Q(due_at__gte=tomorrow),
    }


def inbox_for_user(user, *, team: Team | None, now: datetime | None = None) -> dict:
    """The inbox's three sections (inbox_sections) as querysets, to be paginated."""
    mine, sections = inbox_sections(user, team=team, now=now)
    return {name: mine.filter(condition) for name, condition in sections.items()}


def section_counts(followups: QuerySet[FollowUp], sections: dict[str, Q]) -> dict[str, int]:
    """How many of `followups` each section holds — one query."""
    return followups.aggregate(
        **{name: Count("pk", filter=condition) for name, condition in sections.items()}
    )


def due_counts_for_user(user, *, team: Team | None, now: datetime | None = None) -> dict:
    """How many of the user's own pending follow-ups are overdue and due later today —
    one query."""
    now = now or timezone.now()
    _, tomorrow, _ = today_bounds(user, now=now)
    mine = visible_owned(FollowUp.objects.all(), user).filter(owner=user, status=Status.PENDING)
    if team is not None:
        mine = mine.filter(team=team)
    return mine.aggregate(
        overdue=Count("pk", filter=Q(due_at__lt=now)),
        today=Count("pk", filter=Q(due_at__gte=now, due_at__lt=tomorrow)),
    )


def due_soon_for_user(user, *, team: Team | None, now: datetime | None = None) -> QuerySet:
    """The user's own pending follow-ups that are overdue or due today, oldest first."""
    now = now or timezone.now()
    _, tomorrow, _ = today_bounds(user, now=now)
    return as_items(followups_for_user(user, team=team)).filter(
        owner=user, status=Status.PENDING, due_at__lt=tomorrow
    )


def team_overdue(user, *, team: Team, now: datetime | None = None) -> QuerySet[FollowUp]:
    """The team's overdue follow-ups the user may see, by rep then oldest first."""
    now = now or timezone.now()
    return (
        as_items(followups_for_user(user, team=team))
        .filter(status=Status.PENDING, due_at__lt=now)
        # By rep (grouped, in the order of followup_team_pending_owner), then oldest first.
        .order_by("owner", "due_at", "pk")
    )


def team_overdue_by_rep(user, *, team: Team, now: datetime | None = None) -> list[dict]:
    """Per rep with overdue follow-ups: how many, and the oldest due time — one
    aggregate query, most overdue first."""
    now = now or timezone.now()
    rows = (
        visible_owned(FollowUp.objects.filter(team=team), user)
        .filter(status=Status.PENDING, due_at__lt=now)
        .order_by()
        .values("owner", "owner__first_name", "owner__last_name", "owner__username")
        # COUNT(*), not COUNT(id): counted from followup_team_pending_owner alone.
        .annotate(overdue=Count("*"), oldest=Min("due_at"))
        .order_by("-overdue", "oldest")
    )
    return [
        {
            "owner_id": row["owner"],
            "name": f"{row['owner__first_name']} {row['owner__last_name']}".strip()
            or row["owner__username"],
            "overdue": row["overdue"],
            "oldest": row["oldest"],
        }
        for row in rows
    ]


def followups_of_referral(referral: Referral, *, limit: int = 60) -> list[FollowUp]:
    """The follow-ups of one referral (the caller has checked it may see the referral),
    in due order: a handful, plus a weekly update per week it stays open — bounded."""
    return list(
        FollowUp.objects.filter(referral=referral)
        .select_related("recipient")
        .order_by("due_at", "pk")[:limit]
    )


# --- Notifications ----------------------------------------------------------------------------


def notifications_for_user(user) -> QuerySet[Notification]:
    """The user's own notifications (a manager does not read a rep's bell), newest first,
    with the reminder they come from; followups.filters.NotificationFilter narrows them."""
    return (
        Notification.objects.filter(user=user)
        .select_related("reminder")
        .order_by("-created_at", "-pk")
    )
