"""The filters of the referral work's lists, one FilterSet per list, shared by its page and
its API (core.filters): the roster, readiness checks, referrals (the pipeline), deals,
referrals given and weekly goals. Every filter works on both sides; a page shows controls
for a few of them (its view's `shown`), and keeps the others when a link carries them."""

from datetime import UTC, date, datetime, time, timedelta

import django_filters
from django.db.models import QuerySet

from accounts.zones import zone_of
from contacts.models import Channel
from core.filters import DateFilter, FilterSet, IdFilter, UtcIsoDateTimeFilter, search_filters
from referrals.forms import DATE_WIDGET
from referrals.models import (
    OPEN_STATUSES,
    Deal,
    Priority,
    Quality,
    ReadinessCheck,
    Referral,
    ReferralGiven,
    RosterEntry,
    WeeklyGoal,
)

# The status filter of the pipeline also takes "open": every referral still under way.
OPEN = "open"


class RosterFilter(FilterSet):
    q, search = search_filters(
        fields=(
            "prospect__first_name",
            "prospect__last_name",
            "prospect__email",
            "prospect__company__name",
            "reason",
        ),
        help_text="Every word must appear in the prospect's name, email or company, or in "
        "the reason.",
    )
    status = django_filters.ChoiceFilter(
        choices=RosterEntry.Status.choices, empty_label="Any status"
    )
    priority = django_filters.ChoiceFilter(choices=Priority.choices, empty_label="Any priority")
    owner = IdFilter(label="Rep")
    prospect = IdFilter()

    class Meta:
        model = RosterEntry
        fields = ["q", "search", "status", "priority", "owner", "prospect"]


class ReadinessCheckFilter(FilterSet):
    q, search = search_filters(
        fields=("client__first_name", "client__last_name", "testimonial"),
        help_text="Every word must appear in the client's name or the testimonial.",
    )
    client = IdFilter()
    owner = IdFilter(label="Rep")

    class Meta:
        model = ReadinessCheck
        fields = ["q", "search", "client", "green_light", "may_quote", "owner"]


class ReferralFilter(FilterSet):
    q, search = search_filters(
        fields=(
            "referrer__first_name",
            "referrer__last_name",
            "prospect__first_name",
            "prospect__last_name",
            "prospect__company__name",
            "reason",
        ),
        label="Search names",
        help_text="Every word must appear in the referrer's or the prospect's name, the "
        "prospect's company or the reason.",
    )
    status = django_filters.ChoiceFilter(
        choices=[(OPEN, "Open"), *Referral.Status.choices],
        empty_label="Any status",
        method="filter_status",
        help_text="One status, or `open`: every referral still under way.",
    )
    quality = django_filters.ChoiceFilter(choices=Quality.choices, empty_label="Any quality")
    owner = IdFilter(label="Rep")
    # Days of the user's own calendar (accounts.zones), as the page shows them.
    asked_from = DateFilter(
        method="filter_asked_from",
        label="Asked from",
        widget=DATE_WIDGET,
        help_text="Asked on this day (in the user's time zone) or later.",
    )
    asked_to = DateFilter(
        method="filter_asked_to",
        label="Asked until",
        widget=DATE_WIDGET,
        help_text="Asked on this day (in the user's time zone) or earlier.",
    )
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    referrer = IdFilter()
    prospect = IdFilter()
    roster_entry = IdFilter()
    # In UTC: an offset PostgreSQL cannot store (-18:01) was a 500 (core.filters).
    asked_at__gte = UtcIsoDateTimeFilter(field_name="asked_at", lookup_expr="gte")
    asked_at__lte = UtcIsoDateTimeFilter(field_name="asked_at", lookup_expr="lte")

    class Meta:
        model = Referral
        fields = [
            "q",
            "search",
            "status",
            "quality",
            "owner",
            "asked_from",
            "asked_to",
            "channel",
            "referrer",
            "prospect",
            "roster_entry",
            "asked_at__gte",
            "asked_at__lte",
        ]

    def filter_status(self, queryset, name, value: str) -> QuerySet:
        if value == OPEN:
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)

    def _day_start(self, day: date) -> datetime:
        """The start of `day` in the user's own zone, in UTC (a midnight the clocks skip
        reads as the instant the day starts). Days are in the window (core.dates): a day
        and the next one exist in every zone."""
        zone = zone_of(getattr(self.request, "user", None))
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)

    def filter_asked_from(self, queryset, name, value: date) -> QuerySet:
        return queryset.filter(asked_at__gte=self._day_start(value))

    def filter_asked_to(self, queryset, name, value: date) -> QuerySet:
        return queryset.filter(asked_at__lt=self._day_start(value + timedelta(days=1)))


class DealFilter(FilterSet):
    q, search = search_filters(
        fields=("name", "contact__first_name", "contact__last_name", "contact__company__name"),
        help_text="Every word must appear in the deal's name, or the contact's name or company.",
    )
    source = django_filters.ChoiceFilter(choices=Deal.Source.choices, empty_label="Any source")
    outcome = django_filters.ChoiceFilter(choices=Deal.Outcome.choices, empty_label="Any outcome")
    owner = IdFilter(label="Rep")
    contact = IdFilter()

    class Meta:
        model = Deal
        fields = ["q", "search", "source", "outcome", "owner", "contact"]


class ReferralGivenFilter(FilterSet):
    q, search = search_filters(
        fields=(
            "client__first_name",
            "client__last_name",
            "introduced__first_name",
            "introduced__last_name",
            "introduced_name",
            "note",
        ),
        label="Search names",
        help_text="Every word must appear in the client's or the introduced person's name, "
        "or the note.",
    )
    given_from = DateFilter(
        field_name="given_on", lookup_expr="gte", label="From", widget=DATE_WIDGET
    )
    given_to = DateFilter(
        field_name="given_on", lookup_expr="lte", label="Until", widget=DATE_WIDGET
    )
    owner = IdFilter(label="Rep")
    client = IdFilter()
    given_on__gte = DateFilter(field_name="given_on", lookup_expr="gte")
    given_on__lte = DateFilter(field_name="given_on", lookup_expr="lte")

    class Meta:
        model = ReferralGiven
        fields = [
            "q",
            "search",
            "given_from",
            "given_to",
            "owner",
            "client",
            "given_on__gte",
            "given_on__lte",
        ]


class GoalFilter(FilterSet):
    team = IdFilter()
    rep = IdFilter()
    week_start = DateFilter(help_text="The Monday of the week.")
    week = DateFilter(
        method="filter_week", help_text="Any day of the week: the goals of its Monday."
    )

    class Meta:
        model = WeeklyGoal
        fields = ["team", "rep", "week_start", "week"]

    def filter_week(self, queryset, name, value: date) -> QuerySet:
        return queryset.filter(week_start=value - timedelta(days=value.weekday()))
