"""Every write to a rep's referral work goes through here. The referral state machine
lives in this module and nowhere else: pages, API and admin all call referral_transition.
"""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Team
from accounts.zones import zone_of
from contacts.models import Contact
from contacts.services import (
    activity_record,
    company_get_or_create_by_name,
    contact_create,
    touch_moment,
    touch_record,
)
from core.errors import StateConflict
from core.text import fit_field
from referrals.events import ASKED, referral_event_send
from referrals.models import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    STEP_TIME_FIELD,
    AnsweredBy,
    Deal,
    ReadinessCheck,
    Referral,
    ReferralGiven,
    RosterEntry,
)

Status = Referral.Status

# The machine of DESIGN.md. Won, lost and declined are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.ASKED: frozenset({Status.CONFIRMED, Status.DECLINED}),
    Status.CONFIRMED: frozenset({Status.CONTACTED, Status.LOST}),
    Status.CONTACTED: frozenset({Status.MEETING, Status.LOST}),
    Status.MEETING: frozenset({Status.WON, Status.LOST}),
    Status.WON: frozenset(),
    Status.LOST: frozenset(),
    Status.DECLINED: frozenset(),
}
# What the roster entry says once its referral reaches a status.
ROSTER_STATUS_FOR = {
    Status.ASKED: RosterEntry.Status.ASKED,
    Status.CONFIRMED: RosterEntry.Status.INTRODUCED,
    Status.CONTACTED: RosterEntry.Status.INTRODUCED,
    Status.MEETING: RosterEntry.Status.MEETING,
    Status.WON: RosterEntry.Status.WON,
    Status.LOST: RosterEntry.Status.LOST,
    Status.DECLINED: RosterEntry.Status.WANTED,  # back to looking for a path
}
TRANSITION_DESCRIPTIONS = {
    Status.CONFIRMED: "{referrer} confirmed the introduction to {prospect}",
    Status.CONTACTED: "Contacted {prospect}",
    Status.MEETING: "Met {prospect}",
    Status.WON: "Won {prospect}",
    Status.LOST: "Lost {prospect}",
    Status.DECLINED: "{referrer} declined to introduce {prospect}",
}

# The statuses that are the referrer's answer to the ask, and how the timeline and the
# history say it when the referrer gave it themselves with a link of the ask.
ANSWER_STATUSES = frozenset({Status.CONFIRMED, Status.DECLINED})
ANSWERED_BY_LINK_DESCRIPTIONS = {
    Status.CONFIRMED: "{referrer} confirmed the introduction to {prospect} (confirmed by the "
    "referrer by email link)",
    Status.DECLINED: "{referrer} said it is not the right time to introduce {prospect} "
    "(answered by the referrer by email link)",
}
ANSWERED_BY_LINK_REASON = "confirmed by the referrer by email link"

IMPOSSIBLE_TRANSITION = "A referral that is “{current}” cannot become “{to}”."
UNKNOWN_STATUS = "“{to}” is not a referral status."
TRANSITION_IN_FUTURE = "A step cannot be dated in the future."
TRANSITION_BEFORE_PREVIOUS = "This step cannot be dated before the previous one ({previous})."
ASKED_IN_FUTURE = "An ask cannot be dated in the future."
REFERRER_IS_PROSPECT = "The referrer and the prospect must be two different people."
OUTSIDE_TEAM = "Everyone on a referral must belong to your team."
ROSTER_ENTRY_MISMATCH = "That roster entry is for another prospect."
ROSTER_ENTRY_OF_SOMEONE_ELSE = "That roster entry is on someone else's roster."
ALREADY_ON_ROSTER = "{prospect} is already on your roster."
NEGATIVE_VALUE = "The value cannot be negative."
NO_GREEN_LIGHT = (
    "{client} has not given a green light yet. Consider a readiness conversation before "
    "asking for an introduction."
)
CLOSED_WITHOUT_DATE = "A won or lost deal needs its closing date."
OPEN_WITH_DATE = "An open deal has no closing date yet."
CLOSED_BEFORE_OPENED = "A deal cannot close before it opened."
GIVEN_NEEDS_SOMEONE = "Say whom you introduced: pick a contact or type a name."
# The name of the deal a referral opens when it reaches a meeting.
REFERRAL_DEAL_NAME = "{prospect} (referred by {referrer})"


