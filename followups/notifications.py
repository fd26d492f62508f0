"""In-app notifications: the bell in the navigation, its page and the API (their list is
followups.selectors.notifications_for_user, filtered by followups.filters).

A notification belongs to one user and is seen by that user only — a manager does not
read a rep's bell. Reminders create them (followups.reminders); people read them here.
"""

from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from core.text import fit_field
from followups.models import Notification
from referrals.links import STEPS
from referrals.models import Referral

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


# What the rep's bell says when the referrer answered an ask with a link of its email.
REFERRER_ANSWERED = {
    "introduced": "{referrer} confirmed the introduction to {prospect} (by email link)",
    "agreed": "{referrer} confirmed: {prospect} would like to talk (by email link)",
    "not_now": "{referrer} says it is not the right time to introduce {prospect}",
}
WITH_NOTE = "{message}: “{note}”"


def notification_of_referrer_answer(
    *, referral: Referral, step: str, note: str = ""
) -> Notification:
    """Tell the referral's rep, in the app, that the referrer answered the ask by link."""
    if step not in STEPS:
        raise ValueError(f"Unknown link step {step!r}.")
    message = REFERRER_ANSWERED[step].format(referrer=referral.referrer, prospect=referral.prospect)
    if note:
        message = WITH_NOTE.format(message=message, note=note)
    return Notification.objects.create(
        user_id=referral.owner_id,
        message=fit_field(Notification, "message", message),
        url=reverse("referrals:referral-detail", kwargs={"pk": referral.pk}),
    )
