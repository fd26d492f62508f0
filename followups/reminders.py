"""Due reminders and escalations (the morning digest: followups/digests.py).

Exactly once, for real. The database is the source of truth, the broker only a doorbell:

- A follow-up that has come due is *claimed* by the scan: its row is locked with
  ``SELECT … FOR UPDATE SKIP LOCKED`` (two scans at once take different rows), and in the
  same transaction the scan writes the Reminder (unique per follow-up and kind), the
  in-app Notification, the OutgoingEmail, and ``reminded_at``. A scan killed half way
  rolls back and the next one claims the same rows again; a scan that ran already finds
  nothing (``reminded_at`` is set, and the partial index ``followup_to_remind_idx`` only
  holds pending rows where it is empty).
- The email is the outbox's (outbox/services.py): published to the broker after commit,
  best effort and bounded in time; with the broker down the row stays ``queued``, and
  the outbox's periodic drain publishes it once the broker is back. Sending claims the
  row, so a task delivered twice, or published by both the scan and the drain, sends
  once.
- Escalations are unique by Reminder(kind=escalation).

Every job here may run twice, concurrently, or late: running it again does nothing new.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS, WEEKDAYS

from accounts.models import Membership, User
from accounts.zones import zone_named, zone_of
from contacts import rhythm
from contacts.models import Contact
from core.text import fit_field
from followups.emails import absolute_url, followup_email_context, followup_path, render_email
from followups.models import FollowUp, Notification, Reminder, StayInTouchReminder
from outbox.models import OutgoingEmail
from outbox.services import email_subject, outgoing_emails_send_after_commit
from referrals.selectors import REASON_BY_KIND as COLD_REASON_BY_KIND
from referrals.selectors import REASON_CATCH_UP as COLD_REASON_CATCH_UP

# --- Tunables (settings may override them; tests of real processes shorten the waits) ---

SCAN_BATCH = 500
SCAN_MAX_PER_RUN = 20_000
ESCALATE_AFTER = timedelta(days=2)

NOTIFICATION_DUE = "Due: {kind} — {recipient} ({referrer} → {prospect})"
NOTIFICATION_ESCALATED = "Overdue 2+ days ({owner}): {kind} — {recipient} ({referrer} → {prospect})"
SUBJECT_DUE = "Due: {kind} — {recipient}"
SUBJECT_ESCALATED = "Overdue follow-up of {owner}: {kind} — {recipient}"


def _setting(name: str, default):
    return getattr(settings, name, default)


def _scan_batch() -> int:
    return _setting("REMINDER_SCAN_BATCH", SCAN_BATCH)


# --- Small helpers -----------------------------------------------------------------------


def _lock_skipping_locked(queryset: QuerySet) -> QuerySet:
    """Rows another transaction holds are skipped, not waited for: two scans at once take
    different rows. SQLite has no row locks; there a write transaction (BEGIN IMMEDIATE)
    serialises the scans, and the second one sees the first one's reminded_at."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset


def _can_email(user: User) -> bool:
    return bool(user.is_active and user.email)


def _load_followups(ids: list[int]) -> list[FollowUp]:
    return list(
        FollowUp.objects.filter(pk__in=ids)
        .select_related("owner", "recipient", "referral__referrer", "referral__prospect")
        .order_by("due_at", "pk")
    )


# What a due reminder reads of a follow-up (with its owner, recipient and referral).
_DUE_COLUMNS = (
    "pk",
    "team_id",
    "owner_id",
    "referral_id",
    "kind",
    "due_at",
    "owner__email",
    "owner__is_active",
    "owner__time_zone",
    "owner__first_name",
    "owner__username",
    "recipient__first_name",
    "recipient__last_name",
    "referral__referrer__first_name",
    "referral__referrer__last_name",
    "referral__prospect__first_name",
    "referral__prospect__last_name",
)


def _date_names() -> tuple[list[str], dict[int, str]]:
    """Django's day and month names in the active language, translated once per batch."""
    return [str(WEEKDAYS[day]) for day in range(7)], {
        month: str(name) for month, name in MONTHS.items()
    }


def _due_on(due_at: datetime, zone: ZoneInfo, names: tuple[list[str], dict[int, str]]) -> str:
    """The due time as the date filter's "l j F, H:i" writes it ("Thursday 26 November,
    08:30"), in the recipient's zone — written directly: the filter was a quarter of a
    scan's time."""
    local = due_at.astimezone(zone)
    weekdays, months = names
    return (
        f"{weekdays[local.weekday()]} {local.day} {months[local.month]}, "
        f"{local.hour:02d}:{local.minute:02d}"
    )