class TransitionError(StateConflict):
    """An impossible or badly dated status change. The API answers it with 409."""


DUPLICATE_ASK = (
    "{referrer} has already been asked for an introduction to {prospect}: {owner} asked "
    "on {date}, and that ask is still open ({status}). Move it along rather than asking "
    "again; once it is closed, a new ask is welcome."
)
DUPLICATE_ASK_BY_YOU = "you"


class DuplicateAsk(StateConflict):
    """A second open ask of the same prospect through the same referrer (the database's
    constraint referral_one_open_ask_per_referrer_and_prospect refused it). `existing` is
    the open ask in the way, for the pages and the API to link to. The API answers 409."""

    def __init__(self, existing: Referral, *, asked_by=None):
        self.existing = existing
        owner = existing.owner
        super().__init__(
            DUPLICATE_ASK.format(
                referrer=existing.referrer,
                prospect=existing.prospect,
                owner=DUPLICATE_ASK_BY_YOU if owner.pk == getattr(asked_by, "pk", None) else owner,
                date=timezone.localtime(existing.asked_at).strftime("%Y-%m-%d %H:%M"),
                status=existing.get_status_display().lower(),
            )
        )


# --- Roster -------------------------------------------------------------------------------


@transaction.atomic
def roster_entry_create(
    *, owner, team: Team, prospect: Contact, priority: int = 2, reason: str = ""
) -> RosterEntry:
    if prospect.team_id != team.pk:
        raise ValidationError({"prospect": OUTSIDE_TEAM})
    if RosterEntry.objects.filter(owner=owner, prospect=prospect).exists():
        raise ValidationError({"prospect": ALREADY_ON_ROSTER.format(prospect=prospect)})
    entry = RosterEntry(owner=owner, team=team, prospect=prospect, priority=priority, reason=reason)
    entry.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        raise ValidationError({"prospect": ALREADY_ON_ROSTER.format(prospect=prospect)}) from None
    activity_record(
        team=team, actor=owner, contact=prospect, verb="rostered", description="Added to the roster"
    )
    return entry


LISTED_TWICE = "{prospect} is listed twice; add them once."
ROWS_REFUSED = "{count} of the {total} people could not be added, so none was: see each row."


class RosterRowsRefused(ValidationError):
    """Some rows of a bulk add were refused, so none was added. `rows` maps each refused
    row's index (in the order given) to its ValidationError; `existing` maps the index of
    a row refused as already on the roster to that entry, for the page to link to."""

    def __init__(self, rows: dict[int, ValidationError], total: int, existing: dict):
        self.rows = rows
        self.existing = existing
        super().__init__(ROWS_REFUSED.format(count=len(rows), total=total))


@transaction.atomic
def roster_entry_create_many(*, owner, team: Team, rows: list[dict]) -> list[RosterEntry]:
    """Put several people on the owner's roster at once (the ideal client profile's good
    fits), each row {"prospect", "priority", "reason"} through roster_entry_create: all or
    nothing. Every row is checked, so each refused one can say why; then, if any was
    refused, RosterRowsRefused and nothing is written."""
    entries: list[RosterEntry] = []
    refused: dict[int, ValidationError] = {}
    seen: set[int] = set()
    for index, row in enumerate(rows):
        prospect = row["prospect"]
        if prospect.pk in seen:
            refused[index] = ValidationError({"prospect": LISTED_TWICE.format(prospect=prospect)})
            continue
        seen.add(prospect.pk)
        try:
            # Its own savepoint (roster_entry_create is atomic): a refused row leaves the
            # transaction usable, so the next rows are checked too.
            entries.append(
                roster_entry_create(
                    owner=owner,
                    team=team,
                    prospect=prospect,
                    priority=row.get("priority", 2),
                    reason=row.get("reason", ""),
                )
            )
        except ValidationError as error:
            refused[index] = error
    if refused:
        existing_by_prospect = {
            entry.prospect_id: entry
            # Those on the roster before this call: the ones it wrote are rolled back.
            for entry in RosterEntry.objects.filter(
                owner=owner, prospect__in=[rows[index]["prospect"] for index in refused]
            ).exclude(pk__in=[entry.pk for entry in entries])
        }
        existing = {
            index: existing_by_prospect[rows[index]["prospect"].pk]
            for index in refused
            if rows[index]["prospect"].pk in existing_by_prospect
        }
        # Raised inside the atomic block: every row written above is rolled back.
        raise RosterRowsRefused(refused, total=len(rows), existing=existing)
    return entries


