"""Followups' subscriptions to the events of the layers below it (connected in
FollowupsConfig.ready()). A receiver only dispatches to a service: the rules live there."""

from followups.services import followups_for_event


def followups_on_referral_event(*, referral, event, **kwargs) -> None:
    """referrals.events.referral_event → the follow-ups the event starts or cancels. Runs in
    the referral's transaction; an error here rolls the referral's write back."""
    followups_for_event(referral=referral, event=event)
