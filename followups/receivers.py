"""Followups' subscriptions to the events of the layers below it (connected in
FollowupsConfig.ready()). A receiver only dispatches to a service: the rules live there."""

from followups.notifications import notification_of_referrer_answer
from followups.services import followups_for_event


def followups_on_referral_event(*, referral, event, **kwargs) -> None:
    """referrals.events.referral_event → the follow-ups the event starts or cancels. Runs in
    the referral's transaction; an error here rolls the referral's write back."""
    followups_for_event(referral=referral, event=event)


def rep_told_of_answer(*, referral, step, note, **kwargs) -> None:
    """referrals.links.referrer_answered → the rep's bell. In the answer's transaction."""
    notification_of_referrer_answer(referral=referral, step=step, note=note)
