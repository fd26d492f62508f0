"""The inbox, the API's follow-up list (a rep's and a manager's) and the
notifications read in the order they show from an index: the id, the lists' tie-break,
joins the inbox and notification indexes, and two indexes serve the follow-up list."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0006_outgoingemail_moved_to_outbox"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="followup",
            name="followup_inbox_idx",
        ),
        migrations.RemoveIndex(
            model_name="notification",
            name="notification_unread_idx",
        ),
        migrations.RemoveIndex(
            model_name="notification",
            name="notification_user_idx",
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                fields=["owner", "status", "due_at", "id"], name="followup_inbox_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                fields=["team", "owner", "due_at", "id"], name="followup_owner_list_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(fields=["team", "due_at", "id"], name="followup_team_list_idx"),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("read_at__isnull", True)),
                fields=["user", "-created_at", "-id"],
                name="notification_unread_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["user", "-created_at", "-id"], name="notification_user_idx"),
        ),
    ]
