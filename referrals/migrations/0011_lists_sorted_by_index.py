"""The pipeline and the deals list, a manager's and a rep's, read in the order
they show (newest first) from an index and cut at the page, instead of sorting all of a
team's rows (issue 20: a manager's deals list sorted 50,000 deals per request)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0010_unique_rules_say_why"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(fields=["team", "-opened_on", "-id"], name="deal_team_list_idx"),
        ),
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(
                fields=["team", "owner", "-opened_on", "-id"], name="deal_owner_list_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(fields=["team", "-asked_at", "-id"], name="referral_team_list_idx"),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                fields=["team", "owner", "-asked_at", "-id"], name="referral_owner_list_idx"
            ),
        ),
    ]
