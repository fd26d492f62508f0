"""The user's time zone: the one rule pages, services, tasks and emails follow.

Days ("today", a week, when a follow-up is due, the morning digest) are the user's own,
after User.time_zone. A name that is empty or unknown (a zone dropped from the tz
database, a row edited by hand) must not break a page or a task: it reads as UTC, the
zone everything is stored in.
"""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FALLBACK_ZONE = ZoneInfo("UTC")


def zone_named(name: str | None) -> ZoneInfo:
    """The zone of that name; UTC for an empty or unknown one."""
    if not name:
        return FALLBACK_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return FALLBACK_ZONE


def zone_of(user) -> ZoneInfo:
    """The user's own zone; UTC for a visitor (no time_zone) and an unknown name."""
    return zone_named(getattr(user, "time_zone", None))
