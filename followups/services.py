"""Every write to follow-ups goes through here: the rules that create them from the
referral's events, and completing, skipping or emailing them.

The rules (DESIGN.md, "three follow-ups, always"), each follow-up due
FOLLOW_UP_WITHIN (24 hours) after the moment of its event:

- asked (referral recorded)  → thank_referrer, to the referrer;
- confirmed                  → periodic_update, only for a referrer whose cadence is
                               "at each step";
- contacted                  → status_report to the referrer, and thank_prospect to the
                               prospect — whatever the cadence: this is follow-up 2 (and,
                               for "at each step", this step's update);
- meeting                    → periodic_update, only for "at each step";
- won                        → closing_thanks (thanks, or a gift: note and cost optional);
- lost                       → status_report: the referrer hears it from us first;
- declined                   → nothing new.

Each is unique per referral, kind and occasion (the event's name) — in the database —
and its due time is computed from the referral's own step time, so replaying an event,
however often, creates nothing new and moves no date.

Periodic updates keep the referrer informed while the referral is open, at their cadence
(Contact.update_cadence), to be given on their preferred channel (the inbox shows it and
the completion form starts on it):

- "at each step": one periodic_update per step that has no follow-up of its own
  (confirmed, meeting; occasion = the step), due a day after the step;
- "weekly" / "monthly": exactly one periodic_update pending at a time. The first is due
  one interval after the ask; when one is done or skipped, the next is due one interval
  after that moment (the referrer last heard from us then). Intervals are added on the
  rep's wall clock, so a weekly update keeps its hour across daylight-saving changes.
  Occasions are "periodic:1", "periodic:2"…: two workers scheduling the same next update
  collide on the unique constraint and one row results. When the referral closes (won,
  lost, declined), the pending one is skipped with the reason "referral closed", dated
  the moment it closed; when the referrer's cadence changes away from weekly/monthly, it
  is skipped too (SKIPPED_CADENCE_CHANGED);
- "only at the end": no update while it is open — the closing thanks (won) or the status
  report (lost) is their news.

A referrer whose cadence changes to weekly or monthly while a referral is open gets the
next update from the scheduler (periodic_updates_schedule, run by beat every hour).

Completing or skipping writes one line on the timeline of the referral and of the person
followed up (the referrer, or the prospect for thank_prospect). A follow-up is completed
or skipped once: a second attempt is refused with FollowUpStateError (409 in the API).
"""

import calendar
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Team
from accounts.zones import zone_of
from contacts.models import Channel, UpdateCadence
from contacts.services import activity_record, touch_record
from core import dates
from core.errors import StateConflict
from core.text import fit_field
from followups.models import FollowUp
from followups.notifications import notifications_settle_for_followup
from outbox.models import OutgoingEmail
from outbox.services import email_subject, on_behalf_of, outgoing_emails_send_after_commit
from referrals.events import ASKED
from referrals.links import referrer_links_block
from referrals.models import FINAL_STATUSES, STEP_TIME_FIELD, Referral

Kind = FollowUp.Kind

# Thank within a day; report within a day of the step.
FOLLOW_UP_WITHIN = timedelta(hours=24)
PERIODIC_CADENCES = (UpdateCadence.WEEKLY, UpdateCadence.MONTHLY)
PERIODIC_PREFIX = "periodic:"
EVENTS = (ASKED, *(status for status in Referral.Status.values if status != ASKED))

# event → [(kind, to the prospect?, only for "at each step" referrers?)]
RULES: dict[str, list[tuple[str, bool, bool]]] = {
    ASKED: [(Kind.THANK_REFERRER, False, False)],
    Referral.Status.CONFIRMED: [(Kind.PERIODIC_UPDATE, False, True)],
    Referral.Status.CONTACTED: [
        (Kind.STATUS_REPORT, False, False),
        (Kind.THANK_PROSPECT, True, False),
    ],
    Referral.Status.MEETING: [(Kind.PERIODIC_UPDATE, False, True)],
    Referral.Status.WON: [
        (Kind.CLOSING_THANKS, False, False),
        # After a win: set expectations with the new client, then earn the right to ask.
        (Kind.EXPECTATIONS, True, False),
        (Kind.READINESS, True, False),
    ],
    Referral.Status.LOST: [(Kind.STATUS_REPORT, False, False)],
    Referral.Status.DECLINED: [],
}

