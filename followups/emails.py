"""What the emails about follow-ups share (the due reminder, the escalation, the morning
digest): the link to the follow-up, absolute for a mail client, and dates written in the
recipient's own time zone."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from followups.models import FollowUp


def absolute_url(path: str) -> str:
    base = getattr(settings, "WARMPATH_BASE_URL", "http://localhost:8000")
    return f"{base.rstrip('/')}{path}"


def followup_path(followup: FollowUp) -> str:
    """Where a reminder leads: the referral the follow-up belongs to."""
    return reverse("referrals:referral-detail", args=[followup.referral_id])


def render_email(template: str, context: dict, zone: ZoneInfo) -> str:
    # Dates in the email read in the recipient's time zone, whatever the worker's.
    with timezone.override(zone):
        return render_to_string(template, context).strip() + "\n"


def followup_email_context(followup: FollowUp, zone: ZoneInfo, path: str | None = None) -> dict:
    referral = followup.referral
    return {
        "followup": followup,
        "kind": followup.get_kind_display(),
        "recipient": followup.recipient,
        "referrer": referral.referrer,
        "prospect": referral.prospect,
        "due_at": followup.due_at,
        "time_zone": zone.key,
        "url": absolute_url(path or followup_path(followup)),
    }
