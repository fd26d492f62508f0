"""One ask is one ask: at most one *open* referral per referrer and prospect (the
constraint itself is added by the next migration, 0009, in a transaction of its own).

Before that constraint, a double click (or a retried API call) recorded the same ask twice.
Such duplicates already in a database would make adding the constraint fail, so they are
resolved first, deterministically, and without deleting anything:

- In each group of open referrals of the same referrer and prospect, the one that stays
  open is the one furthest along (meeting, then contacted, confirmed, asked): that is the
  one the rep has been working on (after a double click, the browser showed the second
  one). Ties go to the oldest ask (asked_at, then id).
- Every other one of the group is closed the way the state machine closes a referral at
  its step: "declined" while it was still "asked", "lost" after that (its open deal, if
  any, closes lost with it, as referral_transition would do). It is dated now, keeps
  everything it had (steps, notes, timeline), and gets a line on its timeline and in its
  change history saying it was a duplicate of which ask.
- Its pending follow-ups are skipped with the same reason, so nobody is reminded to thank a
  referrer twice for one ask.

No event is sent (a migration calls no service): closing a duplicate starts no follow-up.
"""

from django.db import migrations, models
from django.utils import timezone

OPEN = ("asked", "confirmed", "contacted", "meeting")
# Furthest along first.
PROGRESS = {"meeting": 0, "contacted": 1, "confirmed": 2, "asked": 3}
DUPLICATE_OF = "Closed as a duplicate of the ask of {date} (referral #{pk}), still open."
# HistoricalReferral.history_change_reason is 100 characters long.
HISTORY_REASON = "Duplicate of referral #{pk}: one open ask per referrer and prospect"


def close_duplicate_open_asks(apps, schema_editor):
    Referral = apps.get_model("referrals", "Referral")
    HistoricalReferral = apps.get_model("referrals", "HistoricalReferral")
    Deal = apps.get_model("referrals", "Deal")
    Activity = apps.get_model("contacts", "Activity")
    FollowUp = apps.get_model("followups", "FollowUp")

    groups = (
        Referral.objects.filter(status__in=OPEN)
        .values("referrer_id", "prospect_id")
        .annotate(open_asks=models.Count("id"))
        .filter(open_asks__gt=1)
    )
    now = timezone.now()
    for group in groups.iterator():
        asks = sorted(
            Referral.objects.filter(
                status__in=OPEN,
                referrer_id=group["referrer_id"],
                prospect_id=group["prospect_id"],
            ),
            key=lambda referral: (PROGRESS[referral.status], referral.asked_at, referral.pk),
        )
        kept, duplicates = asks[0], asks[1:]
        description = DUPLICATE_OF.format(
            date=timezone.localtime(kept.asked_at).strftime("%Y-%m-%d %H:%M"), pk=kept.pk
        )
        for referral in duplicates:
            closed_at = max(
                [now]
                + [
                    moment
                    for moment in (
                        referral.asked_at,
                        referral.confirmed_at,
                        referral.contacted_at,
                        referral.meeting_at,
                    )
                    if moment is not None
                ]
            )
            if referral.status == "asked":
                referral.status, referral.declined_at = "declined", closed_at
            else:
                referral.status, referral.lost_at = "lost", closed_at
                Deal.objects.filter(referral_id=referral.pk, outcome="open").update(
                    outcome="lost",
                    closed_on=timezone.localdate(closed_at),
                    updated_at=now,
                )
            referral.updated_at = now
            referral.save(update_fields=["status", "declined_at", "lost_at", "updated_at"])
            HistoricalReferral.objects.create(
                **{
                    field.attname: getattr(referral, field.attname)
                    for field in Referral._meta.concrete_fields
                },
                history_date=now,
                history_type="~",
                history_change_reason=HISTORY_REASON.format(pk=kept.pk)[:100],
            )
            Activity.objects.create(
                team_id=referral.team_id,
                referral_id=referral.pk,
                contact_id=referral.referrer_id,
                verb=referral.status,
                description=description,
                occurred_at=closed_at,
            )
            FollowUp.objects.filter(referral_id=referral.pk, status="pending").update(
                status="skipped", skip_reason=description, done_at=closed_at, updated_at=now
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("contacts", "0007_idealclientprofile_from_referrals"),
        ("followups", "0006_outgoingemail_moved_to_outbox"),
        ("referrals", "0007_names_follow_the_rule_of_names"),
    ]

    operations = [
        migrations.RunPython(close_duplicate_open_asks, migrations.RunPython.noop),
    ]