@transaction.atomic
def roster_entry_update(*, entry: RosterEntry, data: dict) -> RosterEntry:
    allowed = {"priority", "reason"}
    unknown = set(data) - allowed
    if unknown:
        raise TypeError(f"Unknown roster fields: {', '.join(sorted(unknown))}")
    for field, value in data.items():
        setattr(entry, field, value)
    entry.full_clean(validate_unique=False, validate_constraints=False)
    entry.save()
    return entry


# --- Readiness ------------------------------------------------------------------------------


@transaction.atomic
def readiness_check_record(*, owner, client: Contact, **fields) -> ReadinessCheck:
    """Record the testimonial conversation with a client. A green light marks the client
    as ready to be asked for introductions."""
    check = ReadinessCheck(owner=owner, team_id=client.team_id, client=client, **fields)
    check.full_clean()
    check.save()
    verdict = "green light to ask" if check.green_light else "not ready to be asked yet"
    activity_record(
        team=client.team,
        actor=owner,
        contact=client,
        verb="readiness",
        description=f"Readiness conversation: {verdict}",
    )
    touch_record(user=owner, contacts=[client], at=touch_moment(day=check.checked_on, user=owner))
    return check


def referrer_warning(*, referrer: Contact) -> str | None:
    """A warning (not a block) when asking someone without a green light."""
    latest = referrer.readiness_checks.order_by("-checked_on", "-id").first()
    if latest is None or not latest.green_light:
        return NO_GREEN_LIGHT.format(client=referrer)
    return None


# --- Referrals ------------------------------------------------------------------------------


def _check_not_future(moment: datetime, message: str, field: str) -> None:
    # A minute of slack for clocks of browsers and API clients.
    if moment > timezone.now() + timezone.timedelta(minutes=1):
        raise ValidationError({field: message})


def open_ask_for(*, referrer: Contact, prospect: Contact) -> Referral | None:
    """The open ask of `prospect` through `referrer`, if any (there is at most one)."""
    return (
        Referral.objects.filter(referrer=referrer, prospect=prospect, status__in=OPEN_STATUSES)
        .select_related("owner", "referrer", "prospect")
        .first()
    )


