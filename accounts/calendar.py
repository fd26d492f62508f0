"""The secret of a user's calendar feed (accounts.models.CalendarFeed): made, replaced,
and looked up by the feed's link. The feed itself is followups.calendar's."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from accounts.models import CalendarFeed


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


@transaction.atomic
def calendar_feed_regenerate(*, user) -> str:
    """A new secret for the user's feed, returned once (only its hash is kept); the link
    made from the previous one stops working."""
    secret = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        user=user, defaults={"secret_hash": _hash(secret), "created_at": timezone.now()}
    )
    return secret


@transaction.atomic
def calendar_feed_revoke(*, user) -> None:
    CalendarFeed.objects.filter(user=user).delete()


def calendar_feed_user(secret: str):
    """The active user whose feed this secret opens, or None."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(secret_hash=_hash(secret), user__is_active=True)
        .first()
    )
    return feed.user if feed else None
