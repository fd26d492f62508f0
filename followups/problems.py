"""A problem during an open sale ("the demo slipped"): the referrer hears it from the rep
before the prospect tells them. Reporting it creates a status report to the referrer, due
the same day (the end of the rep's day), with the problem in its draft."""

from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.zones import zone_of
from contacts.services import activity_record
from core.errors import StateConflict
from core.text import fit
from followups.models import FollowUp
from referrals.models import Referral

PROBLEM_PREFIX = "problem:"
PROBLEM_MAX_LENGTH = 500
# A sale is open from the referrer's confirmation to its end (won, lost).
OPEN_SALE = (Referral.Status.CONFIRMED, Referral.Status.CONTACTED, Referral.Status.MEETING)
SAY_WHAT_HAPPENED = "Say what happened, in a sentence."
NOT_AN_OPEN_SALE = (
    "A problem is reported while the sale is open (confirmed, contacted or meeting); this "
    "referral is “{status}”."
)
PROBLEM_DESCRIPTION = "Problem reported: {problem}"


def end_of_day(moment: datetime, zone) -> datetime:
    """The last minute of the day `moment` falls on, in `zone`."""
    next_day = timezone.localdate(moment, zone) + timedelta(days=1)
    return datetime.combine(next_day, time.min, tzinfo=zone) - timedelta(minutes=1)


@transaction.atomic
def referral_problem_report(*, referral: Referral, actor, problem: str) -> FollowUp:
    """Record a problem of an open sale: a line on the timeline and a status report to
    the referrer, due by the end of the rep's day. Refused without a text
    (ValidationError) or when the sale is not open (StateConflict)."""
    problem = fit(" ".join((problem or "").split()), PROBLEM_MAX_LENGTH)
    if not problem:
        raise ValidationError({"problem": SAY_WHAT_HAPPENED})
    referral = (
        Referral.objects.select_for_update().select_related("owner", "team").get(pk=referral.pk)
    )
    if referral.status not in OPEN_SALE:
        raise StateConflict(NOT_AN_OPEN_SALE.format(status=referral.get_status_display().lower()))
    now = timezone.now()
    reported = FollowUp.objects.filter(referral=referral, occasion__startswith=PROBLEM_PREFIX)
    followup = FollowUp.objects.create(
        team_id=referral.team_id,
        owner_id=referral.owner_id,
        referral=referral,
        kind=FollowUp.Kind.STATUS_REPORT,
        occasion=f"{PROBLEM_PREFIX}{reported.count() + 1}",
        recipient_id=referral.referrer_id,
        due_at=max(end_of_day(now, zone_of(referral.owner)), now),
        about=problem,
    )
    activity_record(
        team=referral.team,
        actor=actor,
        referral=referral,
        contact=referral.prospect,
        verb="problem",
        description=PROBLEM_DESCRIPTION.format(problem=problem),
        at=now,
    )
    return followup