@transaction.atomic
def referral_create(
    *,
    owner,
    team: Team,
    referrer: Contact,
    prospect: Contact,
    roster_entry: RosterEntry | None = None,
    asked_at: datetime | None = None,
    reason: str = "",
    quality: str = "good",
    channel: str = "email",
    message: str = "",
    value: Decimal | None = None,
) -> Referral:
    """Record an ask for an introduction. The referrer and prospect are two different
    people of the rep's team; the ask is dated now or in the past. A prospect has at most
    one open ask through a given referrer, whoever in the team made it: a second one
    raises DuplicateAsk, carrying the open one, and records nothing."""
    if referrer.pk == prospect.pk:
        raise ValidationError({"prospect": REFERRER_IS_PROSPECT})
    if referrer.team_id != team.pk or prospect.team_id != team.pk:
        raise ValidationError(OUTSIDE_TEAM)
    if roster_entry is None:
        roster_entry = RosterEntry.objects.filter(owner=owner, prospect=prospect).first()
    elif roster_entry.prospect_id != prospect.pk:
        raise ValidationError({"roster_entry": ROSTER_ENTRY_MISMATCH})
    elif roster_entry.owner_id != owner.pk:
        # The ask would move another rep's roster while they cannot see the ask.
        raise ValidationError({"roster_entry": ROSTER_ENTRY_OF_SOMEONE_ELSE})
    asked_at = asked_at or timezone.now()
    _check_not_future(asked_at, ASKED_IN_FUTURE, "asked_at")
    referral = Referral(
        team=team,
        owner=owner,
        referrer=referrer,
        prospect=prospect,
        roster_entry=roster_entry,
        asked_at=asked_at,
        reason=reason,
        quality=quality,
        channel=channel,
        message=message,
        value=value,
    )
    referral.full_clean(validate_constraints=False)
    # Not a check-then-insert: the database's constraint decides, so two requests at once
    # cannot both get through. On PostgreSQL the second waits for the first to commit,
    # then finds its ask here. Tried twice: the ask in the way may have been closed
    # between the refusal and the look-up, and then this one is welcome.
    for attempt in (1, 2):
        try:
            # A savepoint: the transaction goes on after the database refuses the ask.
            with transaction.atomic():
                referral.save()
            break
        except IntegrityError:
            existing = open_ask_for(referrer=referrer, prospect=prospect)
            if existing is not None:
                raise DuplicateAsk(existing, asked_by=owner) from None
            if attempt == 2:
                raise
    if roster_entry is not None:
        _roster_follow(referral)
    activity_record(
        team=team,
        actor=owner,
        referral=referral,
        contact=referrer,
        verb="asked",
        description=f"Asked {referrer} for an introduction to {prospect}",
        at=asked_at,
    )
    touch_record(user=owner, contacts=[referrer], at=asked_at)
    # Announced in this transaction: the follow-ups it starts commit or roll back with it.
    referral_event_send(referral=referral, event=ASKED, at=asked_at)
    return referral


# Roster progress, least to most advanced, for a prospect asked through several people.
_ROSTER_PROGRESS = [
    RosterEntry.Status.WANTED,
    RosterEntry.Status.ASKED,
    RosterEntry.Status.INTRODUCED,
    RosterEntry.Status.MEETING,
]


def _roster_follow(referral: Referral) -> None:
    """The roster entry says how far its prospect has come. With one referral it follows
    ROSTER_STATUS_FOR; when the rep asked several connectors for the same prospect, a win
    wins, else the furthest open ask decides, else lost if one was lost, else wanted (all
    declined): one connector declining must not hide another ask still open, and a new ask
    must not send a prospect already met back to "asked"."""
    if referral.roster_entry_id is None:
        return
    entry = RosterEntry.objects.select_for_update().get(pk=referral.roster_entry_id)
    statuses = set(entry.referrals.values_list("status", flat=True))
    still_open = statuses - FINAL_STATUSES
    if Status.WON in statuses:
        new_status = RosterEntry.Status.WON
    elif still_open:
        new_status = max(
            (ROSTER_STATUS_FOR[status] for status in still_open), key=_ROSTER_PROGRESS.index
        )
    elif Status.LOST in statuses:
        new_status = RosterEntry.Status.LOST
    else:
        new_status = RosterEntry.Status.WANTED
    if entry.status != new_status:
        entry.status = new_status
        entry.save(update_fields=["status", "updated_at"])


def allowed_transitions(referral: Referral) -> list[str]:
    return sorted(TRANSITIONS[referral.status], key=list(Status.values).index)


def previous_step_time(referral: Referral) -> datetime:
    return max(
        getattr(referral, field) for field in STEP_TIME_FIELD.values() if getattr(referral, field)
    )


