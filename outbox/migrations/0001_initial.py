"""OutgoingEmail, moved here from the follow-ups app with its table
(followups_outgoingemail), its rows and its indexes: in the database nothing changes, the
model only enters the outbox's migration state (followups/migrations/0006 took it out of
theirs).

Its content type is renamed rather than left behind, so the permissions given on it
(change_outgoingemail lets an admin retry failed emails) and the admin's history of it
follow the model. A fresh database has none to rename: Django creates the outbox's own.
"""

import django.db.models.deletion
from django.db import migrations, models


def _content_type_move(from_app: str, to_app: str):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        if ContentType.objects.filter(app_label=to_app, model="outgoingemail").exists():
            return
        ContentType.objects.filter(app_label=from_app, model="outgoingemail").update(
            app_label=to_app
        )

    return move


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("followups", "0006_outgoingemail_moved_to_outbox"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutgoingEmail",
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
                        ("to", models.EmailField(max_length=254)),
                        ("subject", models.CharField(max_length=300)),
                        ("body", models.TextField()),
                        ("purpose", models.CharField(max_length=40)),
                        (
                            "dedupe_key",
                            models.CharField(blank=True, max_length=120, null=True, unique=True),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("queued", "Queued"),
                                    ("sending", "Sending"),
                                    ("sent", "Sent"),
                                    ("failed", "Failed"),
                                ],
                                default="queued",
                                max_length=10,
                            ),
                        ),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("last_error", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "followup",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="emails",
                                to="followups.followup",
                            ),
                        ),
                        (
                            "reminder",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="email",
                                to="followups.reminder",
                            ),
                        ),
                        (
                            "team",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="accounts.team",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "followups_outgoingemail",
                        "ordering": ["-created_at", "-pk"],
                        "indexes": [
                            models.Index(
                                condition=models.Q(("status__in", ["queued", "sending"])),
                                fields=["created_at"],
                                name="email_unsent_idx",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(
            _content_type_move("followups", "outbox"), _content_type_move("outbox", "followups")
        ),
    ]
