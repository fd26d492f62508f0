"""Admin of follow-ups and what they send.

Reminders, notifications and outgoing emails are records of what happened: read-only
lists with filters, so an admin can see what was sent, to whom, and what failed. The
one action is "retry failed emails" (through followups.reminders)."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.text import Truncator

from accounts.audit import AuditHistoryAdmin
from accounts.visibility import visible_owned, visible_shared
from followups import reminders
from followups.models import FollowUp, Notification, OutgoingEmail, Reminder

RETRIED = "{count} failed email(s) queued again."
NOTHING_TO_RETRY = "None of the selected emails had failed; nothing to retry."


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["followup", "kind", "recipient", "created_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["recipient__username", "recipient__email"]
    list_select_related = [
        "recipient",
        "followup__referral__referrer",
        "followup__referral__prospect",
    ]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return visible_shared(
            super().get_queryset(request), request.user, team_field="followup__team"
        )


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["message", "user", "created_at", "read_at"]
    list_filter = [("read_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["message", "user__username"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
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

    @admin.display(description="last error", ordering="last_error")
    def error(self, email: OutgoingEmail) -> str:
        return Truncator(email.last_error).chars(120)

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("followups.change_outgoingemail")

    @admin.action(description="Retry failed emails", permissions=["retry"])
    def retry_failed(self, request, queryset):
        count = reminders.outgoing_emails_retry(
            email_ids=list(queryset.values_list("pk", flat=True))
        )
        if count:
            self.message_user(request, RETRIED.format(count=count), messages.SUCCESS)
        else:
            self.message_user(request, NOTHING_TO_RETRY, messages.WARNING)


# --- Follow-ups ---------------------------------------------------------------------------


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        overdue = {"status": FollowUp.Status.PENDING, "due_at__lt": timezone.now()}
        if self.value() == "yes":
            return queryset.filter(**overdue)
        if self.value() == "no":
            return queryset.exclude(**overdue)
        return queryset


@admin.register(FollowUp)
class FollowUpAdmin(AuditHistoryAdmin):
    """Follow-ups are made by the referral's events and closed through the pages or the
    API (followups.services), so here they are read; only the due time may be moved."""

    list_display = ["__str__", "kind", "recipient", "owner", "due_at", "status", "done_at"]
    list_filter = ["kind", "status", OverdueFilter, "channel"]
    list_select_related = ["owner", "recipient", "referral__referrer", "referral__prospect"]
    search_fields = [
        "recipient__first_name",
        "recipient__last_name",
        "referral__referrer__last_name",
        "referral__prospect__last_name",
        "owner__username",
    ]
    date_hierarchy = "due_at"
    readonly_fields = [
        "team",
        "owner",
        "referral",
        "kind",
        "occasion",
        "recipient",
        "status",
        "channel",
        "note",
        "skip_reason",
        "gift_note",
        "gift_cost",
        "done_at",
        "reminded_at",
        "escalated_at",
        "created_at",
        "updated_at",
    ]

    def get_queryset(self, request):
        return visible_owned(super().get_queryset(request), request.user)

    def has_add_permission(self, request):
        return False
