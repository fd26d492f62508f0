"""The follow-ups that keep referrers giving, and the reminders that make them impossible
to forget.

Due work is data (STYLE.md): each follow-up has its due time and its state; each
reminder is a row, unique per follow-up and kind, claimed in a transaction, so the
database — not the broker — decides what has been sent. Emails go through the outbox
(outbox.models.OutgoingEmail), so every message is visible, retried and sent at most once
per row.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from contacts.models import Channel
from core import dates
from core.database import covering_index


class FollowUp(models.Model):
    class Kind(models.TextChoices):
        THANK_REFERRER = "thank_referrer", "Thank the referrer"
        STATUS_REPORT = "status_report", "Status report to the referrer"
        CLOSING_THANKS = "closing_thanks", "Closing thanks or gift"
        THANK_PROSPECT = "thank_prospect", "Thank the prospect"
        PERIODIC_UPDATE = "periodic_update", "Periodic update to the referrer"
        CHASE_CONFIRMATION = "chase_confirmation", "Gently remind the referrer of the intro"
        EXPECTATIONS = "expectations", "Expectation conversation with the new client"
        READINESS = "readiness", "Readiness conversation with the new client"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followups"
    )
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="followups"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # What made this follow-up ("asked", "contacted", "won", "lost", "periodic:3"…). With
    # the referral and kind it is unique: replaying an event creates nothing new.
    occasion = models.CharField(max_length=40)
    recipient = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.PROTECT,
        related_name="followups_received",
        help_text="Whom to thank or update: the referrer, or the prospect.",
    )
    due_at = dates.DateTimeField()
    # What the rep reported, for a status report of a problem during the sale
    # (followups.problems); the draft tells the referrer.
    about = models.TextField("what happened", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    channel = models.CharField(
        max_length=20, choices=Channel.choices, blank=True, help_text="The channel used."
    )
    note = models.TextField(blank=True)
    skip_reason = models.CharField(max_length=300, blank=True)
    gift_note = models.CharField(max_length=300, blank=True)
    gift_cost = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    done_at = dates.DateTimeField(null=True, blank=True)
    # Set when the "it is due" reminder has been claimed; the scan only looks at pending
    # follow-ups where this is still empty (see the partial index).
    reminded_at = dates.DateTimeField(null=True, blank=True)
    escalated_at = dates.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Who changed what, when (django-simple-history). Claims by queryset.update()
    # (reminded_at, escalated_at) and bulk writes leave no history rows.
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "kind", "occasion"], name="followup_once_per_occasion"
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending", done_at__isnull=True)
                | (~models.Q(status="pending") & models.Q(done_at__isnull=False)),
                name="followup_done_at_matches_status",
            ),
        ]
        indexes = [
            # The reminder scan: pending, not yet reminded, by due time. Stays as small as
            # what is due, whatever the size of the table.
            models.Index(
                fields=["due_at"],
                condition=models.Q(status="pending", reminded_at__isnull=True),
                name="followup_to_remind_idx",
            ),
            # Escalation: pending and overdue, not yet escalated.
            models.Index(
                fields=["due_at"],
                condition=models.Q(status="pending", escalated_at__isnull=True),
                name="followup_to_escalate_idx",
            ),
            # The inbox (a rep's or a manager's own pending follow-ups, soonest first) and
            # the overdue counts; the id makes the index's order the list's whole order.
            models.Index(fields=["owner", "status", "due_at", "id"], name="followup_inbox_idx"),
            # The follow-up list of the API (selectors.followups_for_user), soonest first,
            # read in index order: a rep's own and a manager's whole team.
            models.Index(fields=["team", "owner", "due_at", "id"], name="followup_owner_list_idx"),
            models.Index(fields=["team", "due_at", "id"], name="followup_team_list_idx"),
            # The team's overdue page, by rep then oldest first: read in index order and
            # cut at the page (no sort of the whole team's overdue rows); its counts per
            # rep are grouped in that order too. Only the pending ones, like
            # followup_team_pending_due below: of two indexes of the same rows, SQLite's
            # planner would otherwise take that one's due-time range and sort the team's
            # overdue rows (63 ms on the large set, against 0.1 ms in this order).
            models.Index(
                fields=["team", "owner", "due_at", "id"],
                condition=models.Q(status="pending"),
                name="followup_team_pending_owner",
            ),
            # The KPIs' follow-up on-time rate: the team's thank-the-referrer follow-ups,
            # joined to the cohort by referral and counted from the index alone (it
            # carries every column the count reads, on every engine).
            covering_index(
                fields=["team", "referral"],
                carries=["id", "owner", "status", "due_at", "done_at"],
                condition=models.Q(kind="thank_referrer"),
                name="followup_thank_referrer_idx",
            ),
            # The KPIs' overdue follow-ups of the day being read (reporting.rollups: the
            # rows of today until now): the team's pending ones by due time, with their
            # owner — a range of the index, not every pending follow-up of the team.
            covering_index(
                fields=["team", "due_at"],
                carries=["owner"],
                condition=models.Q(status="pending"),
                name="followup_team_pending_due",
            ),
            # The KPIs' thank-yous still pending past due (a state, not in the rollups):
            # only the pending ones, by due time, with what the count reads.
            covering_index(
                fields=["team", "due_at"],
                carries=["owner", "referral"],
                condition=models.Q(kind="thank_referrer", status="pending"),
                name="followup_thank_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.referral}"

    @property
    def takes_gift(self) -> bool:
        """A gift (what, and its cost) goes with the closing thanks only."""
        return self.kind == self.Kind.CLOSING_THANKS


class Reminder(models.Model):
    """One reminder about one follow-up, of one kind, to one person. Unique per follow-up
    and kind: the row is the proof it was claimed, so it cannot be sent twice."""

    class Kind(models.TextChoices):
        DUE = "due", "Follow-up is due"
        ESCALATION = "escalation", "Overdue, escalated to the manager"

    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["followup", "kind"], name="reminder_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.followup}"


class Notification(models.Model):
    """An in-app message for one user (the bell in the navigation)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    reminder = models.OneToOneField(
        Reminder, on_delete=models.CASCADE, null=True, blank=True, related_name="notification"
    )
    message = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = dates.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        # The bell and the notifications list, newest first, read in index order (the id
        # breaks ties of the same instant, as the list's order does).
        indexes = [
            models.Index(
                fields=["user", "-created_at", "-id"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_idx"),
        ]

    def __str__(self) -> str:
        return self.message


class StayInTouchReminder(models.Model):
    """The reminder that someone is going cold: one per contact and silence. `silent_since`
    is the moment the silence began (the last touch, or when they were added); a touch
    starts a new silence, so the next time they go cold is reminded again — and this one
    never twice (the unique constraint is the proof it was claimed)."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="stay_in_touch_reminders"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    silent_since = dates.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "silent_since"], name="stay_in_touch_reminder_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Going cold: {self.contact}"
