"""In-app notifications: the bell in the navigation, its page and the API (their list is
followups.selectors.notifications_for_user, filtered by followups.filters).

A notification belongs to one user and is seen by that user only — a manager does not
read a rep's bell. Reminders create them (followups.reminders); people read them here.
"""

from datetime import datetime

from django.utils import timezone

from followups.models import Notification

# The bell counts at most this many (and shows "99+"): the count costs the same with
# 10 or 10,000 unread, through the partial index notification_unread_idx.
UNREAD_COUNT_CAP = 100


def unread_notification_count(user, *, cap: int = UNREAD_COUNT_CAP) -> int:
    """How many unread notifications the user has, counted up to `cap`. One query."""
    return Notification.objects.filter(user=user, read_at__isnull=True)[:cap].count()


def notification_mark_read(
    *, notification: Notification, now: datetime | None = None
) -> Notification:
    """Mark one notification read; reading it again keeps the first time."""
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, user, now: datetime | None = None) -> int:
    """Mark every unread notification of the user read; returns how many were unread."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )


def notifications_settle_for_followup(*, followup, now: datetime | None = None) -> int:
    """The follow-up is done or skipped: its reminders' notifications (due, escalated) are
    no longer news, so they read as read. The one place a closed follow-up settles them."""
    return Notification.objects.filter(reminder__followup=followup, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )
