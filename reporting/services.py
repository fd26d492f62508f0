"""Writes of reporting: weekly goals (WeeklyGoal lives in referrals.models), set from the
goals page and the goals API."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Membership
from referrals.models import WeeklyGoal
from reporting.kpis import GOAL_KEYS

NOT_A_MONDAY = "Weekly goals start on a Monday."
NOT_A_REP_OF_THE_TEAM = "Goals can be set only for reps of this team."
NEGATIVE_GOAL = "A goal cannot be negative."


def _check_week(week_start: date) -> None:
    if week_start.weekday() != 0:
        raise ValidationError({"week_start": NOT_A_MONDAY})


@transaction.atomic
def goal_set(*, team, week_start: date, rep=None, **values) -> WeeklyGoal:
    """Create or update the team's goal (rep None) or one rep's goal for a week."""
    _check_week(week_start)
    if (
        rep is not None
        and not Membership.objects.filter(team=team, user=rep, role=Membership.Role.REP).exists()
    ):
        raise ValidationError({"rep": NOT_A_REP_OF_THE_TEAM})
    values = {key: values[key] for key in GOAL_KEYS if key in values}
    if any(value is None or value < 0 for value in values.values()):
        raise ValidationError(NEGATIVE_GOAL)
    goal, _created = WeeklyGoal.objects.update_or_create(
        team=team, rep=rep, week_start=week_start, defaults=values
    )
    return goal


@transaction.atomic
def goals_copy_from_previous_week(*, team, week_start: date) -> int:
    """Copy the team's and its reps' goals of the week before onto this week, replacing
    this week's goals of the same people; goals of people no longer reps are not copied.
    Returns the number of goals copied."""
    _check_week(week_start)
    rep_ids = set(
        Membership.objects.filter(team=team, role=Membership.Role.REP).values_list(
            "user_id", flat=True
        )
    )
    previous = WeeklyGoal.objects.filter(team=team, week_start=week_start - timedelta(days=7))
    copied = 0
    for goal in previous:
        if goal.rep_id is not None and goal.rep_id not in rep_ids:
            continue
        WeeklyGoal.objects.update_or_create(
            team=team,
            rep_id=goal.rep_id,
            week_start=week_start,
            defaults={key: getattr(goal, key) for key in GOAL_KEYS},
        )
        copied += 1
    return copied


@transaction.atomic
def goal_delete(*, goal: WeeklyGoal) -> None:
    goal.delete()
