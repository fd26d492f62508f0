"""Admin of the outgoing email log.

The emails are records of what was sent: a read-only list with filters, so an admin can
see what was sent, to whom, and what failed. The one action is "retry failed emails"
(outbox.services.outgoing_emails_retry)."""

from django.contrib import admin, messages
from django.utils.text import Truncator

from accounts.visibility import visible_shared
from outbox import services
from outbox.models import OutgoingEmail

RETRIED = "{count} failed email(s) queued again."
NOTHING_TO_RETRY = "None of the selected emails had failed; nothing to retry."


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = [
        "subject",
        "to",
        "purpose",
        "status",
        "attempts",
        "error",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "purpose", "created_at"]
    search_fields = ["to", "subject", "dedupe_key"]
    date_hierarchy = "created_at"
    actions = ["retry_failed"]

    def get_queryset(self, request):
        return visible_shared(super().get_queryset(request), request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="last error", ordering="last_error")
    def error(self, email: OutgoingEmail) -> str:
        return Truncator(email.last_error).chars(120)

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("outbox.change_outgoingemail")

    @admin.action(description="Retry failed emails", permissions=["retry"])
    def retry_failed(self, request, queryset):
        count = services.outgoing_emails_retry(
            email_ids=list(queryset.values_list("pk", flat=True))
        )
        if count:
            self.message_user(request, RETRIED.format(count=count), messages.SUCCESS)
        else:
            self.message_user(request, NOTHING_TO_RETRY, messages.WARNING)
