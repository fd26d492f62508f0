from django.db import migrations
from django.db.models import Count, IntegerField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

MADE = ["confirmed", "contacted", "meeting", "won", "lost"]


def fill_contact_facts(apps, schema_editor):
    # What each contact's referrals and readiness conversations say of them, from the rows
    # recorded so far; from now on referrals.contact_facts keeps it with every write.
    Contact = apps.get_model("contacts", "Contact")
    Referral = apps.get_model("referrals", "Referral")
    ReadinessCheck = apps.get_model("referrals", "ReadinessCheck")

    def of_referrer(name, expression):
        return Subquery(
            Referral.objects.filter(referrer=OuterRef("pk"))
            .order_by()
            .values("referrer")
            .annotate(**{name: expression})
            .values(name)
        )

    def counted(name, condition):
        return Coalesce(
            of_referrer(name, Count("pk", filter=condition)), 0, output_field=IntegerField()
        )

    Contact.objects.filter(pk__in=Referral.objects.values("referrer")).update(
        last_asked_at=of_referrer("latest", Max("asked_at")),
        asks_made=counted("made", Q(status__in=MADE)),
        asks_declined=counted("declined", Q(status="declined")),
    )
    Contact.objects.filter(pk__in=ReadinessCheck.objects.values("client")).update(
        green_light=Subquery(
            ReadinessCheck.objects.filter(client=OuterRef("pk"))
            .order_by("-checked_on", "-id")
            .values("green_light")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0016_contact_facts"),
        ("referrals", "0013_referrer_answers_by_link"),
    ]

    operations = [migrations.RunPython(fill_contact_facts, migrations.RunPython.noop)]