@transaction.atomic
def referral_transition(
    *,
    referral: Referral,
    to: str,
    at: datetime | None = None,
    value: Decimal | None = None,
    actor=None,
    answered_by: str = AnsweredBy.REP,
) -> Referral:
    """Move a referral one step along asked → confirmed → contacted → meeting → won/lost
    (or asked → declined). Dated now unless `at` is given: never in the future, never
    before the previous step. Reaching a meeting opens the referral's deal; won or lost
    closes it with the same date and value. The referrer's answer (confirmed or declined)
    records who gave it: the rep, or the referrer by a link of the ask (referrals.links),
    in the column, the history and the timeline."""
    # Lock the row: two clicks on "won" must not both pass the check.
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if to not in Status.values:
        raise TransitionError(UNKNOWN_STATUS.format(to=to))
    if to not in TRANSITIONS[referral.status]:
        raise TransitionError(
            IMPOSSIBLE_TRANSITION.format(
                current=referral.get_status_display().lower(), to=Status(to).label.lower()
            )
        )
    at = at or timezone.now()
    if at > timezone.now() + timezone.timedelta(minutes=1):
        raise TransitionError(TRANSITION_IN_FUTURE)
    previous = previous_step_time(referral)
    if at < previous:
        raise TransitionError(
            TRANSITION_BEFORE_PREVIOUS.format(
                previous=timezone.localtime(previous).strftime("%Y-%m-%d %H:%M")
            )
        )
    if value is not None:
        if value < 0:
            raise ValidationError({"value": NEGATIVE_VALUE})
        referral.value = value
    referral.status = to
    setattr(referral, STEP_TIME_FIELD[to], at)
    description = TRANSITION_DESCRIPTIONS[to]
    if to in ANSWER_STATUSES:
        referral.confirmed_by = answered_by
        if answered_by == AnsweredBy.REFERRER:
            description = ANSWERED_BY_LINK_DESCRIPTIONS[to]
            referral._change_reason = ANSWERED_BY_LINK_REASON  # in the history (simple-history)
    referral.save()
    _deal_follow(referral, at)
    _roster_follow(referral)
    activity_record(
        team=referral.team,
        actor=actor,
        referral=referral,
        contact=referral.prospect,
        verb=to,
        description=description.format(referrer=referral.referrer, prospect=referral.prospect),
        at=at,
    )
    _touch_for_step(referral, to, at)
    # Announced in this transaction: the follow-ups it starts commit or roll back with it.
    referral_event_send(referral=referral, event=to, at=at)
    return referral


def _touch_for_step(referral: Referral, to: str, at: datetime) -> None:
    """Who the rep was in touch with at this step: the referrer who answered the ask
    (confirmed, declined) — and, for a confirmed introduction, the referrer and the
    prospect with each other — or the prospect from the first contact on."""
    if to in (Status.CONFIRMED, Status.DECLINED):
        ties = [(referral.referrer, referral.prospect)] if to == Status.CONFIRMED else []
        touch_record(user=referral.owner, contacts=[referral.referrer], at=at, ties=ties)
    else:
        touch_record(user=referral.owner, contacts=[referral.prospect], at=at)


def _owner_local_date(referral: Referral, moment: datetime) -> date:
    """The day `moment` falls on in the owner's calendar: the deal's dates must not depend
    on who records the step (a manager in another zone, the API, a task run in UTC)."""
    return timezone.localdate(moment, zone_of(referral.owner))


def deal_name_for(*, prospect: Contact, referrer: Contact) -> str:
    """The name of the deal a referral opens: both people's names, made to fit the column
    (two names of 100 + 100 characters each do not, and the step to "meeting" failed)."""
    return fit_field(Deal, "name", REFERRAL_DEAL_NAME.format(prospect=prospect, referrer=referrer))


