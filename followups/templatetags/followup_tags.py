"""Template helpers of the follow-up pages."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

from followups import selectors
from followups.forms import item_links, with_item_forms
from followups.models import FollowUp

register = template.Library()


@register.filter
def relative_due(due_at: datetime | None) -> str:
    """'in 3 hours', or '2 days overdue' — against the time of rendering."""
    if due_at is None:
        return ""
    now = timezone.now()
    if due_at < now:
        return f"{timesince(due_at, now, depth=1)} overdue"
    return f"in {timeuntil(due_at, now, depth=1)}"


@register.filter
def is_past(moment: datetime | None) -> bool:
    return moment is not None and moment < timezone.now()


@register.simple_tag
def referral_followups(referral) -> list[FollowUp]:
    """The referral's follow-ups for its page (one query), each pending one with its
    complete and skip forms, so the page's view needs to know nothing about them."""
    followups = selectors.followups_of_referral(referral)
    links = item_links()
    for followup in followups:
        # The page's objects: no query per item.
        followup.referral, followup.owner = referral, referral.owner
        with_item_forms(followup, links=links)
    return followups
