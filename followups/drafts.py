"""Ready-to-edit messages for follow-ups, drafted from the referral: who introduced whom,
what happened and when, signed by the rep.

Plain text, in the spirit of the method: thank within a day, keep the referrer informed,
tell them of a loss before anyone else does, thank the prospect too. Short and warm — the
rep edits them, sends them from the app, or copies them for a call or a handwritten
note. Nothing is escaped here: the page's template escapes, and emails are plain text.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format

from accounts.zones import zone_of
from followups.models import FollowUp
from followups.services import PERIODIC_PREFIX
from outbox.services import email_subject
from referrals.models import Referral

Kind = FollowUp.Kind
Status = Referral.Status


@dataclass(frozen=True)
class Draft:
    subject: str
    body: str


def _day(moment: datetime | None, zone) -> str:
    """'Tuesday 4 March', on the rep's calendar."""
    if moment is None:
        return ""
    return date_format(timezone.localtime(moment, zone), "l j F")


def _status_sentence(referral: Referral, zone) -> str:
    """Where things stand, for a periodic update."""
    prospect = referral.prospect.full_name
    if referral.status == Status.ASKED:
        return (
            f"I am still keen to meet {prospect}; whenever the moment is right for you to "
            "make the introduction, I will take it from there."
        )
    if referral.status == Status.CONFIRMED:
        return (
            f"Thanks to your introduction on {_day(referral.confirmed_at, zone)}, I am "
            f"about to get in touch with {prospect}."
        )
    if referral.status == Status.CONTACTED:
        return (
            f"I have been in touch with {prospect} since "
            f"{_day(referral.contacted_at, zone)}, and we are finding a time to meet."
        )
    if referral.status == Status.MEETING:
        return (
            f"{prospect} and I met on {_day(referral.meeting_at, zone)} and are working "
            "out the next steps together."
        )
    return f"Things with {prospect} have moved on; I will tell you more soon."


def draft_for(followup: FollowUp) -> Draft:
    """The message for this follow-up, addressed to its recipient, signed by its owner
    (the referral's rep). Needs the owner and the referral with its referrer and prospect
    (followups.selectors joins them). Its subject is one line that fits an email's (the
    send form refuses a longer one), whatever the length of the names in it."""
    draft = _draft(followup)
    return Draft(subject=email_subject(draft.subject), body=draft.body)