def _person(row: dict, prefix: str) -> str:
    """A contact's name as Contact.__str__ writes it, from a values() row."""
    return f"{row[prefix + '__first_name']} {row[prefix + '__last_name']}".strip()


# --- The due scan ------------------------------------------------------------------------


@dataclass
class ScanResult:
    reminded: int = 0
    emails: int = 0
    batches: int = 0

    def as_dict(self) -> dict:
        return {"reminded": self.reminded, "emails": self.emails, "batches": self.batches}


def due_followups_to_remind(*, now: datetime) -> QuerySet:
    """Pending follow-ups that have come due and whose owner has not been reminded: what
    the partial index followup_to_remind_idx holds, oldest first."""
    return FollowUp.objects.filter(
        status=FollowUp.Status.PENDING, reminded_at__isnull=True, due_at__lte=now
    ).order_by("due_at")


def reminders_scan(
    *, now: datetime | None = None, batch: int | None = None, max_per_run: int = SCAN_MAX_PER_RUN
) -> ScanResult:
    """Remind the owner of every follow-up that has come due, once: an in-app notification
    and an email. Claims batches of rows until nothing is left (or max_per_run), each
    batch in its own transaction, so a crash loses at most the batch under way — and that
    one is claimed again by the next scan."""
    return _in_batches(_remind_batch, now=now, batch=batch, max_per_run=max_per_run)


def _in_batches(remind_batch, *, now: datetime | None, batch: int | None, max_per_run: int):
    """Run `remind_batch(now=, batch=)` — one transaction that claims, reminds and returns
    (claimed, emails) — until nothing is left to claim or max_per_run are reminded."""
    now = now or timezone.now()
    batch = batch or _scan_batch()
    result = ScanResult()
    while result.reminded < max_per_run:
        claimed, emails = remind_batch(now=now, batch=min(batch, max_per_run - result.reminded))
        if not claimed:
            break
        result.reminded += claimed
        result.emails += emails
        result.batches += 1
    return result


def _remind_batch(*, now: datetime, batch: int) -> tuple[int, int]:
    with transaction.atomic():
        ids = list(
            _lock_skipping_locked(due_followups_to_remind(now=now)).values_list("pk", flat=True)[
                :batch
            ]
        )
        if not ids:
            return 0, 0
        # Only the columns the reminder needs, as plain values: building 6 model instances
        # per follow-up was a third of a 5,000-row scan (bench/scan_bench.py).
        rows = list(
            FollowUp.objects.filter(pk__in=ids).order_by("due_at", "pk").values(*_DUE_COLUMNS)
        )
        # The row lock makes this check safe; the unique constraint would refuse anyway.
        # A follow-up whose reminder exists (reminded_at cleared by hand) is not reminded
        # again: "once" means once.
        already = set(
            Reminder.objects.filter(followup_id__in=ids, kind=Reminder.Kind.DUE).values_list(
                "followup_id", flat=True
            )
        )
        todo = [row for row in rows if row["pk"] not in already]
        reminders = Reminder.objects.bulk_create(
            [
                Reminder(
                    followup_id=row["pk"], kind=Reminder.Kind.DUE, recipient_id=row["owner_id"]
                )
                for row in todo
            ]
        )
        template = get_template("emails/reminder_due.txt")
        date_names = _date_names()
        # One reverse() per batch, not per row: the referral's id goes into its pattern.
        path_pattern = reverse("referrals:referral-detail", args=[0]).replace("/0/", "/{}/")
        notifications, emails = [], []
        for row, reminder in zip(todo, reminders, strict=True):
            path = path_pattern.format(row["referral_id"])
            kind = FollowUp.Kind(row["kind"]).label
            recipient = _person(row, "recipient")
            referrer = _person(row, "referral__referrer")
            prospect = _person(row, "referral__prospect")
            message = NOTIFICATION_DUE.format(
                kind=kind, recipient=recipient, referrer=referrer, prospect=prospect
            )
            notifications.append(
                Notification(
                    user_id=row["owner_id"],
                    reminder=reminder,
                    message=fit_field(Notification, "message", message),
                    url=path,
                )
            )
            if row["owner__is_active"] and row["owner__email"]:
                zone = zone_named(row["owner__time_zone"])
                context = {
                    "kind": kind,
                    "recipient": recipient,
                    "referrer": referrer,
                    "prospect": prospect,
                    "due_on": _due_on(row["due_at"], zone, date_names),
                    "time_zone": zone.key,
                    "url": absolute_url(path),
                    "user": {
                        "first_name": row["owner__first_name"],
                        "username": row["owner__username"],
                    },
                }
                # No datetime in the context (due_on is written already): no zone to set.
                body = template.render(context).strip() + "\n"
                emails.append(
                    OutgoingEmail(
                        team_id=row["team_id"],
                        to=row["owner__email"],
                        subject=email_subject(SUBJECT_DUE.format(kind=kind, recipient=recipient)),
                        body=body,
                        purpose="reminder",
                        reminder=reminder,
                        followup_id=row["pk"],
                    )
                )
        Notification.objects.bulk_create(notifications)
        OutgoingEmail.objects.bulk_create(emails)
        FollowUp.objects.filter(pk__in=ids).update(reminded_at=now)
        outgoing_emails_send_after_commit([email.pk for email in emails])
    return len(ids), len(emails)


