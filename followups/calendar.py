"""A rep's calendar feed (iCalendar, RFC 5545): their pending follow-ups at their due
time and the meetings of their referrals, for Outlook, Google or Apple Calendar to
subscribe to. The link's secret is accounts.calendar's; the feed holds only what the rep
sees in Warmpath, and a follow-up done or skipped leaves it at the next refresh.

Written by hand: the format is small, and a well-kept parser (icalendar) reads it in the
tests. Text is escaped (backslash, semicolon, comma, line breaks), control characters
dropped, and lines folded at 75 octets, as the RFC asks.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core import dates
from followups.models import FollowUp
from referrals.models import Referral

PRODUCT = "-//Warmpath//Follow-ups and meetings//EN"
CALENDAR_NAME = "Warmpath: {user}"
FOLLOWUP_LENGTH = timedelta(minutes=15)
MEETING_LENGTH = timedelta(hours=1)
# How far back the feed reaches (an overdue follow-up stays until it is done; meetings
# of the last months give the calendar its context), and how much it holds at most.
MEETINGS_SINCE = timedelta(days=90)
MOST_EVENTS = 500


def _text(value: str) -> str:
    cleaned = "".join(ch if ch == "\n" or ch >= " " else " " for ch in str(value))
    cleaned = cleaned.replace("\r", "")
    return (
        cleaned.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    )


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> list[str]:
    """Lines of at most 75 octets, never cutting a character; continuations start with a
    space."""
    parts, current, size = [], "", 0
    for character in line:
        width = len(character.encode("utf-8"))
        limit = 75 if not parts else 74
        if size + width > limit:
            parts.append(current)
            current, size = "", 0
        current += character
        size += width
    parts.append(current)
    return [parts[0], *(" " + part for part in parts[1:])]


def _event(
    uid: str,
    start: datetime,
    length: timedelta,
    summary: str,
    description: str,
    url: str,
    stamp: datetime,
) -> list[str]:
    # A moment stored outside core.dates' window (an old row, year 9999) is shown at its
    # edge: its end or its UTC form would not exist.
    start = dates.nearest_in_window(start)
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{_moment(stamp)}",
        f"DTSTART:{_moment(start)}",
        f"DTEND:{_moment(start + length)}",
        f"SUMMARY:{_text(summary)}",
        f"DESCRIPTION:{_text(description)}",
        f"URL:{url}",
        "END:VEVENT",
    ]


def calendar_feed_for(user, *, now: datetime | None = None) -> str:
    """The user's feed: their pending follow-ups and the meetings of their referrals
    (two queries)."""
    now = now or timezone.now()
    base, domain = settings.WARMPATH_BASE_URL, "warmpath"
    followups = (
        FollowUp.objects.filter(owner=user, status=FollowUp.Status.PENDING)
        .select_related("recipient", "referral__referrer", "referral__prospect")
        .order_by("due_at", "pk")[:MOST_EVENTS]
    )
    meetings = (
        Referral.objects.filter(owner=user, meeting_at__gte=now - MEETINGS_SINCE)
        .select_related("referrer", "prospect")
        .order_by("meeting_at", "pk")[:MOST_EVENTS]
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_text(CALENDAR_NAME.format(user=user))}",
    ]
    for followup in followups:
        referral = followup.referral
        lines += _event(
            f"followup-{followup.pk}@{domain}",
            followup.due_at,
            FOLLOWUP_LENGTH,
            f"{followup.get_kind_display()}: {followup.recipient.full_name}",
            f"{referral.referrer.full_name} introduced {referral.prospect.full_name}.",
            base + reverse("followups:draft", args=[followup.pk]),
            now,
        )
    for referral in meetings:
        lines += _event(
            f"meeting-{referral.pk}@{domain}",
            referral.meeting_at,
            MEETING_LENGTH,
            f"Meeting: {referral.prospect.full_name}",
            f"Introduced by {referral.referrer.full_name}.",
            base + reverse("referrals:referral-detail", args=[referral.pk]),
            now,
        )
    lines.append("END:VCALENDAR")
    return "".join(folded + "\r\n" for line in lines for folded in _fold(line))
