"""Admin of the team's network. Querysets go through accounts.visibility like every other
read (staff see every team); foreign keys to big tables use autocomplete so no page
renders a select of 200,000 contacts."""

from django import forms
from django.contrib import admin
from django.db.models import Count

from accounts.audit import AuditHistoryAdmin
from accounts.visibility import visible_owned, visible_shared
from contacts.models import (
    Activity,
    Company,
    Contact,
    IdealClientProfile,
    ImportJob,
    Relationship,
)
from contacts.services import (
    RELATIONSHIP_ACROSS_TEAMS,
    RELATIONSHIP_EXISTS,
    RELATIONSHIP_WITH_ITSELF,
    ideal_client_profile_update,
)
from core.admin import AutocompleteAdminMixin


class VisibleToUserAdmin(AutocompleteAdminMixin, admin.ModelAdmin):
    def get_queryset(self, request):
        return visible_shared(super().get_queryset(request), request.user)


class ContactInline(AutocompleteAdminMixin, admin.TabularInline):
    model = Contact
    fields = ["first_name", "last_name", "email", "title", "kind", "owner"]
    autocomplete_fields = ["owner"]
    extra = 0
    show_change_link = True


@admin.register(Company)
class CompanyAdmin(VisibleToUserAdmin):
    list_display = ["name", "team", "industry", "country", "employee_count", "contact_count"]
    list_filter = ["industry", "revenue_band", "team"]
    search_fields = ["name"]
    list_select_related = ["team"]
    autocomplete_fields = ["team"]
    inlines = [ContactInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_contact_count=Count("contacts"))

    @admin.display(ordering="_contact_count", description="People")
    def contact_count(self, company):
        return company._contact_count


@admin.register(Contact)
class ContactAdmin(AuditHistoryAdmin, VisibleToUserAdmin):
    list_display = [
        "__str__",
        "company",
        "title",
        "kind",
        "owner",
        "team",
        "fit_score",
        "last_touch_at",
    ]
    list_filter = ["kind", "function", "person_type", "team"]
    search_fields = ["first_name", "last_name", "email", "company__name"]
    list_select_related = ["company", "owner", "team"]
    autocomplete_fields = ["team", "owner", "user", "company"]
    # The last touch is the touch service's (contacts.services.touch_record); the last ask,
    # the answers and the green light follow the referrals and readiness conversations
    # (referrals.contact_facts): shown, never typed.
    readonly_fields = [
        "fit_score",
        "last_touch_at",
        "last_asked_at",
        "asks_made",
        "asks_declined",
        "green_light",
        "created_at",
        "updated_at",
    ]
    date_hierarchy = "created_at"


class RelationshipAdminForm(forms.ModelForm):
    """Keeps the pair canonical (lower id first) and refuses what the service refuses,
    with the service's messages, so a raw admin edit cannot break the symmetric graph."""

    class Meta:
        model = Relationship
        fields = [
            "team",
            "contact_a",
            "contact_b",
            "kind",
            "strength",
            "since",
            "source",
            "notes",
            "created_by",
        ]

    def clean(self):
        cleaned = super().clean()
        a, b = cleaned.get("contact_a"), cleaned.get("contact_b")
        if a is None or b is None:
            return cleaned
        if a.pk == b.pk:
            raise forms.ValidationError(RELATIONSHIP_WITH_ITSELF)
        if a.team_id != b.team_id:
            raise forms.ValidationError(RELATIONSHIP_ACROSS_TEAMS)
        low, high = sorted((a, b), key=lambda person: person.pk)
        cleaned["contact_a"], cleaned["contact_b"] = low, high
        cleaned["team"] = low.team
        clash = Relationship.objects.filter(contact_a=low, contact_b=high)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(RELATIONSHIP_EXISTS.format(a=low, b=high))
        return cleaned


@admin.register(Relationship)
class RelationshipAdmin(VisibleToUserAdmin):
    form = RelationshipAdminForm
    list_display = [
        "__str__",
        "kind",
        "strength",
        "since",
        "last_touch_at",
        "source",
        "team",
        "created_at",
    ]
    list_filter = ["kind", "strength", "source", "team"]
    search_fields = [
        "contact_a__first_name",
        "contact_a__last_name",
        "contact_b__first_name",
        "contact_b__last_name",
    ]
    list_select_related = ["contact_a", "contact_b", "team"]
    autocomplete_fields = ["team", "contact_a", "contact_b", "created_by"]
    readonly_fields = ["last_touch_at", "created_at", "updated_at"]


@admin.register(Activity)
class ActivityAdmin(VisibleToUserAdmin):
    list_display = ["occurred_at", "verb", "description", "contact", "actor", "team"]
    list_filter = ["verb", "team"]
    search_fields = ["description", "contact__first_name", "contact__last_name"]
    list_select_related = ["contact", "actor", "team"]
    raw_id_fields = ["contact", "referral", "actor"]
    date_hierarchy = "occurred_at"


@admin.register(IdealClientProfile)
class IdealClientProfileAdmin(VisibleToUserAdmin):
    list_display = ["team", "updated_at"]
    search_fields = ["team__name"]
    list_select_related = ["team"]
    autocomplete_fields = ["team"]

    def save_model(self, request, obj, form, change):
        # Through the service: saving the profile rescores the team's contacts.
        data = {name: form.cleaned_data[name] for name in form.cleaned_data if name != "team"}
        saved = ideal_client_profile_update(team=obj.team, data=data)
        obj.pk = saved.pk


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Imports are made on the import pages (preview, then commit); the admin shows them
    and may delete them, nothing else: an edited job would no longer match its preview."""

    list_display = ["__str__", "kind", "status", "row_count", "owner", "team", "created_at"]
    list_filter = ["kind", "status", "team"]
    search_fields = ["file_name", "owner__username", "owner__email"]
    list_select_related = ["owner", "team"]
    date_hierarchy = "created_at"
    exclude = ["content", "preview"]
    readonly_fields = [
        "team",
        "owner",
        "kind",
        "status",
        "file_name",
        "encoding",
        "row_count",
        "mapping",
        "progress_done",
        "progress_total",
        "result",
        "error",
        "created_at",
        "started_at",
        "finished_at",
        "content_start",
    ]

    def get_queryset(self, request):
        # The file's text (up to the upload limit) is loaded only where shown: one job's page.
        return visible_owned(super().get_queryset(request), request.user).defer(
            "content", "preview"
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Start of the file")
    def content_start(self, job):
        return job.content[:2000] or "(emptied once imported)"