# --- Escalation to the manager -----------------------------------------------------------


def overdue_followups_to_escalate(*, now: datetime) -> QuerySet:
    """Pending follow-ups overdue by more than ESCALATE_AFTER and not escalated yet (the
    partial index followup_to_escalate_idx)."""
    return FollowUp.objects.filter(
        status=FollowUp.Status.PENDING,
        escalated_at__isnull=True,
        due_at__lt=now - ESCALATE_AFTER,
    ).order_by("due_at")


def escalations_send(
    *, now: datetime | None = None, batch: int | None = None, max_per_run: int = SCAN_MAX_PER_RUN
) -> ScanResult:
    """Tell the rep's manager, once, about each follow-up overdue by more than two days.
    The manager is the team's first manager who is not the owner; a follow-up of a team
    without one is marked escalated with nobody told (a manager who joins later is not
    flooded with old news)."""
    now = now or timezone.now()
    batch = batch or _scan_batch()
    result = ScanResult()
    while result.reminded < max_per_run:
        claimed, emails = _escalate_batch(now=now, batch=min(batch, max_per_run - result.reminded))
        if not claimed:
            break
        result.reminded += claimed
        result.emails += emails
        result.batches += 1
    return result


def _managers_by_team(team_ids: set[int]) -> dict[int, list[User]]:
    managers: dict[int, list[User]] = {}
    memberships = (
        Membership.objects.filter(
            team_id__in=team_ids, role=Membership.Role.MANAGER, user__is_active=True
        )
        .select_related("user")
        .order_by("joined_at", "pk")
    )
    for membership in memberships:
        managers.setdefault(membership.team_id, []).append(membership.user)
    return managers


def _escalate_batch(*, now: datetime, batch: int) -> tuple[int, int]:
    with transaction.atomic():
        ids = list(
            _lock_skipping_locked(overdue_followups_to_escalate(now=now)).values_list(
                "pk", flat=True
            )[:batch]
        )
        if not ids:
            return 0, 0
        followups = _load_followups(ids)
        managers = _managers_by_team({followup.team_id for followup in followups})
        already = set(
            Reminder.objects.filter(followup_id__in=ids, kind=Reminder.Kind.ESCALATION).values_list(
                "followup_id", flat=True
            )
        )
        todo: list[tuple[FollowUp, User]] = []
        for followup in followups:
            manager = next(
                (m for m in managers.get(followup.team_id, []) if m.pk != followup.owner_id),
                None,
            )
            if manager is not None and followup.pk not in already:
                todo.append((followup, manager))
        reminders = Reminder.objects.bulk_create(
            [
                Reminder(followup=followup, kind=Reminder.Kind.ESCALATION, recipient=manager)
                for followup, manager in todo
            ]
        )
        notifications, emails = [], []
        for (followup, manager), reminder in zip(todo, reminders, strict=True):
            referral, path = followup.referral, followup_path(followup)
            kind = followup.get_kind_display()
            message = NOTIFICATION_ESCALATED.format(
                owner=followup.owner,
                kind=kind,
                recipient=followup.recipient,
                referrer=referral.referrer,
                prospect=referral.prospect,
            )
            notifications.append(
                Notification(
                    user=manager,
                    reminder=reminder,
                    message=fit_field(Notification, "message", message),
                    url=path,
                )
            )
            if _can_email(manager):
                zone = zone_of(manager)
                context = {
                    **followup_email_context(followup, zone, path),
                    "user": manager,
                    "owner": followup.owner,
                    "overdue_days": (now - followup.due_at).days,
                }
                emails.append(
                    OutgoingEmail(
                        team_id=followup.team_id,
                        to=manager.email,
                        subject=email_subject(
                            SUBJECT_ESCALATED.format(
                                owner=followup.owner, kind=kind, recipient=followup.recipient
                            )
                        ),
                        body=render_email("emails/escalation.txt", context, zone),
                        purpose="escalation",
                        reminder=reminder,
                        followup=followup,
                    )
                )
        Notification.objects.bulk_create(notifications)
        OutgoingEmail.objects.bulk_create(emails)
        FollowUp.objects.filter(pk__in=ids).update(escalated_at=now)
        outgoing_emails_send_after_commit([email.pk for email in emails])
    return len(ids), len(emails)


