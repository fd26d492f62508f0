"""What the KPIs count, one definition per measure: the rollups (reporting/rollups.py) are
maintained, rebuilt and checked from these, and the KPIs (reporting/kpis.py) read them by
name — a new number for managers adds a measure here and a formula there.

A measure counts the rows of a source model that meet its condition, on the day of one
column of the row (its family's `dated_by`): a step's instant (the UTC day it falls on;
kpis reads the two partial days at a period's edges from the rows themselves when the
viewer's days are not UTC's) or a calendar date. A measure with an `amount` also sums that
column over the same rows.

A state that depends on the moment of reading is measured by the day it turns: the
follow-ups still pending, by the UTC day they fall due — those of the days before today
are overdue now, and the KPIs add today's from the rows. Of the thank-yous of a cohort
still pending, those not yet due are read from the rows (a day's worth: the partial index
of pending thank-yous, from now on), and the weekly goals too (at most one row per rep and
week).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.db.models import F, Q

from followups.models import FollowUp
from referrals.models import AnsweredBy, Deal, Quality, Referral, ReferralGiven

QUALITIES = [q.value for q in Quality]


@dataclass(frozen=True)
class Measure:
    condition: Q = field(default_factory=Q)
    amount: str | None = None  # a column summed over the counted rows


@dataclass(frozen=True)
class Family:
    """Measures of one source model dated by the same column."""

    name: str
    model: type[models.Model]
    dated_by: str  # a column, or a lookup through a foreign key
    by_instant: bool  # a DateTimeField (UTC days) rather than a DateField
    measures: dict[str, Measure]
    rows: Q = field(default_factory=Q)  # only these rows can count at all


ASKED = Family(
    "asked",
    Referral,
    "asked_at",
    by_instant=True,
    measures={
        "asks": Measure(),
        # The cohort asked on the day, and how far it has come since.
        "cohort_confirmed": Measure(Q(confirmed_at__isnull=False)),
        "cohort_meeting": Measure(Q(meeting_at__isnull=False)),
        "cohort_won": Measure(Q(won_at__isnull=False)),
    },
)

CONFIRMED = Family(
    "confirmed",
    Referral,
    "confirmed_at",
    by_instant=True,
    measures={
        "intros": Measure(),
        # Confirmed by the referrer themselves, with a link of the ask (issue 18).
        "intros_by_referrer": Measure(Q(confirmed_by=AnsweredBy.REFERRER)),
        **{f"intros_{q}": Measure(Q(quality=q)) for q in QUALITIES},
        **{
            f"intros_{q}_meeting": Measure(Q(quality=q, meeting_at__isnull=False))
            for q in QUALITIES
        },
        **{f"intros_{q}_won": Measure(Q(quality=q, won_at__isnull=False)) for q in QUALITIES},
    },
)

MEETING = Family(
    "meeting", Referral, "meeting_at", by_instant=True, measures={"meetings": Measure()}
)

# The amount of "wins" is the won value: the values known (an unknown value is no zero).
WON = Family("won", Referral, "won_at", by_instant=True, measures={"wins": Measure(amount="value")})

GIVEN = Family(
    "given", ReferralGiven, "given_on", by_instant=False, measures={"referrals_given": Measure()}
)

# The thank-the-referrer follow-ups done, dated by their referral's ask (the on-time rate
# is of the cohort asked in the period).
THANKS = Family(
    "thanks",
    FollowUp,
    "referral__asked_at",
    by_instant=True,
    rows=Q(kind=FollowUp.Kind.THANK_REFERRER),
    measures={
        "thanks_done": Measure(Q(status=FollowUp.Status.DONE)),
        "thanks_done_on_time": Measure(Q(status=FollowUp.Status.DONE, done_at__lte=F("due_at"))),
        # Still pending, due or not: the KPIs subtract those not yet due (a few, read
        # from the rows) to count the ones past due.
        "thanks_pending": Measure(Q(status=FollowUp.Status.PENDING)),
    },
)


# Every follow-up still pending, by the UTC day it falls due (the overdue ones: those due
# before the moment of reading).
DUE = Family(
    "due",
    FollowUp,
    "due_at",
    by_instant=True,
    measures={"pending_due": Measure(Q(status=FollowUp.Status.PENDING))},
)


def _deal_measures(prefix: str, source: Q) -> dict[str, Measure]:
    won = source & Q(outcome=Deal.Outcome.WON)
    return {
        f"{prefix}_closed": Measure(source),
        # The amount is the value of the won deals whose value is known; the average deal
        # divides it by the count of those.
        f"{prefix}_won": Measure(won),
        f"{prefix}_won_valued": Measure(won & Q(value__isnull=False), amount="value"),
    }


DEALS = Family(
    "deals",
    Deal,
    "closed_on",
    by_instant=False,
    rows=Q(outcome__in=[Deal.Outcome.WON, Deal.Outcome.LOST]),
    measures={
        **_deal_measures("deals_referral", Q(source=Deal.Source.REFERRAL)),
        **_deal_measures("deals_other", ~Q(source=Deal.Source.REFERRAL)),
    },
)

FAMILIES: tuple[Family, ...] = (ASKED, CONFIRMED, MEETING, WON, GIVEN, THANKS, DUE, DEALS)

# measure name → its family
FAMILY_OF: dict[str, Family] = {name: family for family in FAMILIES for name in family.measures}
