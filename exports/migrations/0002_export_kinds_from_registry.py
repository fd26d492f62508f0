# The kinds of export are registered by the apps that write them (exports.registry), no
# longer listed as choices here. Choices live in Django's migration state only: no SQL.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0001_export_jobs"),
    ]

    operations = [
        migrations.AlterField(
            model_name="exportjob",
            name="kind",
            field=models.CharField(max_length=20),
        ),
    ]
