"""What happens to a referral, announced to the apps above referrals.

Follow-ups belong to referrals (FollowUp has a foreign key to Referral), so referrals
cannot call the follow-up rules without depending on the layer above it. Instead the
workflow (referrals.services) sends `referral_event` once per event, and followups
subscribes in its AppConfig.ready(); the rules ("which follow-ups an event starts") stay
in followups.services.

The signal is sent synchronously, inside the transaction of the write, after the
referral, its roster entry, its deal and its timeline are saved. A receiver's error is
not swallowed: it propagates and rolls the whole write back, so a referral is never
recorded without the follow-up chain it calls for (nor the chain without the referral).
Receivers only dispatch to a service; no rule lives in a receiver.

Arguments of every send: `referral` (saved, in its new state), `event` (ASKED or the
status the referral just reached, a Referral.Status value) and `at` (when it happened:
the ask's or the step's time).
"""

from datetime import datetime

from django.dispatch import Signal

from referrals.models import Referral

ASKED = "asked"

referral_event = Signal()


def referral_event_send(*, referral: Referral, event: str, at: datetime) -> None:
    referral_event.send(sender=Referral, referral=referral, event=event, at=at)