def _deal_follow(referral: Referral, at: datetime) -> None:
    """The referral's deal mirrors it from the meeting on (DESIGN.md, KPI definitions),
    dated on the owner's calendar."""
    day = _owner_local_date(referral, at)
    if referral.status == Status.MEETING:
        Deal.objects.get_or_create(
            referral=referral,
            defaults={
                "team": referral.team,
                "owner": referral.owner,
                "contact": referral.prospect,
                "name": deal_name_for(prospect=referral.prospect, referrer=referral.referrer),
                "source": Deal.Source.REFERRAL,
                "value": referral.value,
                "opened_on": day,
            },
        )
    elif referral.status in (Status.WON, Status.LOST):
        deal = Deal.objects.filter(referral=referral).first()
        if deal is not None:
            deal.outcome = Deal.Outcome.WON if referral.status == Status.WON else Deal.Outcome.LOST
            deal.closed_on = max(day, deal.opened_on)
            deal.value = referral.value
            deal.save(update_fields=["outcome", "closed_on", "value", "updated_at"])


@transaction.atomic
def referral_update(*, referral: Referral, data: dict, actor=None) -> Referral:
    """Edit what was asked (reason, quality, channel, message, value); never the status."""
    allowed = {"reason", "quality", "channel", "message", "value"}
    unknown = set(data) - allowed
    if unknown:
        raise TypeError(f"Unknown referral fields: {', '.join(sorted(unknown))}")
    if data.get("value") is not None and data["value"] < 0:
        raise ValidationError({"value": NEGATIVE_VALUE})
    for field, value in data.items():
        setattr(referral, field, value)
    referral.full_clean(validate_constraints=False)
    referral.save()
    if "value" in data and hasattr(referral, "deal"):
        # Saved, not updated in bulk: a won deal's value counts in the KPI rollups.
        deal = referral.deal
        deal.value = referral.value
        deal.save(update_fields=["value", "updated_at"])
    return referral


# --- Deals ------------------------------------------------------------------------------


def _validate_deal(deal: Deal) -> None:
    errors = {}
    if deal.outcome == Deal.Outcome.OPEN and deal.closed_on is not None:
        errors["closed_on"] = OPEN_WITH_DATE
    if deal.outcome != Deal.Outcome.OPEN and deal.closed_on is None:
        errors["closed_on"] = CLOSED_WITHOUT_DATE
    if deal.closed_on and deal.opened_on and deal.closed_on < deal.opened_on:
        errors["closed_on"] = CLOSED_BEFORE_OPENED
    if deal.value is not None and deal.value < 0:
        errors["value"] = NEGATIVE_VALUE
    if errors:
        raise ValidationError(errors)
    deal.full_clean(validate_constraints=False)


@transaction.atomic
def deal_create(*, owner, contact: Contact, **fields) -> Deal:
    deal = Deal(owner=owner, team_id=contact.team_id, contact=contact, **fields)
    _validate_deal(deal)
    deal.save()
    activity_record(
        team=contact.team,
        actor=owner,
        contact=contact,
        verb="deal",
        description=f"Deal opened ({deal.get_source_display().lower()})",
    )
    _touch_for_deal(deal)
    return deal


def _touch_for_deal(deal: Deal) -> None:
    """A deal opened or closed is a touch with its contact, on the day it says."""
    day = deal.closed_on or deal.opened_on
    touch_record(
        user=deal.owner, contacts=[deal.contact], at=touch_moment(day=day, user=deal.owner)
    )


@transaction.atomic
def deal_update(*, deal: Deal, data: dict) -> Deal:
    allowed = {"name", "source", "value", "outcome", "opened_on", "closed_on"}
    unknown = set(data) - allowed
    if unknown:
        raise TypeError(f"Unknown deal fields: {', '.join(sorted(unknown))}")
    closing = data.get("outcome", deal.outcome) != deal.outcome
    for field, value in data.items():
        setattr(deal, field, value)
    _validate_deal(deal)
    deal.save()
    if closing:
        _touch_for_deal(deal)
    return deal


# --- Reciprocity --------------------------------------------------------------------------


