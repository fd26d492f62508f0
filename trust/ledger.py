"""The scenarios' data, written and read in the throwaway database through the app's own
code (the driver runs Django with the same settings as the processes):

- the cast: the seeded reps, each with the contacts of their team to ask about;
- asks recorded two days late (`referral_create(asked_at=…)`), so their thank-the-referrer
  follow-up is due at once — the scan's work;
- the ledger: for a set of follow-ups, whether each was reminded exactly once and its
  email accepted exactly once by the SMTP server — the figures "lost" and "duplicates".
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import close_old_connections
from django.utils import timezone

ASKED_DAYS_AGO = 2  # the thank-you is due a day after the ask: overdue by a day


@dataclass
class Rep:
    user_id: int
    username: str
    team_id: int
    referrers: list[int] = field(default_factory=list)  # the team's clients
    prospects: list[int] = field(default_factory=list)  # anyone else of the team


def cast(*, rng: random.Random, per_team_contacts: int = 60) -> list[Rep]:
    """Every seeded rep (not the managers), with contacts of their own team."""
    from accounts.models import Membership
    from contacts.models import Contact

    close_old_connections()
    reps = []
    contacts: dict[int, tuple[list[int], list[int]]] = {}
    memberships = (
        Membership.objects.filter(role=Membership.Role.REP)
        .select_related("user")
        .order_by("team_id", "user__username")
    )
    for membership in memberships:
        if membership.team_id not in contacts:
            rows = list(
                Contact.objects.filter(team_id=membership.team_id, user__isnull=True)
                .order_by("pk")
                .values_list("pk", "kind")[: per_team_contacts * 4]
            )
            clients = [pk for pk, kind in rows if kind == "client"][:per_team_contacts]
            others = [pk for pk, kind in rows if kind != "client"][:per_team_contacts]
            contacts[membership.team_id] = (clients, others)
        clients, others = contacts[membership.team_id]
        reps.append(
            Rep(
                membership.user_id,
                membership.user.username,
                membership.team_id,
                rng.sample(clients, min(10, len(clients))),
                rng.sample(others, min(20, len(others))),
            )
        )
    return reps


def pair_to_ask(rep: Rep, *, rng: random.Random, referrers=None) -> tuple[int, int]:
    """A (referrer, prospect) of the rep's that has no open ask yet: a second open ask of
    the same prospect through the same referrer is refused (409), one ask is one ask."""
    from referrals.models import OPEN_STATUSES, Referral

    close_old_connections()
    referrers = referrers or rep.referrers
    for _ in range(200):
        pair = rng.choice(referrers), rng.choice(rep.prospects)
        if not Referral.objects.filter(
            referrer_id=pair[0], prospect_id=pair[1], status__in=OPEN_STATUSES
        ).exists():
            return pair
    raise RuntimeError(f"{rep.username} has no referrer and prospect left to ask about.")


def asks_recorded_late(
    *, reps: list[Rep], count: int, rng: random.Random, with_email: bool = False
) -> list[int]:
    """`count` asks recorded through the service, two days after they were made (as a rep
    catching up on paperwork does): each one's thank-the-referrer follow-up is due now.
    with_email: to referrers with an email address (so the thank-you can be emailed).
    Returns those follow-ups' ids."""
    from accounts.models import Team, User
    from contacts.models import Contact
    from followups.models import FollowUp
    from referrals.services import referral_create

    close_old_connections()
    followup_ids = []
    for number in range(count):
        rep = reps[number % len(reps)]
        referrers = rep.referrers
        if with_email:
            referrers = list(
                Contact.objects.filter(pk__in=referrers)
                .exclude(email="")
                .values_list("pk", flat=True)
            )
        referrer_id, prospect_id = pair_to_ask(rep, rng=rng, referrers=referrers)
        referral = referral_create(
            owner=User.objects.get(pk=rep.user_id),
            team=Team.objects.get(pk=rep.team_id),
            referrer=Contact.objects.get(pk=referrer_id),
            prospect=Contact.objects.get(pk=prospect_id),
            asked_at=timezone.now() - timedelta(days=ASKED_DAYS_AGO),
            reason="make trust: an ask recorded late",
        )
        followup_ids.append(
            FollowUp.objects.get(referral=referral, kind=FollowUp.Kind.THANK_REFERRER).pk
        )
    return followup_ids


def emails_of_followups(followup_ids, purpose: str = "reminder") -> list[int]:
    """The outgoing emails about these follow-ups: their reminders, or ("followup") the
    messages reps sent from a follow-up's draft."""
    from outbox.models import OutgoingEmail

    close_old_connections()
    return list(
        OutgoingEmail.objects.filter(followup_id__in=followup_ids, purpose=purpose)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def reminder_ledger(followup_ids, smtp_log) -> dict:
    """Did each follow-up get its reminder once, and each reminder's email reach the SMTP
    server once? A follow-up done before the scan reached it needs no reminder; one still
    pending and due must have exactly one.

    lost: due and pending without a reminder, plus reminder emails the server never
    accepted; duplicates: a second reminder of a follow-up (the unique constraint should
    make it impossible), plus every extra copy the server accepted."""
    from followups.models import FollowUp, Reminder
    from outbox.models import OutgoingEmail

    close_old_connections()
    now = timezone.now()
    followup_ids = list(followup_ids)
    reminders = Counter(
        Reminder.objects.filter(followup_id__in=followup_ids, kind=Reminder.Kind.DUE).values_list(
            "followup_id", flat=True
        )
    )
    waiting = list(
        FollowUp.objects.filter(
            pk__in=followup_ids, status=FollowUp.Status.PENDING, due_at__lte=now
        ).values_list("pk", flat=True)
    )
    closed = FollowUp.objects.filter(pk__in=followup_ids).exclude(status=FollowUp.Status.PENDING)
    done_before_reminder = sum(1 for pk in closed.values_list("pk", flat=True) if not reminders[pk])
    not_reminded = [pk for pk in waiting if not reminders[pk]]
    emails = dict(
        OutgoingEmail.objects.filter(
            reminder__followup_id__in=followup_ids, reminder__kind=Reminder.Kind.DUE
        ).values_list("pk", "status")
    )
    sent, duplicate_copies, never_sent = smtp_log.copies(emails)
    return {
        "follow-ups": len(followup_ids),
        "reminded": len(reminders),
        "done_before_reminder": done_before_reminder,
        "emails": len(emails),
        "emails_sent": sent,
        "lost": len(not_reminded) + never_sent,
        "duplicates": sum(count - 1 for count in reminders.values()) + duplicate_copies,
        "emails_marked_sent": sum(1 for status in emails.values() if status == "sent"),
    }


def all_emails_ledger(smtp_log) -> dict:
    """The whole run's outbox against the SMTP server: every email marked sent was
    accepted exactly once, and nothing was accepted twice."""
    from outbox.models import OutgoingEmail

    close_old_connections()
    statuses = dict(OutgoingEmail.objects.values_list("pk", "status"))
    sent_ids = [pk for pk, status in statuses.items() if status == "sent"]
    _, duplicates, never_sent = smtp_log.copies(sent_ids)
    with smtp_log.lock:
        accepted_unknown = sum(
            1 for pk in smtp_log.accepted if pk not in statuses or statuses[pk] != "sent"
        )
    return {
        "emails": len(statuses),
        "sent": len(sent_ids),
        "unsent": Counter(status for status in statuses.values() if status != "sent"),
        "duplicates": duplicates,
        "marked_sent_never_accepted": never_sent,
        "accepted_not_marked_sent": accepted_unknown,
    }
