"""The ideal client profile moves from referrals to contacts (the profile is about
contacts: their fit is scored against it). Its table keeps its name
(referrals_idealclientprofile) and its rows: this migration only tells Django's model
state that contacts owns it now; referrals' 0006 drops it from referrals' state."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("contacts", "0006_search_trigram_indexes"),
        # The table is made by referrals' 0001; it must exist before contacts claims it.
        ("referrals", "0005_kpi_index_only_scans"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="IdealClientProfile",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("industries", models.JSONField(blank=True, default=list)),
                        ("regions", models.JSONField(blank=True, default=list)),
                        ("min_employees", models.PositiveIntegerField(blank=True, null=True)),
                        ("max_employees", models.PositiveIntegerField(blank=True, null=True)),
                        ("functions", models.JSONField(blank=True, default=list)),
                        ("person_types", models.JSONField(blank=True, default=list)),
                        (
                            "situation",
                            models.TextField(
                                blank=True,
                                help_text=(
                                    "The situation or need that makes us the answer, in a sentence."
                                ),
                            ),
                        ),
                        ("situation_keywords", models.JSONField(blank=True, default=list)),
                        ("weight_industry", models.PositiveSmallIntegerField(default=25)),
                        ("weight_region", models.PositiveSmallIntegerField(default=15)),
                        ("weight_size", models.PositiveSmallIntegerField(default=20)),
                        ("weight_function", models.PositiveSmallIntegerField(default=15)),
                        ("weight_person_type", models.PositiveSmallIntegerField(default=15)),
                        ("weight_situation", models.PositiveSmallIntegerField(default=10)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "team",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="ideal_client_profile",
                                to="accounts.team",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "ideal client profile",
                        "db_table": "referrals_idealclientprofile",
                    },
                ),
            ],
        ),
    ]