SKIPPED_REFERRAL_CLOSED = "referral closed"
SKIPPED_ASK_ANSWERED = "the referrer answered the ask"
CHASE_OCCASION = "chase"
SKIPPED_CADENCE_CHANGED = "the referrer no longer wants periodic updates"

UNKNOWN_EVENT = "“{event}” is not a referral event."
ALREADY_DONE = "This follow-up was already done on {when}."
ALREADY_SKIPPED = "This follow-up was already skipped on {when} ({reason})."
SKIP_NEEDS_REASON = "Say why you skip this follow-up."
UNKNOWN_CHANNEL = "Pick the channel you used."
DONE_IN_FUTURE = "A follow-up cannot be marked done in the future."
GIFT_ONLY_ON_CLOSING = "A gift goes with the closing thanks only."
NEGATIVE_GIFT_COST = "The gift cost cannot be negative."
NO_EMAIL_ADDRESS = (
    "{recipient} has no email address in Warmpath: copy the message for a call or a "
    "handwritten note instead."
)
EMPTY_MESSAGE = "Write a subject and a message before sending."

COMPLETED_DESCRIPTION = "{kind} — done by {channel}"
SKIPPED_DESCRIPTION = "{kind} — skipped: {reason}"
EMAILED_NOTE = "Sent by email: {subject}"


class FollowUpStateError(StateConflict):
    """The follow-up is no longer pending. The API answers it with 409 (config.api)."""


# --- Creation by the referral's events --------------------------------------------------


def add_months(moment: datetime, months: int) -> datetime:
    """The same wall-clock time `months` later; the 31st becomes the month's last day."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def periodic_next_due(*, cadence: str, after: datetime, zone) -> datetime:
    """One cadence interval after `after`, on the rep's wall clock (DST-safe: an aware
    datetime in a ZoneInfo adds days by the calendar, and its offset is recomputed). An
    `after` stored outside core.dates' window (before it existed) counts from its edge."""
    local = dates.nearest_in_window(after).astimezone(zone)
    if cadence == UpdateCadence.WEEKLY:
        local = local + timedelta(days=7)
    elif cadence == UpdateCadence.MONTHLY:
        local = add_months(local, 1)
    else:
        raise ValueError(f"No periodic updates for the cadence {cadence!r}.")
    # Round-trip through UTC: a wall time that does not exist (the spring-forward hour)
    # becomes the instant it stands for.
    return local.astimezone(UTC).astimezone(zone)


def _followup_get_or_create(referral: Referral, kind: str, occasion: str, **defaults):
    return FollowUp.objects.get_or_create(
        referral=referral,
        kind=kind,
        occasion=occasion,
        defaults={"team_id": referral.team_id, "owner_id": referral.owner_id, **defaults},
    )


@transaction.atomic
def followups_for_event(*, referral: Referral, event: str) -> list[FollowUp]:
    """Create the follow-ups that `event` ("asked", or the status the referral reached)
    calls for — see the module's docstring — and bring the periodic updates in line with
    the referral's state. Idempotent: returns only what this call created (nothing on a
    replay). An event the referral has not been through (no step time) creates nothing."""
    if event not in RULES:
        raise ValueError(UNKNOWN_EVENT.format(event=event))
    created: list[FollowUp] = []
    happened_at = getattr(referral, STEP_TIME_FIELD[event])
    if event != ASKED and referral.status != Referral.Status.ASKED:
        _chase_stop(referral, at=happened_at)
    if happened_at is not None:
        cadence = referral.referrer.update_cadence
        for kind, to_prospect, each_step_only in RULES[event]:
            if each_step_only and cadence != UpdateCadence.EACH_STEP:
                continue
            due_at = followup_due_at(kind=kind, happened_at=happened_at, team=referral.team)
            followup, was_created = _followup_get_or_create(
                referral,
                kind,
                event,
                recipient_id=referral.prospect_id if to_prospect else referral.referrer_id,
                due_at=due_at,
            )
            if was_created:
                created.append(followup)
    periodic = periodic_updates_ensure(referral=referral)
    if periodic is not None:
        created.append(periodic)
    return created


def followup_due_at(*, kind: str, happened_at: datetime, team: Team) -> datetime:
    """When a follow-up an event makes is due: a day after the event, except the
    readiness conversation after a win, the team's readiness_after_win_days later."""
    if kind == Kind.READINESS:
        return happened_at + timedelta(days=team.readiness_after_win_days)
    return happened_at + FOLLOW_UP_WITHIN