@transaction.atomic
def referral_given_record(
    *,
    owner,
    client: Contact,
    given_on,
    introduced: Contact | None = None,
    introduced_name: str = "",
    note: str = "",
) -> ReferralGiven:
    if introduced is None and not introduced_name.strip():
        raise ValidationError({"introduced_name": GIVEN_NEEDS_SOMEONE})
    if introduced is not None and introduced.team_id != client.team_id:
        raise ValidationError({"introduced": OUTSIDE_TEAM})
    given = ReferralGiven(
        owner=owner,
        team_id=client.team_id,
        client=client,
        introduced=introduced,
        introduced_name=introduced_name.strip(),
        given_on=given_on,
        note=note,
    )
    given.full_clean()
    given.save()
    who = introduced or given.introduced_name
    activity_record(
        team=client.team,
        actor=owner,
        contact=client,
        verb="gave_referral",
        description=f"We introduced {client} to {who}",
    )
    people = [client, introduced] if introduced is not None else [client]
    touch_record(
        user=owner,
        contacts=people,
        at=touch_moment(day=given.given_on, user=owner),
        ties=[(client, introduced)] if introduced is not None else [],
    )
    return given


# --- Removals and the guards of the pages and API ------------------------------------------
# (Added for the roster, referral, deal and reciprocity pages and the API.)

REFERRAL_DELETE_NOT_ASKED = (
    "Only a referral that is still “asked” can be deleted; this one is “{status}” and part "
    "of the history — mark it lost or declined instead."
)
REFERRAL_DEAL_FOLLOWS_REFERRAL = (
    "This deal follows its referral: move the referral along instead of editing the deal."
)


@transaction.atomic
def roster_entry_delete(*, entry: RosterEntry) -> None:
    """Take a prospect off the roster. Referrals that came from it stay, unlinked."""
    entry.delete()


@transaction.atomic
def readiness_check_delete(*, check: ReadinessCheck) -> None:
    check.delete()


@transaction.atomic
def referral_delete(*, referral: Referral) -> None:
    """Delete an ask recorded by mistake. Only while it is still "asked": after that it is
    history the KPIs count. Its roster entry goes back to looking for a path when no
    other referral is working on it."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.status != Status.ASKED:
        raise StateConflict(
            REFERRAL_DELETE_NOT_ASKED.format(status=referral.get_status_display().lower())
        )
    entry = referral.roster_entry
    referral.delete()
    if (
        entry is not None
        and entry.status == RosterEntry.Status.ASKED
        and not entry.referrals.exists()
    ):
        entry.status = RosterEntry.Status.WANTED
        entry.save(update_fields=["status", "updated_at"])


def deal_edit(*, deal: Deal, data: dict) -> Deal:
    """A user's edit of a deal: a referral deal's source, value, outcome and dates follow
    its referral (see _deal_follow), so only its name may change here."""
    if deal.referral_id:
        locked = {
            field
            for field, value in data.items()
            if field != "name" and getattr(deal, field) != value
        }
        if locked:
            raise StateConflict(REFERRAL_DEAL_FOLLOWS_REFERRAL)
    return deal_update(deal=deal, data=data)


@transaction.atomic
def deal_delete(*, deal: Deal) -> None:
    if deal.referral_id:
        raise StateConflict(REFERRAL_DEAL_FOLLOWS_REFERRAL)
    deal.delete()


@transaction.atomic
def referral_given_delete(*, given: ReferralGiven) -> None:
    given.delete()


@transaction.atomic
def roster_entry_create_for_new_prospect(
    *,
    owner,
    team: Team,
    first_name: str,
    last_name: str = "",
    email: str = "",
    company_name: str = "",
    priority: int = 2,
    reason: str = "",
) -> RosterEntry:
    """Add someone who is not in Warmpath yet: create the contact (and their company, found
    by name or created) and the roster entry together — all or nothing."""
    company = None
    if company_name.strip():
        company, _ = company_get_or_create_by_name(team=team, name=company_name)
    prospect = contact_create(
        team=team,
        owner=owner,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email,
        company=company,
        kind="prospect",
    )
    return roster_entry_create(
        owner=owner, team=team, prospect=prospect, priority=priority, reason=reason
    )