def _draft(followup: FollowUp) -> Draft:
    referral = followup.referral
    # The follow-up's owner is the referral's rep (already joined); dates on their calendar.
    owner = followup.owner
    zone = zone_of(owner)
    referrer, prospect = referral.referrer, referral.prospect
    first = referrer.first_name
    rep = owner.sign_off
    kind, occasion = followup.kind, followup.occasion

    if kind == Kind.THANK_REFERRER:
        return Draft(
            subject=f"Thank you for thinking of {prospect.full_name}",
            body=(
                f"Hi {first},\n\n"
                f"Thank you for being willing to introduce me to {prospect.full_name}. "
                "It means a lot that you would put your name behind us, and I will take "
                "good care of it.\n\n"
                "I will let you know how it goes.\n\n"
                f"With thanks,\n{rep}"
            ),
        )
    if kind == Kind.THANK_PROSPECT:
        return Draft(
            subject="Thank you for your time",
            body=(
                f"Hi {prospect.first_name},\n\n"
                f"Thank you for making time for me on {_day(referral.contacted_at, zone)}. "
                f"{referrer.full_name} spoke highly of you, and I enjoyed our "
                "conversation.\n\n"
                "If anything comes up in the meantime, I am one message away.\n\n"
                f"Best regards,\n{rep}"
            ),
        )
    if kind == Kind.CLOSING_THANKS:
        return Draft(
            subject=f"Thank you — {prospect.full_name} is on board",
            body=(
                f"Hi {first},\n\n"
                f"Good news: on {_day(referral.won_at, zone)}, {prospect.full_name} "
                "decided to work with us. None of it would have happened without your "
                "introduction, and I wanted you to know first.\n\n"
                "Thank you for your trust. I hope to return the favour soon.\n\n"
                f"Warmly,\n{rep}"
            ),
        )
    if kind == Kind.CHASE_CONFIRMATION:
        return Draft(
            subject=f"Checking in about {prospect.full_name}",
            body=(
                f"Hi {first},\n\n"
                f"On {_day(referral.asked_at, zone)} you kindly offered to introduce me to "
                f"{prospect.full_name}. I know how full a week gets, so this is just a "
                "gentle nudge — no pressure at all.\n\n"
                "If it helps, a two-line email copying me is plenty, and I am happy to "
                "draft it for you. And if the timing is not right, just tell me: that is "
                "fine too.\n\n"
                f"Thank you again,\n{rep}"
            ),
        )
    if kind == Kind.EXPECTATIONS:
        return Draft(
            subject="Welcome — what happens next",
            body=(
                f"Hi {prospect.first_name},\n\n"
                "I am delighted we are working together. Over the coming weeks I will "
                "walk you through what happens next, who your contacts are, and when we "
                "will check in on how it is going.\n\n"
                "One more thing, said openly from the start: much of our business comes "
                f"from introductions — yours came through {referrer.full_name}. Once we "
                "have earned it, I will ask you whether someone you know should meet us "
                "too.\n\n"
                f"Best regards,\n{rep}"
            ),
        )
    if kind == Kind.READINESS:
        return Draft(
            subject="How are we doing?",
            body=(
                f"Hi {prospect.first_name},\n\n"
                f"It has been a little while since we started working together on "
                f"{_day(referral.won_at, zone)}. Could we take fifteen minutes to talk "
                "about it? I would like to hear what we have done right, what we could "
                "do better, and what it would take for you to recommend us.\n\n"
                f"Thank you,\n{rep}"
            ),
        )
    if kind == Kind.STATUS_REPORT and followup.about:
        # A problem during the sale (followups.problems): they hear it from us first.
        about = followup.about.rstrip(".")
        return Draft(
            subject=f"A quick word on {prospect.full_name}",
            body=(
                f"Hi {first},\n\n"
                f"I wanted you to hear it from me before anyone else: {about}. It does "
                f"not change how keen I am to work with {prospect.full_name}, and I am "
                "on it.\n\n"
                "I will let you know how it turns out.\n\n"
                f"Best,\n{rep}"
            ),
        )
    if kind == Kind.STATUS_REPORT and occasion == Status.LOST:
        return Draft(
            subject=f"An update on {prospect.full_name}",
            body=(
                f"Hi {first},\n\n"
                "I wanted you to hear this from me first: "
                f"{prospect.full_name} and I agreed on {_day(referral.lost_at, zone)} "
                "not to go ahead for now. It was a good conversation all the same, and the "
                "door stays open on both sides.\n\n"
                "Thank you for the introduction and for the trust behind it — it is "
                "appreciated, whatever the outcome.\n\n"
                f"With thanks,\n{rep}"
            ),
        )
    # A status report, or an "at each step" update (its occasion is the step).
    if kind == Kind.STATUS_REPORT or (
        kind == Kind.PERIODIC_UPDATE and not occasion.startswith(PERIODIC_PREFIX)
    ):
        what = {
            Status.CONFIRMED: (
                f"thank you for introducing me to {prospect.full_name} on "
                f"{_day(referral.confirmed_at, zone)}. I will reach out to them in "
                "the next few days."
            ),
            Status.CONTACTED: (
                f"a quick update: I got in touch with {prospect.full_name} on "
                f"{_day(referral.contacted_at, zone)}, using your name as you "
                "suggested. Thank you again for opening that door."
            ),
            Status.MEETING: (
                f"{prospect.full_name} and I met on {_day(referral.meeting_at, zone)}. "
                "It went well, and we are working out the next steps. Your introduction "
                "made all the difference."
            ),
        }.get(occasion, _status_sentence(referral, zone))
        return Draft(
            subject=f"An update on {prospect.full_name}",
            body=(
                f"Hi {first},\n\n{what[0].upper()}{what[1:]}\n\n"
                "I will keep you posted.\n\n"
                f"Best,\n{rep}"
            ),
        )
    # A weekly or monthly update.
    return Draft(
        subject=f"How things stand with {prospect.full_name}",
        body=(
            f"Hi {first},\n\n"
            f"A short update on {prospect.full_name}, whom you introduced me to: "
            f"{_status_sentence(referral, zone)}\n\n"
            "Thank you again for thinking of me.\n\n"
            f"Best,\n{rep}"
        ),
    )