def chase_due_at(*, asked_at: datetime, team: Team) -> datetime:
    """When an ask still unconfirmed is chased: the team's days after the ask."""
    return asked_at + timedelta(days=team.chase_confirmation_after_days)


# --- Chasing an unconfirmed ask ---------------------------------------------------------


@transaction.atomic
def _skip_pending(followups: QuerySet[FollowUp], *, reason: str, at: datetime) -> None:
    """Skip the pending ones of `followups` (a referral's few), each saved, so that what
    follows follow-ups' saves hears it (the KPI rollups count the pending ones by the day
    they fall due; the history) — locked first, against a rep completing one meanwhile."""
    for followup in followups.filter(status=FollowUp.Status.PENDING).select_for_update():
        followup.status = FollowUp.Status.SKIPPED
        followup.skip_reason = reason
        followup.done_at = at
        followup.save(update_fields=["status", "skip_reason", "done_at", "updated_at"])


def _chase_stop(referral: Referral, *, at: datetime | None) -> None:
    """The referrer answered (or the ask moved on): a pending chase has nothing to chase."""
    _skip_pending(
        FollowUp.objects.filter(referral=referral, kind=Kind.CHASE_CONFIRMATION),
        reason=SKIPPED_ASK_ANSWERED,
        at=at or timezone.now(),
    )


def chase_confirmations_schedule(*, now: datetime | None = None, limit: int = 1000) -> int:
    """For the scheduler (beat, hourly): each ask still unconfirmed (status "asked") after
    its team's chase_confirmation_after_days gets one follow-up "gently remind the
    referrer", due the moment the ask became that old, with a drafted reminder
    (followups.drafts); the reminder scan then reminds the rep of it once, like any
    follow-up. Unique per referral (occasion "chase"): a second run, a concurrent one, or
    a run after the chase was done or skipped creates nothing. Reads only open asks.
    Returns how many it created."""
    now = now or timezone.now()
    by_days: dict[int, list[int]] = {}
    for team_id, days in Team.objects.values_list("pk", "chase_confirmation_after_days"):
        by_days.setdefault(days, []).append(team_id)
    old_enough = Q(pk__in=[])
    for days, team_ids in by_days.items():
        old_enough |= Q(team_id__in=team_ids, asked_at__lte=now - timedelta(days=days))
    chased = FollowUp.objects.filter(referral=OuterRef("pk"), kind=Kind.CHASE_CONFIRMATION)
    asks = (
        Referral.objects.filter(old_enough, status=Referral.Status.ASKED)
        .filter(~Exists(chased))
        .select_related("team")
        .order_by("asked_at", "pk")[:limit]
    )
    created = 0
    for referral in asks:
        _followup, was_created = _followup_get_or_create(
            referral,
            Kind.CHASE_CONFIRMATION,
            CHASE_OCCASION,
            recipient_id=referral.referrer_id,
            due_at=referral.asked_at + timedelta(days=referral.team.chase_confirmation_after_days),
        )
        created += was_created
    return created


def _periodic_number(occasion: str) -> int:
    try:
        return int(occasion.removeprefix(PERIODIC_PREFIX))
    except ValueError:
        return 0


def _closed_at(referral: Referral) -> datetime:
    moments = [getattr(referral, STEP_TIME_FIELD[status]) for status in FINAL_STATUSES]
    return max((moment for moment in moments if moment), default=None) or timezone.now()


def _cadence_updates(referral_filter: Q) -> QuerySet[FollowUp]:
    """The weekly/monthly updates ("periodic:N"), not the "at each step" ones."""
    return FollowUp.objects.filter(
        referral_filter, kind=Kind.PERIODIC_UPDATE, occasion__startswith=PERIODIC_PREFIX
    )


