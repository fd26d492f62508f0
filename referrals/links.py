"""The referrer answers the ask themselves: signed links in the email, no account needed.

An ask sent by email from Warmpath (referral_ask_send, or a follow-up's message while the
referral is still asked) carries three links for the referrer: "I've introduced you"
(confirmed), "They'd like to talk" (confirmed, the prospect agreed: a double opt-in, the
"better" grade) and "Not the right time" (declined). Each link is a token signed with the
project's secret (django.core.signing.TimestampSigner, its own salt) that binds:

- the referral, its team and its referrer (an id of another team, or a referral whose
  referrer changed, is refused even with a valid signature);
- the step it may perform (one of STEPS; any other is refused);
- a nonce shared by the links of one email: the first one used stores it
  (ReferrerLinkUse, unique), so a link works once;
- the moment it was signed: it expires after the team's `referrer_link_days` (14 by
  default).

Every refusal — tampered, expired, used, unknown step, the referral moved on or deleted,
another team's id — is the same LinkRefused with the same message, so the page tells an
outsider nothing (no enumeration); the signature is compared in constant time by Django,
and nothing is looked up before it is verified. A refusal changes nothing.

Using a link goes through referral_transition, exactly as the rep's own confirmation does
(the same follow-ups start), with `answered_by="referrer"`; the referrer's optional line
lands on the referral's timeline, and `referrer_answered` is announced so the layer above
(followups) tells the rep in the app.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

from contacts.services import activity_record
from core.errors import StateConflict
from core.text import fit, one_line
from outbox.models import OutgoingEmail
from outbox.services import email_subject, on_behalf_of, outgoing_emails_send_after_commit
from referrals.asks import ask_email
from referrals.models import AnsweredBy, Quality, Referral, ReferrerLinkUse
from referrals.services import referral_transition, referral_update

Status = Referral.Status

SALT = "warmpath.referrals.referrer-link"
INTRODUCED, AGREED, NOT_NOW = "introduced", "agreed", "not_now"
# step → (the status it moves the referral to, the button's words)
STEPS = {
    INTRODUCED: (Status.CONFIRMED, "I've introduced you"),
    AGREED: (Status.CONFIRMED, "They'd like to talk"),
    NOT_NOW: (Status.DECLINED, "Not the right time"),
}
# What the page asks before the one button, per step.
STEP_QUESTIONS = {
    INTRODUCED: "Have you introduced {rep} to {prospect}?",
    AGREED: "Would {prospect} like to talk with {rep}?",
    NOT_NOW: "Is it not the right time to introduce {prospect} to {rep}?",
}
# Links are refused past this, whatever a team's setting (its validator's maximum).
LONGEST_LIFE = timedelta(days=90)
NOTE_MAX_LENGTH = 300

LINK_REFUSED = (
    "This link no longer works. It may have been used already, it may have expired, or the "
    "introduction has moved on since the email was sent. Nothing was changed. If there is "
    "something to tell, simply reply to the email."
)
ASK_NOT_ASKED = (
    "This ask is “{status}”: the referrer has answered already, so there is no ask to send."
)
ASK_NO_EMAIL = "{referrer} has no email address in Warmpath: add one, or ask by phone or in person."
ASK_SUBJECT = "An introduction to {prospect}?"
ASK_SENT_DESCRIPTION = "Sent the ask to {referrer} by email: {subject}"
NOTE_DESCRIPTION = "{referrer} wrote: “{note}”"
LINKS_BLOCK = (
    "\n\n---\nOne click tells {rep} where things stand (no account needed; each link works "
    "once, until {until}):\n"
)

# Sent once a referrer's answer by link is recorded, in its transaction (like
# referrals.events.referral_event): `referral` (in its new state), `step` (one of STEPS)
# and `note` (the referrer's line, maybe empty). followups tells the rep.
referrer_answered = Signal()


class LinkRefused(StateConflict):
    """Any link that cannot be used, for whatever reason: one message for all."""

    def __init__(self):
        super().__init__(LINK_REFUSED)


@dataclass(frozen=True)
class ReferrerLink:
    referral: Referral
    step: str
    nonce: str

    @property
    def status(self) -> str:
        return STEPS[self.step][0]

    @property
    def label(self) -> str:
        return STEPS[self.step][1]

    def question(self) -> str:
        return STEP_QUESTIONS[self.step].format(
            rep=rep_name(self.referral.owner), prospect=self.referral.prospect.full_name
        )


def rep_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def referrer_link_token(*, referral: Referral, step: str, nonce: str) -> str:
    payload = {
        "r": referral.pk,
        "t": referral.team_id,
        "c": referral.referrer_id,
        "s": step,
        "n": nonce,
    }
    return _signer().sign_object(payload)


def referrer_link_urls(*, referral: Referral, nonce: str | None = None) -> dict[str, str]:
    """The three links of one email (one nonce: the first used spends them all), absolute."""
    nonce = nonce or secrets.token_hex(16)
    return {
        step: settings.WARMPATH_BASE_URL
        + reverse(
            "public:referrer-link",
            kwargs={"token": referrer_link_token(referral=referral, step=step, nonce=nonce)},
        )
        for step in STEPS
    }


def referrer_links_block(*, referral: Referral) -> str:
    """The end of an email to the referrer while the referral is asked: the three links."""
    until = timezone.localtime(timezone.now() + link_life(referral)).strftime("%d %B %Y")
    urls = referrer_link_urls(referral=referral)
    lines = [f"{STEPS[step][1]}: {url}" for step, url in urls.items()]
    return LINKS_BLOCK.format(rep=rep_name(referral.owner), until=until) + "\n".join(lines)


def link_life(referral: Referral) -> timedelta:
    return min(timedelta(days=referral.team.referrer_link_days), LONGEST_LIFE)


def referrer_link_read(token: str) -> ReferrerLink:
    """The link a token stands for, if it may still be used; LinkRefused otherwise. Reads
    nothing before the signature is verified."""
    signer = _signer()
    try:
        payload = signer.unsign_object(str(token), max_age=LONGEST_LIFE)
        referral_id, team_id, referrer_id = int(payload["r"]), int(payload["t"]), payload["c"]
        step, nonce = str(payload["s"]), str(payload["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkRefused() from None
    if step not in STEPS:
        raise LinkRefused()
    referral = (
        Referral.objects.select_related("team", "owner", "referrer", "prospect")
        .filter(pk=referral_id, team_id=team_id, referrer_id=referrer_id)
        .first()
    )
    if referral is None or referral.status != Status.ASKED:
        raise LinkRefused()
    try:  # the team's own life for its links, now that the team is known
        signer.unsign_object(str(token), max_age=link_life(referral))
    except signing.BadSignature:
        raise LinkRefused() from None
    if ReferrerLinkUse.objects.filter(nonce=nonce).exists():
        raise LinkRefused()
    return ReferrerLink(referral=referral, step=step, nonce=nonce)


@transaction.atomic
def referrer_link_use(*, token: str, note: str = "") -> Referral:
    """The referrer's answer by link: the referral moves (confirmed, or declined) through
    referral_transition as a rep's step would, answered by the referrer; "they'd like to
    talk" raises the grade to "better" (a double opt-in); the referrer's line goes on the
    timeline. The link is spent. LinkRefused, changing nothing, when it cannot be used."""
    link = referrer_link_read(token)
    try:
        with transaction.atomic():  # a savepoint: the unique nonce decides a race
            ReferrerLinkUse.objects.create(
                nonce=link.nonce, referral=link.referral, step=link.step, used_at=timezone.now()
            )
    except IntegrityError:
        raise LinkRefused() from None
    try:
        referral = referral_transition(
            referral=link.referral, to=link.status, answered_by=AnsweredBy.REFERRER
        )
    except StateConflict:  # moved by the rep meanwhile (the row is locked by then)
        raise LinkRefused() from None
    if link.step == AGREED and referral.quality == Quality.GOOD:
        referral = referral_update(referral=referral, data={"quality": Quality.BETTER})
    note = fit(one_line(note or ""), NOTE_MAX_LENGTH)
    if note:
        activity_record(
            team=referral.team,
            referral=referral,
            contact=referral.referrer,
            verb="referrer_note",
            description=NOTE_DESCRIPTION.format(referrer=referral.referrer, note=note),
        )
    referrer_answered.send(sender=Referral, referral=referral, step=link.step, note=note)
    return referral


# --- Sending the ask by email ----------------------------------------------------------


def ask_draft(referral: Referral) -> tuple[str, str]:
    """The subject and body of the ask: the rep's own words when the referral has them,
    else the method's drafted ask (referrals.asks)."""
    drafted = ask_email(referral)
    return drafted.subject, referral.message.strip() or drafted.body


