"""The exports list reads its whole order (newest, then id) from the index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0002_export_kinds_from_registry"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="exportjob",
            name="exports_owner_recent",
        ),
        migrations.AddIndex(
            model_name="exportjob",
            index=models.Index(fields=["owner", "-created_at", "-id"], name="exports_owner_recent"),
        ),
    ]
