"""The constraint behind "one ask is one ask" (referrals.models.Referral.Meta); the open
duplicates recorded before it were closed by 0008."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0008_close_duplicate_open_asks"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="referral",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ("asked", "confirmed", "contacted", "meeting"))),
                fields=("referrer", "prospect"),
                name="referral_one_open_ask_per_referrer_and_prospect",
                violation_error_message=(
                    "This referrer already has an open ask for an introduction to this prospect."
                ),
            ),
        ),
    ]