@transaction.atomic
def periodic_updates_ensure(*, referral: Referral) -> FollowUp | None:
    """Bring the referral's weekly/monthly updates in line with its state and the
    referrer's cadence (module docstring): closed → skip the pending one; a referrer who
    no longer wants them → skip it; a weekly or monthly referrer with nothing pending →
    schedule the next; otherwise leave things alone. "At each step" updates are made by
    the events and left alone here. Returns the follow-up it created, if any."""
    periodic = _cadence_updates(Q(referral=referral))
    if not referral.is_open:
        _skip_pending(periodic, reason=SKIPPED_REFERRAL_CLOSED, at=_closed_at(referral))
        return None
    cadence = referral.referrer.update_cadence
    rows = list(periodic.values_list("occasion", "status", "done_at"))
    if cadence not in PERIODIC_CADENCES:
        if any(status == FollowUp.Status.PENDING for _, status, _ in rows):
            _skip_pending(periodic, reason=SKIPPED_CADENCE_CHANGED, at=timezone.now())
        return None
    if any(status == FollowUp.Status.PENDING for _, status, _ in rows):
        return None
    last = max(rows, key=lambda row: _periodic_number(row[0]), default=None)
    number = _periodic_number(last[0]) + 1 if last else 1
    after = last[2] if last else referral.asked_at
    followup, was_created = _followup_get_or_create(
        referral,
        Kind.PERIODIC_UPDATE,
        f"{PERIODIC_PREFIX}{number}",
        recipient_id=referral.referrer_id,
        due_at=periodic_next_due(cadence=cadence, after=after, zone=zone_of(referral.owner)),
    )
    return followup if was_created else None


def periodic_updates_schedule(*, limit: int = 1000) -> dict[str, int]:
    """For the scheduler (beat, hourly): bring open referrals in line with a referrer's
    cadence that changed since their last event — those of weekly or monthly referrers
    with no pending update get their next one; those of referrers who no longer want
    updates get the pending one skipped. At most `limit` referrals of each sort per call.
    Returns {"scheduled": n, "stopped": m}; running it twice changes nothing the second
    time."""
    pending = _cadence_updates(Q(referral=OuterRef("pk"))).filter(status=FollowUp.Status.PENDING)
    open_referrals = Referral.objects.exclude(status__in=FINAL_STATUSES).select_related(
        "referrer", "owner"
    )
    wanting = (
        open_referrals.filter(referrer__update_cadence__in=PERIODIC_CADENCES)
        .filter(~Exists(pending))
        .order_by("pk")[:limit]
    )
    unwanted = (
        open_referrals.exclude(referrer__update_cadence__in=PERIODIC_CADENCES)
        .filter(Exists(pending))
        .order_by("pk")[:limit]
    )
    result = {"scheduled": 0, "stopped": 0}
    for referral in wanting:
        if periodic_updates_ensure(referral=referral) is not None:
            result["scheduled"] += 1
    for referral in unwanted:
        periodic_updates_ensure(referral=referral)
        result["stopped"] += 1
    return result


# --- Completing and skipping ------------------------------------------------------------


def _locked(followup: FollowUp) -> FollowUp:
    """The row, locked for this transaction, with what the timeline line needs."""
    return (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("referral", "referral__owner", "referral__referrer", "recipient")
        .get(pk=followup.pk)
    )


def _check_pending(followup: FollowUp) -> None:
    if followup.status == FollowUp.Status.DONE:
        when = timezone.localtime(followup.done_at).strftime("%Y-%m-%d %H:%M")
        raise FollowUpStateError(ALREADY_DONE.format(when=when))
    if followup.status == FollowUp.Status.SKIPPED:
        when = timezone.localtime(followup.done_at).strftime("%Y-%m-%d %H:%M")
        raise FollowUpStateError(ALREADY_SKIPPED.format(when=when, reason=followup.skip_reason))


def _after_closing(followup: FollowUp) -> None:
    """What every way of closing a follow-up (done, sent, skipped) does next."""
    notifications_settle_for_followup(followup=followup)
    if followup.kind == Kind.PERIODIC_UPDATE:
        periodic_updates_ensure(referral=followup.referral)