@transaction.atomic
def referral_ask_send(
    *, referral: Referral, actor, subject: str = "", body: str = ""
) -> OutgoingEmail:
    """Send the ask to the referrer by email, with the links to answer it: one
    OutgoingEmail (purpose "referral_ask"), sent after commit, and a line on the timeline.
    Refused (StateConflict) when the referral is no longer asked or the referrer has no
    email address."""
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("team", "owner", "referrer", "prospect")
        .get(pk=referral.pk)
    )
    if referral.status != Status.ASKED:
        raise StateConflict(ASK_NOT_ASKED.format(status=referral.get_status_display().lower()))
    if not referral.referrer.email:
        raise StateConflict(ASK_NO_EMAIL.format(referrer=referral.referrer))
    drafted_subject, drafted_body = ask_draft(referral)
    subject = email_subject(subject.strip() or drafted_subject)
    body = (body.strip() or drafted_body) + referrer_links_block(referral=referral)
    email = OutgoingEmail.objects.create(
        team_id=referral.team_id,
        to=referral.referrer.email,
        subject=subject,
        body=body,
        purpose="referral_ask",
        **on_behalf_of(referral.owner),
    )
    activity_record(
        team=referral.team,
        actor=actor,
        referral=referral,
        contact=referral.referrer,
        verb="ask_sent",
        description=ASK_SENT_DESCRIPTION.format(referrer=referral.referrer, subject=subject),
    )
    outgoing_emails_send_after_commit([email.pk])
    return email
