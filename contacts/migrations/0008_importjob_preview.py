"""An import job keeps its preview, so that a reload of the preview page does not plan
every row of the file again (contacts.imports.jobs.import_job_preview)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0007_idealclientprofile_from_referrals"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="preview",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
