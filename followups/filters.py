"""The filters of the follow-ups' lists, one FilterSet per list, shared by its page and its
API (core.filters): the follow-ups (the inbox's sections and /api/v1/followups/) and the
user's notifications."""

import django_filters
from django.db.models import QuerySet

from core.filters import BooleanFilter, FilterSet, IdFilter, UtcIsoDateTimeFilter, search_filters
from followups.models import FollowUp, Notification

# ?show=unread is the notifications page's tab; ?unread=true the API's name for it.
SHOW_UNREAD = "unread"


class FollowUpFilter(FilterSet):
    q, search = search_filters(
        fields=(
            "recipient__first_name",
            "recipient__last_name",
            "referral__referrer__first_name",
            "referral__referrer__last_name",
            "referral__prospect__first_name",
            "referral__prospect__last_name",
        ),
        help_text="Every word must appear in the name of the recipient, the referrer or the "
        "prospect.",
    )
    kind = django_filters.ChoiceFilter(choices=FollowUp.Kind.choices, empty_label="Every kind")
    status = django_filters.ChoiceFilter(choices=FollowUp.Status.choices)
    referral = IdFilter()
    owner = IdFilter()
    recipient = IdFilter()
    due_after = UtcIsoDateTimeFilter(
        field_name="due_at", lookup_expr="gte", label="Due at or after (ISO 8601)"
    )
    due_before = UtcIsoDateTimeFilter(
        field_name="due_at", lookup_expr="lt", label="Due before (ISO 8601)"
    )

    class Meta:
        model = FollowUp
        fields = [
            "q",
            "search",
            "kind",
            "status",
            "referral",
            "owner",
            "recipient",
            "due_after",
            "due_before",
        ]


class NotificationFilter(FilterSet):
    unread = BooleanFilter(method="filter_unread", help_text="Only unread notifications (true).")
    show = django_filters.ChoiceFilter(
        choices=[(SHOW_UNREAD, "Unread"), ("all", "All")],
        method="filter_show",
        help_text="`unread`: only unread notifications (as ?unread=true); `all`: every one.",
    )

    class Meta:
        model = Notification
        fields = ["unread", "show"]

    def filter_unread(self, queryset, name, value: bool) -> QuerySet:
        return queryset.filter(read_at__isnull=True) if value else queryset

    def filter_show(self, queryset, name, value: str) -> QuerySet:
        return queryset.filter(read_at__isnull=True) if value == SHOW_UNREAD else queryset

    @property
    def unread_only(self) -> bool:
        """Whether the list shows unread notifications only (the page's tab)."""
        self.is_valid()
        data = self.form.cleaned_data
        return bool(data.get("unread")) or data.get("show") == SHOW_UNREAD
