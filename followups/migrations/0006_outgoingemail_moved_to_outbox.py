"""OutgoingEmail moved to the outbox app (outbox/migrations/0001_initial.py), its table
kept: here it only leaves the follow-ups' migration state; no table or row changes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0005_covering_kpi_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OutgoingEmail")],
            database_operations=[],
        ),
    ]