def _complete(
    followup: FollowUp,
    *,
    actor,
    channel: str,
    note: str,
    gift_note: str,
    gift_cost: Decimal | None,
    at: datetime | None = None,
) -> FollowUp:
    _check_pending(followup)
    errors = {}
    now = timezone.now()
    if at is not None and at > now + timedelta(minutes=1):
        errors["done_at"] = DONE_IN_FUTURE
    if channel not in Channel.values:
        errors["channel"] = UNKNOWN_CHANNEL
    if (gift_note.strip() or gift_cost is not None) and not followup.takes_gift:
        errors["gift_note"] = GIFT_ONLY_ON_CLOSING
    if gift_cost is not None and gift_cost < 0:
        errors["gift_cost"] = NEGATIVE_GIFT_COST
    if errors:
        raise ValidationError(errors)
    now = at or now
    followup.status = FollowUp.Status.DONE
    followup.done_at = now
    followup.channel = channel
    followup.note = note.strip()
    followup.gift_note = gift_note.strip()
    followup.gift_cost = gift_cost
    followup.save(
        update_fields=[
            "status",
            "done_at",
            "channel",
            "note",
            "gift_note",
            "gift_cost",
            "updated_at",
        ]
    )
    description = COMPLETED_DESCRIPTION.format(
        kind=followup.get_kind_display(), channel=Channel(channel).label.lower()
    )
    if followup.note:
        description = f"{description}: {followup.note}"
    activity_record(
        team=followup.referral.team,
        actor=actor,
        referral=followup.referral,
        contact=followup.recipient,
        verb="followup_done",
        description=description,
        at=now,
    )
    touch_record(user=followup.owner, contacts=[followup.recipient], at=now)
    _after_closing(followup)
    return followup


@transaction.atomic
def followup_complete(
    *,
    followup: FollowUp,
    actor,
    channel: str,
    note: str = "",
    gift_note: str = "",
    gift_cost: Decimal | None = None,
    at: datetime | None = None,
) -> FollowUp:
    """Mark a pending follow-up done: the channel used (one of Channel), a note, and for
    the closing thanks an optional gift (what, and its cost ≥ 0). Dated now, or at `at`
    (a past moment: "I called her yesterday"; never the future). Written on the timeline
    of the referral and of the person followed up; a done periodic update schedules the
    next. Refused (FollowUpStateError) when it is no longer pending."""
    return _complete(
        _locked(followup),
        actor=actor,
        channel=channel,
        note=note,
        gift_note=gift_note,
        gift_cost=gift_cost,
        at=at,
    )


@transaction.atomic
def followup_skip(*, followup: FollowUp, actor, reason: str) -> FollowUp:
    """Skip a pending follow-up, saying why (required). On the timelines like a
    completion; a skipped periodic update schedules the next."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": SKIP_NEEDS_REASON})
    followup = _locked(followup)
    _check_pending(followup)
    now = timezone.now()
    followup.status = FollowUp.Status.SKIPPED
    followup.done_at = now
    followup.skip_reason = fit_field(FollowUp, "skip_reason", reason)
    followup.save(update_fields=["status", "done_at", "skip_reason", "updated_at"])
    activity_record(
        team=followup.referral.team,
        actor=actor,
        referral=followup.referral,
        contact=followup.recipient,
        verb="followup_skipped",
        description=SKIPPED_DESCRIPTION.format(
            kind=followup.get_kind_display(), reason=followup.skip_reason
        ),
        at=now,
    )
    _after_closing(followup)
    return followup


@transaction.atomic
def followup_email_send(*, followup: FollowUp, actor, subject: str, body: str) -> OutgoingEmail:
    """Send the (edited) drafted message to the recipient by email: one OutgoingEmail row
    (purpose "followup"), sent by a worker after commit, and the follow-up is done with
    the channel email — all or nothing. To the referrer of a referral still asked, it
    carries the links to answer the ask (referrals.links). Refused when the follow-up is
    no longer pending or the recipient has no email address (FollowUpStateError), or the
    message is empty."""
    followup = _locked(followup)
    _check_pending(followup)
    recipient = followup.recipient
    if not recipient.email:
        raise FollowUpStateError(NO_EMAIL_ADDRESS.format(recipient=recipient))
    subject, body = email_subject(subject), body.strip()
    if not subject or not body:
        raise ValidationError(EMPTY_MESSAGE)
    referral = followup.referral
    if recipient.pk == referral.referrer_id and referral.status == Referral.Status.ASKED:
        # The referrer has not answered yet: the message lets them, in one click.
        body += referrer_links_block(referral=referral)
    email = OutgoingEmail.objects.create(
        team_id=followup.team_id,
        to=recipient.email,
        subject=subject,
        body=body,
        purpose="followup",
        followup=followup,
        **on_behalf_of(followup.referral.owner),
    )
    _complete(
        followup,
        actor=actor,
        channel=Channel.EMAIL,
        note=EMAILED_NOTE.format(subject=email.subject),
        gift_note="",
        gift_cost=None,
    )
    # Sent by a worker once committed; with the broker down the outbox's drain sends it.
    outgoing_emails_send_after_commit([email.pk])
    return email
