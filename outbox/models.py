"""The outgoing email log: every email Warmpath sends is a row here first.

The row, not the broker, is the truth (outbox.services). The model moved here from the
follow-ups app with its table, which keeps its old name.
"""

from django.db import models

from core import dates


class OutgoingEmail(models.Model):
    """Every email Warmpath sends, written in the same transaction as the reason for it
    and sent after commit. The row, not the broker, is the truth: a send is claimed by a
    conditional update, retried with backoff on failure, and visible to admins."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    # A message a rep writes to a client or referrer goes out in their name ("Ravi Patel via
    # Warmpath", Warmpath's own address) and answers reach them (Reply-To). Empty for
    # Warmpath's own mail (reminders, digests).
    from_name = models.CharField(max_length=150, blank=True)
    reply_to = models.EmailField(blank=True)
    # Why it was sent: a reminder, a digest, a follow-up message written by a rep…
    purpose = models.CharField(max_length=40)
    # What it is about, when it is about a follow-up. Named by string: the outbox's code
    # imports no domain app, whatever its rows point to.
    reminder = models.OneToOneField(
        "followups.Reminder",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="email",
    )
    followup = models.ForeignKey(
        "followups.FollowUp",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="emails",
    )
    # A digest or weekly summary is unique per user and day/week: replays do not resend.
    dedupe_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = dates.DateTimeField(null=True, blank=True)
    sent_at = dates.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "followups_outgoingemail"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(status__in=["queued", "sending"]),
                name="email_unsent_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