# --- Going cold ------------------------------------------------------------------------------

# Only people who went cold this recently are reminded one by one (the rest are on the
# rep's week and in the digest): the first scan on old data must not flood anyone, and
# the scan reads only the contacts near their moment.
COLD_REMINDER_WINDOW = timedelta(days=14)
NOTIFICATION_COLD = "Going cold: {contact} — no touch for {days} days. {reason}"
SUBJECT_COLD = "Going cold: {contact}"


def contacts_to_remind_cold(*, now: datetime) -> QuerySet:
    """Contacts gone cold within COLD_REMINDER_WINDOW (contacts.rhythm) whose current
    silence has not been reminded yet, of active owners."""
    contacts = rhythm.with_silence(Contact.objects.filter(owner__is_active=True))
    reminded = StayInTouchReminder.objects.filter(
        contact=OuterRef("pk"), silent_since=OuterRef("silent_since")
    )
    test = rhythm.cold_filter(
        now=now,
        custom_days=rhythm.custom_rhythms(Contact.objects.all()),
        went_cold_after=now - COLD_REMINDER_WINDOW,
    )
    return contacts.filter(test).filter(~Exists(reminded)).order_by("silent_since", "pk")


def stay_in_touch_reminders_send(
    *, now: datetime | None = None, batch: int | None = None, max_per_run: int = SCAN_MAX_PER_RUN
) -> ScanResult:
    """Remind the owner, once per silence, of each person who has just gone cold: in the
    app and by email, with the reason to call. Claimed like the due reminders (rows
    locked, skipping locked ones; the StayInTouchReminder row unique per contact and
    silence); a touch starts a new silence, reminded again when it is long enough."""
    return _in_batches(_cold_batch, now=now, batch=batch, max_per_run=max_per_run)


def _cold_batch(*, now: datetime, batch: int) -> tuple[int, int]:
    with transaction.atomic():
        candidates = contacts_to_remind_cold(now=now).select_related("owner")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        people = list(candidates[:batch])
        if not people:
            return 0, 0
        # Read again now that these people are locked: a scan that committed while this
        # one's query ran (its snapshot taken before) has reminded some of them already,
        # and the lock on the contact does not re-check the reminder table.
        reminded = set(
            StayInTouchReminder.objects.filter(contact__in=people).values_list(
                "contact_id", "silent_since"
            )
        )
        people = [person for person in people if (person.pk, person.silent_since) not in reminded]
        if not people:
            return 0, 0
        reminders = StayInTouchReminder.objects.bulk_create(
            [
                StayInTouchReminder(
                    contact=person, recipient=person.owner, silent_since=person.silent_since
                )
                for person in people
            ]
        )
        path_pattern = reverse("contacts:detail", args=[0]).replace("/0/", "/{}/")
        notifications, emails = [], []
        for person, _reminder in zip(people, reminders, strict=True):
            days = (now - person.silent_since).days
            reason = cold_reason(person)
            path = path_pattern.format(person.pk)
            message = NOTIFICATION_COLD.format(contact=person, days=days, reason=reason)
            notifications.append(
                Notification(
                    user=person.owner,
                    message=fit_field(Notification, "message", message),
                    url=path,
                )
            )
            if _can_email(person.owner):
                zone = zone_of(person.owner)
                context = {
                    "user": person.owner,
                    "contact": person.full_name,
                    "days": days,
                    "rhythm_days": rhythm.rhythm_days(person),
                    "reason": reason,
                    "url": absolute_url(path),
                }
                emails.append(
                    OutgoingEmail(
                        team_id=person.team_id,
                        to=person.owner.email,
                        subject=email_subject(SUBJECT_COLD.format(contact=person)),
                        body=render_email("emails/going_cold.txt", context, zone),
                        purpose="going_cold",
                    )
                )
        Notification.objects.bulk_create(notifications)
        OutgoingEmail.objects.bulk_create(emails)
        outgoing_emails_send_after_commit([email.pk for email in emails])
    return len(people), len(emails)


def cold_reason(person: Contact) -> str:
    """The reason to call a person gone cold, by their kind (the rep's week says more,
    from their referrals and readiness: referrals.selectors.going_cold_for_user)."""
    return COLD_REASON_BY_KIND.get(person.kind, COLD_REASON_CATCH_UP)
