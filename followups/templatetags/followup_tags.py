"""Template helpers of the follow-up pages."""

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from django import template
from django.utils import dateformat, timezone, translation
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


@dataclass(frozen=True)
class Due:
    """A due time as a list item shows it, in the user's zone (the page's current one)."""

    iso: str  # for <time datetime>
    full: str  # "Monday 7 December 2026, 09:30 EST", its title
    short: str  # "Mon 7 Dec, 09:30"
    relative: str  # "in 3 hours", "2 days overdue"
    past: bool


@lru_cache(maxsize=256)
def _day_words(day: date, language: str | None) -> tuple[str, str]:
    # Django's formats (its translated day and month names), once per day shown: a page
    # of sixty items written with the |date filter spent a third of its time on its dates.
    return dateformat.format(day, "D j M"), dateformat.format(day, "l j F Y")


@register.filter
def due(moment: datetime | None) -> Due | None:
    """Everything an item writes of its due time, from one conversion to the user's zone."""
    if moment is None:
        return None
    local = timezone.localtime(moment)
    short_day, full_day = _day_words(local.date(), translation.get_language())
    clock = f"{local:%H:%M}"
    return Due(
        iso=local.isoformat(),
        full=f"{full_day}, {clock} {local.tzname() or ''}".rstrip(),
        short=f"{short_day}, {clock}",
        relative=relative_due(moment),
        past=moment < timezone.now(),
    )


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
