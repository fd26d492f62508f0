"""Admin of follow-ups and their reminders.

Reminders and notifications are records of what happened: read-only lists with filters,
so an admin can see who was reminded of what. The emails they caused are in the outbox's
admin (outbox/admin.py)."""

from django.contrib import admin
from django.utils import timezone

from accounts.audit import AuditHistoryAdmin
from accounts.visibility import visible_owned, visible_shared
from followups.models import FollowUp, Notification, Reminder, StayInTouchReminder


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


@admin.register(StayInTouchReminder)
class StayInTouchReminderAdmin(ReadOnlyAdmin):
    list_display = ["contact", "recipient", "silent_since", "created_at"]
    search_fields = ["contact__first_name", "contact__last_name", "recipient__username"]
    list_select_related = ["contact", "recipient"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return visible_shared(
            super().get_queryset(request), request.user, team_field="contact__team"
        )


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["message", "user", "created_at", "read_at"]
    list_filter = [("read_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["message", "user__username"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"


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
