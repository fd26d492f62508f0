"""Writing a plan in bulk (sizes ``medium`` and ``large``): PostgreSQL ``COPY``, or
``bulk_create`` on other databases, reproducing what the services would have written."""

from __future__ import annotations

import io
import itertools
import operator
import random
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from accounts.zones import zone_of
from contacts.models import Activity, Company, Contact, ContactKind, Relationship, UpdateCadence
from core.text import fit_field
from demo.plan import ReferralPlan, Status, TeamPlan
from demo.words import CHANNEL_WEIGHTS
from demo.write_services import goals_write
from followups import reminders
from followups import services as followup_services
from followups.models import FollowUp
from referrals import services as referral_services
from referrals.models import (
    FINAL_STATUSES,
    STEP_TIME_FIELD,
    Deal,
    ReadinessCheck,
    Referral,
    ReferralGiven,
    RosterEntry,
)

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    return str(value)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


class BulkWriter:
    """Writes a plan with PostgreSQL COPY, or bulk_create elsewhere (SQLite). Ids that
    other rows point to are reserved first (sequence values on PostgreSQL), so every row
    is written once, in one pass. Model instances are built as for bulk_create, so fields
    added later with a default are written too."""

    COPY_CHUNK = 20_000
    BULK_BATCH = 2_000

    def __init__(self, plan: TeamPlan, *, activity_days: int | None, now: datetime):
        self.plan = plan
        self.activity_since = now - timedelta(days=activity_days) if activity_days else None
        self.now = now  # follow-ups due after it are still pending
        self.use_copy = connection.vendor == "postgresql"
        self.touched: list[type] = []

    # -- primitives

    def allocate_ids(self, model, count: int) -> list[int]:
        if count == 0:
            return []
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.use_copy:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [table, model._meta.pk.column, count],
                )
                return [row[0] for row in cursor.fetchall()]
            quoted = connection.ops.quote_name(table)
            column = connection.ops.quote_name(model._meta.pk.column)
            cursor.execute(f"SELECT COALESCE(MAX({column}), 0) FROM {quoted}")  # noqa: S608
            start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))

    def insert(self, model, objects: Iterable, *, with_pk: bool = False) -> int:
        if model not in self.touched:
            self.touched.append(model)
        # Generated columns (RosterEntry.closed) are the database's to write.
        fields = [
            f
            for f in model._meta.concrete_fields
            if (with_pk or not f.primary_key) and not f.generated
        ]
        written = 0
        chunk_size = self.COPY_CHUNK if self.use_copy else self.BULK_BATCH * 5
        for chunk in _chunks(objects, chunk_size):
            if self.use_copy:
                self._copy(model, fields, chunk)
            else:
                model.objects.bulk_create(chunk, batch_size=self.BULK_BATCH)
            written += len(chunk)
        return written

    def _copy(self, model, fields, chunk) -> None:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        # What bulk_create would send: pre_save's value, which for auto_now(_add) fields
        # is "now" (taken once per chunk) and otherwise the attribute itself.
        getters = []
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                now = f.pre_save(chunk[0], True)
                getters.append(lambda obj, value=now: value)
            else:
                getters.append(operator.attrgetter(f.attname))
        buffer = io.StringIO()
        write = buffer.write
        for obj in chunk:
            write("\t".join([_copy_text(get(obj)) for get in getters]))
            write("\n")
        sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        with connection.cursor() as cursor:
            raw = cursor.cursor
            if hasattr(raw, "copy_expert"):  # psycopg2
                buffer.seek(0)
                raw.copy_expert(sql, buffer)
            else:  # psycopg 3
                with raw.copy(sql) as copy:
                    copy.write(buffer.getvalue())

    def analyze(self) -> None:
        if not self.use_copy:
            return
        with connection.cursor() as cursor:
            for model in self.touched:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    # -- the plan

    def write(self) -> None:
        plan = self.plan
        team_id = plan.team.pk
        for company, pk in zip(
            plan.companies, self.allocate_ids(Company, len(plan.companies)), strict=True
        ):
            company.pk = pk
        self.insert(Company, plan.companies, with_pk=True)

        members = len(plan.members)
        new_contacts = plan.contacts[members:]
        for index, since in plan.conversions:
            plan.contacts[index].kind = ContactKind.CLIENT
            plan.contacts[index].client_since = since
        for contact, pk in zip(
            new_contacts, self.allocate_ids(Contact, len(new_contacts)), strict=True
        ):
            contact.pk = pk
            contact.company_id = contact.company.pk if contact.company else None
        self.insert(Contact, new_contacts, with_pk=True)
        ids = [contact.pk for contact in plan.contacts]

        self.insert(
            Relationship,
            (
                Relationship(
                    team_id=team_id,
                    contact_a_id=min(ids[i], ids[j]),
                    contact_b_id=max(ids[i], ids[j]),
                    kind=kind,
                    strength=strength,
                    since=since,
                    source=source,
                    notes=notes,
                    created_by_id=creator,
                )
                for i, j, kind, strength, since, source, notes, creator in plan.edges
            ),
        )
        self.insert(
            ReadinessCheck,
            (
                ReadinessCheck(
                    team_id=team_id,
                    owner_id=check.owner_id,
                    client_id=ids[check.client],
                    checked_on=check.checked_on,
                    went_well=check.went_well,
                    could_improve=check.could_improve,
                    would_take=check.would_take,
                    testimonial=check.testimonial,
                    may_quote=check.may_quote,
                    green_light=check.green_light,
                )
                for check in plan.checks
            ),
        )
        roster_ids = self.allocate_ids(RosterEntry, len(plan.roster))
        self.insert(
            RosterEntry,
            (
                RosterEntry(
                    pk=pk,
                    team_id=team_id,
                    owner_id=entry.owner_id,
                    prospect_id=ids[entry.prospect],
                    priority=entry.priority,
                    reason=entry.reason,
                    status=entry.status,
                    prospect_fit=plan.contacts[entry.prospect].fit_score,
                )
                for entry, pk in zip(plan.roster, roster_ids, strict=True)
            ),
            with_pk=True,
        )
        referral_ids = self.allocate_ids(Referral, len(plan.referrals))
        self.insert(
            Referral,
            (
                self._referral(referral, pk, ids, roster_ids)
                for referral, pk in zip(plan.referrals, referral_ids, strict=True)
            ),
            with_pk=True,
        )
        self.insert(Deal, self._referral_deals(referral_ids))
        self.insert(
            Deal,
            (
                Deal(
                    team_id=team_id,
                    owner_id=deal.owner_id,
                    contact_id=ids[deal.contact],
                    name=deal.name,
                    source=deal.source,
                    value=deal.value,
                    outcome=deal.outcome,
                    opened_on=deal.opened_on,
                    closed_on=deal.closed_on,
                )
                for deal in plan.deals
            ),
        )
        self.insert(
            ReferralGiven,
            (
                ReferralGiven(
                    team_id=team_id,
                    owner_id=given.owner_id,
                    client_id=ids[given.client],
                    introduced_id=ids[given.introduced] if given.introduced is not None else None,
                    introduced_name=given.introduced_name,
                    given_on=given.given_on,
                    note=given.note,
                )
                for given in plan.given
            ),
        )
        goals_write(plan)
        self.insert(Activity, self._activities(ids, referral_ids))
        self.write_followups(referral_ids)
        self.analyze()

    def _referral(self, plan: ReferralPlan, pk: int, ids: list[int], roster_ids) -> Referral:
        referral = Referral(
            pk=pk,
            team_id=self.plan.team.pk,
            owner_id=plan.owner_id,
            referrer_id=ids[plan.referrer],
            prospect_id=ids[plan.prospect],
            roster_entry_id=roster_ids[plan.roster] if plan.roster is not None else None,
            asked_at=plan.asked_at,
            reason=plan.reason,
            quality=plan.quality,
            channel=plan.channel,
            message=plan.message,
            status=plan.status,
            value=plan.value,
        )
        for to, moment in plan.path:
            setattr(referral, STEP_TIME_FIELD[to], moment)
        return referral

    def _referral_deals(self, referral_ids: list[int]) -> Iterator[Deal]:
        """What referrals.services._deal_follow does: a meeting opens a deal of source
        referral; won or lost closes it on the same day with the referral's value."""
        contacts = self.plan.contacts
        for plan, pk in zip(self.plan.referrals, referral_ids, strict=True):
            meeting_at = plan.at(Status.MEETING)
            if meeting_at is None:
                continue
            opened_on = timezone.localdate(meeting_at)
            outcome, closed_on = Deal.Outcome.OPEN, None
            if plan.status in (Status.WON, Status.LOST):
                outcome = Deal.Outcome.WON if plan.status == Status.WON else Deal.Outcome.LOST
                closed_on = max(timezone.localdate(plan.last_at), opened_on)
            prospect, referrer = contacts[plan.prospect], contacts[plan.referrer]
            yield Deal(
                team_id=self.plan.team.pk,
                owner_id=plan.owner_id,
                contact_id=prospect.pk,
                referral_id=pk,
                name=referral_services.deal_name_for(prospect=prospect, referrer=referrer),
                source=Deal.Source.REFERRAL,
                value=plan.value,
                outcome=outcome,
                opened_on=opened_on,
                closed_on=closed_on,
            )

    def _activities(self, ids: list[int], referral_ids: list[int]) -> Iterator[Activity]:
        """The timeline rows the services write, for the recent `activity_days` (all of
        them would dwarf the rest of the data set)."""
        since = self.activity_since
        team_id = self.plan.team.pk
        contacts = self.plan.contacts
        noon = datetime.min.time().replace(hour=12)
        current = timezone.get_current_timezone()

        def recent(moment: datetime) -> bool:
            return since is None or moment >= since

        for plan, pk in zip(self.plan.referrals, referral_ids, strict=True):
            referrer, prospect = contacts[plan.referrer], contacts[plan.prospect]
            if recent(plan.asked_at):
                yield Activity(
                    team_id=team_id,
                    actor_id=plan.owner_id,
                    contact_id=referrer.pk,
                    referral_id=pk,
                    verb="asked",
                    description=fit_field(
                        Activity,
                        "description",
                        f"Asked {referrer} for an introduction to {prospect}",
                    ),
                    occurred_at=plan.asked_at,
                )
            for to, moment in plan.path:
                if recent(moment):
                    text = referral_services.TRANSITION_DESCRIPTIONS[to]
                    yield Activity(
                        team_id=team_id,
                        actor_id=plan.owner_id,
                        contact_id=prospect.pk,
                        referral_id=pk,
                        verb=to,
                        description=fit_field(
                            Activity,
                            "description",
                            text.format(referrer=referrer, prospect=prospect),
                        ),
                        occurred_at=moment,
                    )
        for check in self.plan.checks:
            moment = datetime.combine(check.checked_on, noon, tzinfo=current)
            if recent(moment):
                verdict = "green light to ask" if check.green_light else "not ready to be asked yet"
                yield Activity(
                    team_id=team_id,
                    actor_id=check.owner_id,
                    contact_id=ids[check.client],
                    verb="readiness",
                    description=f"Readiness conversation: {verdict}",
                    occurred_at=moment,
                )
        for deal in self.plan.deals:
            moment = datetime.combine(deal.opened_on, noon, tzinfo=current)
            if recent(moment):
                yield Activity(
                    team_id=team_id,
                    actor_id=deal.owner_id,
                    contact_id=ids[deal.contact],
                    verb="deal",
                    description=f"Deal opened ({Deal.Source(deal.source).label.lower()})",
                    occurred_at=moment,
                )
        for given in self.plan.given:
            moment = datetime.combine(given.given_on, noon, tzinfo=current)
            if recent(moment):
                client = contacts[given.client]
                who = (
                    contacts[given.introduced]
                    if given.introduced is not None
                    else given.introduced_name
                )
                yield Activity(
                    team_id=team_id,
                    actor_id=given.owner_id,
                    contact_id=client.pk,
                    verb="gave_referral",
                    description=fit_field(
                        Activity, "description", f"We introduced {client} to {who}"
                    ),
                    occurred_at=moment,
                )

    def write_followups(self, referral_ids: list[int]) -> int:
        """The follow-ups the services would have made (followups.services: the rules of
        each event, periodic updates at the referrer's cadence, skipped at closing), with
        a plausible history of the rep's work: most done on time, some late, a few
        skipped, recent ones still pending and a few overdue. Follow-ups whose due time
        has passed count as reminded (and the long-overdue as escalated), so the
        scheduler does not replay years of reminders on seeded data. Returns the count."""
        plan, now = self.plan, self.now
        rng = random.Random(f"followups/{plan.team.name}/{len(plan.referrals)}")
        contacts = plan.contacts
        zones = {member.user.pk: zone_of(member.user) for member in plan.members}
        within = followup_services.FOLLOW_UP_WITHIN
        channels, channel_weights = list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values())
        skip_reasons = [
            "Told them in person",
            "Covered in a call about something else",
            "They asked for fewer updates",
            "Already thanked at the introduction",
        ]
        notes = ["", "", "", "Warm reply.", "Left a voicemail.", "They were glad to help."]
        Kind, State = FollowUp.Kind, FollowUp.Status

        def outcome(due: datetime, created: datetime, recipient: Contact) -> tuple:
            """(status, done_at, channel, note, skip_reason) of a non-periodic follow-up,
            or of one periodic update, as the rep handled it by `now`."""
            if due > now:
                return State.PENDING, None, "", "", ""
            roll, overdue = rng.random(), now - due
            if roll < (0.4 if overdue < timedelta(days=3) else 0.03):
                return State.PENDING, None, "", "", ""
            if roll > 0.95:
                done_at = min(now, due + timedelta(minutes=rng.randint(0, 2880)))
                return State.SKIPPED, done_at, "", "", rng.choice(skip_reasons)
            if roll > 0.8:  # late
                done_at = due + timedelta(minutes=rng.randint(60, 7 * 1440))
            else:  # on time, after the event
                earliest = max(created, due - within) + timedelta(minutes=30)
                span = max(0, int((due - earliest).total_seconds() // 60))
                done_at = earliest + timedelta(minutes=rng.randint(0, span))
            if done_at > now:
                return State.PENDING, None, "", "", ""
            channel = (
                recipient.preferred_channel
                if rng.random() < 0.8
                else rng.choices(channels, channel_weights)[0]
            )
            return State.DONE, done_at, channel, rng.choice(notes), ""

        def row(referral_plan, pk, kind, occasion, recipient, due, result, closed_at=None):
            status, done_at, channel, note, skip_reason = result
            followup = FollowUp(
                team_id=plan.team.pk,
                owner_id=referral_plan.owner_id,
                referral_id=pk,
                kind=kind,
                occasion=occasion,
                recipient_id=recipient.pk,
                due_at=due,
                status=status,
                channel=channel,
                note=note,
                skip_reason=skip_reason,
                done_at=done_at,
            )
            if kind == Kind.CLOSING_THANKS and status == State.DONE and rng.random() < 0.3:
                followup.gift_note = rng.choice(["A book they mentioned", "Wine", "Lunch"])
                followup.gift_cost = Decimal(rng.randint(25, 150))
            if due <= now:
                followup.reminded_at = due
                if status == State.PENDING and now - due > reminders.ESCALATE_AFTER:
                    followup.escalated_at = due + reminders.ESCALATE_AFTER
            return followup

        def followups() -> Iterator[FollowUp]:
            for referral_plan, pk in zip(plan.referrals, referral_ids, strict=True):
                referrer = contacts[referral_plan.referrer]
                prospect = contacts[referral_plan.prospect]
                cadence = referrer.update_cadence
                events = [("asked", referral_plan.asked_at), *referral_plan.path]
                for event, moment in events:
                    for kind, to_prospect, each_step_only in followup_services.RULES[event]:
                        if each_step_only and cadence != UpdateCadence.EACH_STEP:
                            continue
                        recipient = prospect if to_prospect else referrer
                        due = followup_services.followup_due_at(
                            kind=kind, happened_at=moment, team=plan.team
                        )
                        result = outcome(due, moment, recipient)
                        yield row(referral_plan, pk, kind, event, recipient, due, result)
                # An ask left unconfirmed for the team's days was chased (the hourly
                # scan); an answer that came first made a pending chase moot.
                chase = followup_services.chase_due_at(
                    asked_at=referral_plan.asked_at, team=plan.team
                )
                answered = referral_plan.path[0][1] if referral_plan.path else None
                if chase <= now and (answered is None or answered > chase):
                    result = outcome(chase, chase, referrer)
                    if answered is not None and (
                        result[0] == State.PENDING or result[1] > answered
                    ):
                        reason = followup_services.SKIPPED_ASK_ANSWERED
                        result = (State.SKIPPED, answered, "", "", reason)
                    yield row(
                        referral_plan,
                        pk,
                        Kind.CHASE_CONFIRMATION,
                        followup_services.CHASE_OCCASION,
                        referrer,
                        chase,
                        result,
                    )
                if cadence not in followup_services.PERIODIC_CADENCES:
                    continue
                closed_at = (
                    referral_plan.last_at if referral_plan.status in FINAL_STATUSES else None
                )
                zone = zones.get(referral_plan.owner_id, timezone.get_default_timezone())
                after = referral_plan.asked_at
                for number in itertools.count(1):
                    occasion = f"{followup_services.PERIODIC_PREFIX}{number}"
                    due = followup_services.periodic_next_due(
                        cadence=cadence, after=after, zone=zone
                    )
                    result = outcome(due, after, referrer)
                    status, done_at = result[0], result[1]
                    closed_first = closed_at is not None and (
                        status == State.PENDING or done_at > closed_at
                    )
                    if closed_first:  # still pending when the referral closed: skipped then
                        reason = followup_services.SKIPPED_REFERRAL_CLOSED
                        result = (State.SKIPPED, closed_at, "", "", reason)
                    yield row(
                        referral_plan, pk, Kind.PERIODIC_UPDATE, occasion, referrer, due, result
                    )
                    if closed_first or status == State.PENDING:
                        break
                    after = done_at

        return self.insert(FollowUp, followups())
