from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count
from rest_framework.authtoken.admin import TokenAdmin as DrfTokenAdmin
from rest_framework.authtoken.models import TokenProxy

from accounts import security
from accounts.models import Membership, Team, User
from core.admin import AutocompleteAdminMixin


class MembershipInline(AutocompleteAdminMixin, admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user", "team"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Preferences", {"fields": ("time_zone", "language")}))
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_active"]
    inlines = [MembershipInline]

    def user_change_password(self, request, id, form_url=""):
        # A password set by an admin (reset, or password login turned off) revokes the
        # user's API token too, as the user's own change does (accounts.security).
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            security.user_password_changed(user=self.get_object(request, unquote(id)))
        return response


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "currency",
        "member_count",
        "chase_confirmation_after_days",
        "readiness_after_win_days",
        "created_at",
    ]
    fields = [
        "name",
        "currency",
        "chase_confirmation_after_days",
        "readiness_after_win_days",
        "referrer_link_days",
    ]
    search_fields = ["name"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_member_count=Count("memberships"))

    @admin.display(ordering="_member_count", description="Members")
    def member_count(self, team):
        return team._member_count


@admin.register(Membership)
class MembershipAdmin(AutocompleteAdminMixin, admin.ModelAdmin):
    list_display = ["user", "team", "role", "joined_at"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "user__email", "team__name"]
    autocomplete_fields = ["user", "team"]
    list_select_related = ["user", "team"]


# API tokens: DRF's admin, except that the list does not show whole keys (a token is as
# good as a password). An admin revokes a token by deleting it; its scripts get 401.
admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class TokenAdmin(DrfTokenAdmin):
    list_display = ("user", "key_start", "created")

    @admin.display(description="Key")
    def key_start(self, token):
        return f"{token.key[:6]}…"
