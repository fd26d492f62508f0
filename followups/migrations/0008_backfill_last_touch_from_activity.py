"""Backfill the last touch of contacts and ties from the work already recorded, with the
same rules as contacts.services.touch_record: an ask and an answer (confirmed, declined)
touch the referrer, the later steps the prospect, a confirmed introduction also the tie
between referrer and prospect; a follow-up done its recipient; a readiness conversation
its client; a deal its contact; a referral we gave both people. The rep's own tie to each
person moves with them. Days (readiness, deals, referrals given) count from noon UTC.
`last_contacted_on` is kept at least the day of the last touch.

It lives in followups, the highest app whose rows it reads, so its dependencies point the
way the code's do. Reversing it leaves the columns as they are (they were empty before).
"""

from datetime import UTC, datetime, time

from django.db import migrations
from django.db.models import Max

BATCH = 2000


def _noon(day):
    return datetime.combine(day, time(12), tzinfo=UTC)


def backfill(apps, schema_editor):
    Contact = apps.get_model("contacts", "Contact")
    Relationship = apps.get_model("contacts", "Relationship")
    Referral = apps.get_model("referrals", "Referral")
    ReadinessCheck = apps.get_model("referrals", "ReadinessCheck")
    Deal = apps.get_model("referrals", "Deal")
    ReferralGiven = apps.get_model("referrals", "ReferralGiven")
    FollowUp = apps.get_model("followups", "FollowUp")

    latest: dict[int, datetime] = {}  # contact → last touch
    by_rep: dict[tuple[int, int], datetime] = {}  # (rep's user, contact) → last touch
    pairs: dict[tuple[int, int], datetime] = {}  # (contact, contact) → last touch

    def note(user_id, contact_id, moment):
        if contact_id is None or moment is None:
            return
        if contact_id not in latest or latest[contact_id] < moment:
            latest[contact_id] = moment
        key = (user_id, contact_id)
        if key not in by_rep or by_rep[key] < moment:
            by_rep[key] = moment

    def note_pair(one, other, moment):
        if one is None or other is None or moment is None:
            return
        key = tuple(sorted((one, other)))
        if key not in pairs or pairs[key] < moment:
            pairs[key] = moment

    for person, columns in (
        ("referrer_id", ("asked_at", "confirmed_at", "declined_at")),
        ("prospect_id", ("contacted_at", "meeting_at", "won_at", "lost_at")),
    ):
        for column in columns:
            rows = Referral.objects.values("owner_id", person).annotate(last=Max(column))
            for row in rows.iterator(chunk_size=BATCH):
                note(row["owner_id"], row[person], row["last"])
    confirmed = Referral.objects.filter(confirmed_at__isnull=False)
    for referrer, prospect, at in confirmed.values_list(
        "referrer_id", "prospect_id", "confirmed_at"
    ).iterator(chunk_size=BATCH):
        note_pair(referrer, prospect, at)
    done = FollowUp.objects.filter(status="done").values("owner_id", "recipient_id")
    for row in done.annotate(last=Max("done_at")).iterator(chunk_size=BATCH):
        note(row["owner_id"], row["recipient_id"], row["last"])
    checks = ReadinessCheck.objects.values("owner_id", "client_id").annotate(last=Max("checked_on"))
    for row in checks.iterator(chunk_size=BATCH):
        note(row["owner_id"], row["client_id"], _noon(row["last"]))
    for column in ("opened_on", "closed_on"):
        deals = Deal.objects.values("owner_id", "contact_id").annotate(last=Max(column))
        for row in deals.iterator(chunk_size=BATCH):
            if row["last"] is not None:
                note(row["owner_id"], row["contact_id"], _noon(row["last"]))
    given = ReferralGiven.objects.values_list("owner_id", "client_id", "introduced_id", "given_on")
    for owner, client, introduced, day in given.iterator(chunk_size=BATCH):
        note(owner, client, _noon(day))
        note(owner, introduced, _noon(day))
        note_pair(client, introduced, _noon(day))

    ids = sorted(latest)
    for start in range(0, len(ids), BATCH):
        contacts = list(Contact.objects.filter(pk__in=ids[start : start + BATCH]))
        for contact in contacts:
            moment = latest[contact.pk]
            if contact.last_touch_at is None or contact.last_touch_at < moment:
                contact.last_touch_at = moment
            if contact.last_contacted_on is None or contact.last_contacted_on < moment.date():
                contact.last_contacted_on = moment.date()
        Contact.objects.bulk_update(contacts, ["last_touch_at", "last_contacted_on"])

    record_of = dict(Contact.objects.filter(user__isnull=False).values_list("user_id", "pk"))
    for (user_id, contact_id), moment in by_rep.items():
        me = record_of.get(user_id)
        if me is not None and me != contact_id:
            note_pair(me, contact_id, moment)
    keys = sorted(pairs)
    for start in range(0, len(keys), BATCH):
        chunk = keys[start : start + BATCH]
        lows = {low for low, _ in chunk}
        ties = Relationship.objects.filter(contact_a_id__in=lows)
        wanted = set(chunk)
        changed = []
        for tie in ties.iterator(chunk_size=BATCH):
            key = (tie.contact_a_id, tie.contact_b_id)
            if key not in wanted:
                continue
            moment = pairs[key]
            if tie.last_touch_at is None or tie.last_touch_at < moment:
                tie.last_touch_at = moment
                changed.append(tie)
        Relationship.objects.bulk_update(changed, ["last_touch_at"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ('followups', '0007_lists_sorted_by_index'),
        ("contacts", "0013_touch_and_rhythm_fields"),
        ("referrals", "0010_unique_rules_say_why"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
