"""The ask, drafted the way the method asks for it, in three forms a rep can use.

- `ask_email`: the email to the referrer — the named person, the business reason, the
  team's top two reasons to refer us and a sentence on the clients we help best (the ideal
  client profile), the kind of introduction wanted, and for an introduction by email,
  "please copy me", so the rep can follow up at once.
- `ask_call_script`: the same ask as the points of a phone call.
- `ask_letter`: the "best" introduction, a letter the referrer signs to the prospect,
  written for them.

Plain text, signed with the rep's signature (User.sign_off). Nothing is escaped here: the
page's template escapes, emails are plain text.
"""

from dataclasses import dataclass

from contacts.models import Contact, IdealClientProfile
from referrals.models import Quality, Referral


@dataclass(frozen=True)
class AskDraft:
    subject: str
    body: str


INTRO_WANTED = {
    Quality.GOOD: "If a full introduction is too much, may I mention your name when I write "
    "to {first}?",
    Quality.BETTER: "Would you drop {first} a short note first, saying who I am and why we "
    "should talk, so that my message is expected?",
    Quality.BEST: "Best of all would be the three of us meeting, a coffee or a short call, "
    "whenever suits {first}. I am happy to organise it.",
}
COPY_ME = "If you introduce us by email, please copy me, so I can follow up straight away."


def _who(prospect: Contact) -> str:
    who = prospect.full_name
    company = prospect.company.name if prospect.company_id else ""
    if prospect.title and company:
        return f"{who} ({prospect.title} at {company})"
    if company:
        return f"{who} of {company}"
    return who


def _profile(referral: Referral) -> IdealClientProfile | None:
    return IdealClientProfile.objects.filter(team_id=referral.team_id).first()


def _reasons_sentence(profile: IdealClientProfile | None) -> str:
    reasons = profile.top_reasons_to_refer() if profile else []
    if not reasons:
        return ""
    lowered = [reason[0].lower() + reason[1:] for reason in reasons]
    return "Clients who refer us tell us it is because " + " and ".join(lowered).rstrip(".") + "."


def _ideal_client_sentence(profile: IdealClientProfile | None, *, who: str = "We") -> str:
    situation = profile.situation.strip() if profile else ""
    if not situation:
        return ""
    situation = situation[0].lower() + situation[1:]
    return f"{who} help most where {situation.rstrip('.')}."


def ask_email(referral: Referral) -> AskDraft:
    referrer, prospect = referral.referrer, referral.prospect
    profile = _profile(referral)
    lines = [f"Hi {referrer.first_name},", ""]
    lines.append(f"May I ask you a favour: an introduction to {_who(prospect)}?")
    if referral.reason.strip():
        lines.append(f"Why {prospect.first_name}, and why now: {referral.reason.strip()}")
    about_us = " ".join(
        sentence
        for sentence in (_reasons_sentence(profile), _ideal_client_sentence(profile))
        if sentence
    )
    if about_us:
        lines += ["", about_us]
    lines += ["", INTRO_WANTED[referral.quality].format(first=prospect.first_name)]
    if referral.quality != Quality.BEST:
        lines.append(COPY_ME)
    lines += [
        "",
        "Thank you. Whatever comes of it, I will keep you posted.",
        "",
        referral.owner.sign_off,
    ]
    return AskDraft(subject=f"An introduction to {prospect.full_name}?", body="\n".join(lines))


def ask_call_script(referral: Referral) -> AskDraft:
    referrer, prospect = referral.referrer, referral.prospect
    profile = _profile(referral)
    points = [
        f"Thank {referrer.first_name} for the work together so far; ask how things are.",
        f"Name the person: {_who(prospect)}.",
    ]
    if referral.reason.strip():
        points.append(f"Say why: {referral.reason.strip()}")
    if sentence := _reasons_sentence(profile):
        points.append(f"Remind them why clients refer us: {sentence}")
    if sentence := _ideal_client_sentence(profile):
        points.append(f"Who we help best: {sentence}")
    points.append("Ask: " + INTRO_WANTED[referral.quality].format(first=prospect.first_name))
    if referral.quality != Quality.BEST:
        points.append("If they will write: " + COPY_ME)
    points.append("Thank them, and promise to keep them posted whatever happens.")
    body = "\n".join(f"{number}. {point}" for number, point in enumerate(points, start=1))
    return AskDraft(subject=f"Call {referrer.full_name} about {prospect.full_name}", body=body)


def ask_letter(referral: Referral) -> AskDraft:
    """The introduction written for the referrer to sign and send to the prospect."""
    referrer, prospect, rep = referral.referrer, referral.prospect, referral.owner
    rep_name = rep.get_full_name() or rep.get_username()
    profile = _profile(referral)
    lines = [f"Dear {prospect.first_name},", ""]
    lines.append(
        f"I would like to introduce you to {rep_name} of {referral.team.name}, who has been "
        "a real help to us."
    )
    if sentence := _ideal_client_sentence(profile, who="They"):
        lines.append(sentence)
    if reason := referral.reason.strip():
        lines.append(f"I thought of you because {reason[0].lower()}{reason[1:].rstrip('.')}.")
    lines += [
        "",
        f"I would suggest the three of us meet for a coffee or a short call. {rep_name} will "
        "be in touch to find a time that suits you.",
        "",
        "Kind regards,",
        referrer.full_name,
    ]
    return AskDraft(
        subject=f"Introducing {rep_name} to {prospect.full_name}", body="\n".join(lines)
    )
