from django.db import migrations
from django.db.models import Max, OuterRef, Subquery


def fill_last_asked(apps, schema_editor):
    # Each contact's latest ask as a referrer, from the asks recorded so far; from now on
    # referrals.last_asked keeps it with every write of a referral.
    Contact = apps.get_model("contacts", "Contact")
    Referral = apps.get_model("referrals", "Referral")
    latest = (
        Referral.objects.filter(referrer=OuterRef("pk"))
        .order_by()
        .values("referrer")
        .annotate(latest=Max("asked_at"))
        .values("latest")
    )
    Contact.objects.filter(pk__in=Referral.objects.values("referrer")).update(
        last_asked_at=Subquery(latest)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0016_contact_last_asked"),
        ("referrals", "0013_referrer_answers_by_link"),
    ]

    operations = [migrations.RunPython(fill_last_asked, migrations.RunPython.noop)]
