"""Writes to the idempotency keys."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from idempotency.models import IdempotencyKey


def keys_expire_before(now: datetime | None = None) -> datetime:
    """Keys used before this moment are forgotten: replayed no more, and purged."""
    return (now or timezone.now()) - timedelta(hours=settings.WARMPATH_IDEMPOTENCY_KEY_HOURS)


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Delete the keys older than settings.WARMPATH_IDEMPOTENCY_KEY_HOURS; returns how
    many. Run twice, the second run finds nothing to delete."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=keys_expire_before(now)).delete()
    return deleted
