"""The ideal client profile now belongs to contacts (contacts' 0007 takes it into its
model state). Only Django's state forgets it here: the table, its name and its rows stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0007_idealclientprofile_from_referrals"),
        ("referrals", "0005_kpi_index_only_scans"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="IdealClientProfile")],
        ),
    ]
