"""Admin of the referral work. Querysets go through accounts.visibility like the pages
(staff see everything). A referral's status and step times are not editable here: they
move only through the state machine, offered as actions ("Mark confirmed", …) that call
referrals.services.referral_transition and report what it refused."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from accounts.audit import AuditHistoryAdmin
from accounts.visibility import visible_owned, visible_shared
from core.admin import AutocompleteAdminMixin
from referrals import services
from referrals.models import (
    STEP_TIME_FIELD,
    Deal,
    ReadinessCheck,
    Referral,
    ReferralGiven,
    RosterEntry,
    WeeklyGoal,
)

REFERRAL_ADDED_IN_APP = (
    "Asks are recorded by reps in the app or the API; their steps move through the actions "
    "of the referral list."
)


class OwnedAdmin(AutocompleteAdminMixin, admin.ModelAdmin):
    autocomplete_fields = ["team", "owner"]

    def get_queryset(self, request):
        return visible_owned(super().get_queryset(request), request.user)


@admin.register(RosterEntry)
class RosterEntryAdmin(OwnedAdmin):
    list_display = ["prospect", "owner", "team", "priority", "status", "fit_score", "created_at"]
    list_filter = ["status", "priority", "team"]
    search_fields = [
        "prospect__first_name",
        "prospect__last_name",
        "prospect__email",
        "owner__username",
        "reason",
    ]
    list_select_related = ["prospect", "owner", "team"]
    raw_id_fields = ["prospect"]
    # The status follows the entry's referrals.
    readonly_fields = ["status", "created_at", "updated_at"]

    @admin.display(ordering="prospect_fit", description="Fit")
    def fit_score(self, entry):
        return entry.prospect.fit_score


@admin.register(ReadinessCheck)
class ReadinessCheckAdmin(OwnedAdmin):
    list_display = ["client", "checked_on", "green_light", "may_quote", "owner", "team"]
    list_filter = ["green_light", "may_quote", "team"]
    search_fields = ["client__first_name", "client__last_name", "testimonial", "owner__username"]
    list_select_related = ["client", "owner", "team"]
    raw_id_fields = ["client"]
    date_hierarchy = "checked_on"
    readonly_fields = ["created_at"]


def _transition_action(to: str):
    label = Referral.Status(to).label

    def mark(modeladmin, request, queryset):
        done, refused = 0, []
        for referral in queryset.select_related("referrer", "prospect"):
            try:
                services.referral_transition(referral=referral, to=to, actor=request.user)
            except ValidationError as error:  # TransitionError, mostly
                refused.append(f"{referral}: {' '.join(error.messages)}")
            else:
                done += 1
        if done:
            modeladmin.message_user(request, f"{done} marked “{label}”.", messages.SUCCESS)
        if refused:
            modeladmin.message_user(
                request, f"Refused for {len(refused)}: " + "; ".join(refused), messages.ERROR
            )

    mark.__name__ = f"mark_{to}"
    return admin.action(description=f"Mark selected referrals “{label}” (now)")(mark)


# The steps after the ask (asked_at is the ask's own field), read-only: only a transition
# sets them.
STEP_TIME_FIELDS = [
    field for status, field in STEP_TIME_FIELD.items() if status != Referral.Status.ASKED
]


@admin.register(Referral)
class ReferralAdmin(AuditHistoryAdmin, OwnedAdmin):
    list_display = [
        "__str__",
        "status",
        "quality",
        "asked_at",
        "value",
        "owner",
        "team",
    ]
    list_filter = ["status", "quality", "channel", "team"]
    search_fields = [
        "referrer__first_name",
        "referrer__last_name",
        "prospect__first_name",
        "prospect__last_name",
        "owner__username",
    ]
    list_select_related = ["referrer", "prospect", "owner", "team"]
    date_hierarchy = "asked_at"
    readonly_fields = [
        "team",
        "owner",
        "referrer",
        "prospect",
        "roster_entry",
        "asked_at",
        "status",
        *STEP_TIME_FIELDS,
        "created_at",
        "updated_at",
    ]
    autocomplete_fields = []
    actions = [
        _transition_action(status)
        for status in Referral.Status.values
        if status != Referral.Status.ASKED
    ]

    def has_add_permission(self, request):
        return False

    def get_fields(self, request, obj=None):
        return [
            "team",
            "owner",
            "referrer",
            "prospect",
            "roster_entry",
            "asked_at",
            "reason",
            "quality",
            "channel",
            "message",
            "value",
            "status",
            *STEP_TIME_FIELDS,
            "created_at",
            "updated_at",
        ]

    def save_model(self, request, obj, form, change):
        # Through the service, so the deal's value follows the referral's.
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        services.referral_update(
            referral=Referral.objects.get(pk=obj.pk), data=data, actor=request.user
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "subtitle": REFERRAL_ADDED_IN_APP}
        return super().changelist_view(request, extra_context)


@admin.register(Deal)
class DealAdmin(OwnedAdmin):
    list_display = [
        "__str__",
        "contact",
        "source",
        "outcome",
        "value",
        "opened_on",
        "closed_on",
        "owner",
        "team",
    ]
    list_filter = ["source", "outcome", "team"]
    search_fields = ["name", "contact__first_name", "contact__last_name", "owner__username"]
    list_select_related = ["contact", "owner", "team"]
    raw_id_fields = ["contact"]
    date_hierarchy = "opened_on"

    def get_readonly_fields(self, request, obj=None):
        fixed = ["referral", "created_at", "updated_at"]
        if obj is not None and obj.referral_id:
            # A referral's deal follows its referral (referrals.services._deal_follow).
            fixed += ["source", "value", "outcome", "opened_on", "closed_on", "contact"]
        return fixed


@admin.register(ReferralGiven)
class ReferralGivenAdmin(OwnedAdmin):
    list_display = ["client", "introduced_to", "given_on", "owner", "team"]
    list_filter = ["team"]
    search_fields = [
        "client__first_name",
        "client__last_name",
        "introduced_name",
        "introduced__first_name",
        "introduced__last_name",
    ]
    list_select_related = ["client", "introduced", "owner", "team"]
    raw_id_fields = ["client", "introduced"]
    date_hierarchy = "given_on"
    readonly_fields = ["created_at"]

    @admin.display(description="Introduced to")
    def introduced_to(self, given):
        return given.introduced or given.introduced_name


@admin.register(WeeklyGoal)
class WeeklyGoalAdmin(AutocompleteAdminMixin, admin.ModelAdmin):
    list_display = [
        "week_start",
        "team",
        "rep",
        "asks",
        "intros",
        "meetings",
        "referrals_given",
        "wins",
    ]
    list_filter = ["team"]
    search_fields = ["team__name", "rep__username", "rep__first_name", "rep__last_name"]
    list_select_related = ["team", "rep"]
    autocomplete_fields = ["team", "rep"]
    date_hierarchy = "week_start"

    def get_queryset(self, request):
        return visible_shared(super().get_queryset(request), request.user)
