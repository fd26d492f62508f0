"""The network's JSON API: /api/v1/companies/, /api/v1/contacts/, /api/v1/relationships/.

Serializers check shape only; creates and updates go through contacts.services, whose
ValidationError becomes a 400 (config.api.exception_handler). Querysets and the ids a
payload may name are scoped through contacts.selectors (accounts.visibility): another
team's record is a 404, another team's id in a payload a 400 "does not exist".
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied

from accounts.visibility import is_manager_of, working_team
from contacts import selectors
from contacts.filters import CompanyFilter, ContactFilter, RelationshipFilter
from contacts.models import Company, Contact, Relationship
from contacts.services import (
    company_create,
    company_update,
    contact_create,
    contact_delete,
    contact_update,
    relationship_create,
    relationship_delete,
    relationship_update,
)
from core.serializers import ModelSerializer

ONLY_MANAGER_DELETES_COMPANY = "Only a manager of the team may delete a company."
PAIR_IS_FIXED = "The two people of a relationship cannot be changed; delete it and add another."


def _scope_related(serializer, field_name: str, queryset) -> None:
    field = serializer.fields.get(field_name)
    if field is not None and not field.read_only:
        field.queryset = queryset


# --- Companies ----------------------------------------------------------------------------


class CompanySerializer(ModelSerializer):
    class Meta:
        model = Company
        fields = [
            "id",
            "name",
            "industry",
            "region",
            "country",
            "employee_count",
            "revenue_band",
            "website",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # Duplicate names are the service's to refuse, with its message.
        validators = []


@extend_schema_view(
    list=extend_schema(summary="The team's companies"),
    destroy=extend_schema(summary="Delete a company (managers); its people stay, companyless"),
)
class CompanyViewSet(viewsets.ModelViewSet):
    serializer_class = CompanySerializer
    filterset_class = CompanyFilter
    ordering_fields = ["name", "created_at", "employee_count"]
    ordering = ["name", "pk"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Company.objects.none()
        return selectors.company_list(user=self.request.user)

    def perform_create(self, serializer):
        team = working_team(self.request)
        serializer.instance = company_create(team=team, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = company_update(
            company=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        if not is_manager_of(self.request.user, instance.team_id):
            raise PermissionDenied(ONLY_MANAGER_DELETES_COMPANY)
        instance.delete()


# --- Contacts -----------------------------------------------------------------------------


class ContactSerializer(ModelSerializer):
    class Meta:
        model = Contact
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "company",
            "title",
            "function",
            "person_type",
            "kind",
            "client_since",
            "preferred_channel",
            "update_cadence",
            "linkedin_url",
            "notes",
            "owner",
            "fit_score",
            "last_touch_at",
            "stay_in_touch_days",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["owner", "fit_score", "last_touch_at", "created_at", "updated_at"]
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            _scope_related(self, "company", selectors.companies_visible(user=request.user))


@extend_schema_view(
    list=extend_schema(summary="The team's contacts"),
    destroy=extend_schema(
        summary="Delete a contact (its owner or a manager)",
        responses={204: None, 403: None, 409: None},
    ),
)
class ContactViewSet(viewsets.ModelViewSet):
    """Contacts are the team's: every member may read and edit them. Deleting is for the
    contact's owner or a manager, and is refused (409) while referrals or deals keep the
    contact in their history."""

    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    ordering_fields = ["last_name", "first_name", "created_at", "updated_at", "fit_score"]
    # No default `ordering` here: the selector sorts by name, and the FilterSet's ?sort=
    # (shared with the page) may sort by fit; a default would override it.

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Contact.objects.none()
        return selectors.contact_list(user=self.request.user)

    def perform_create(self, serializer):
        team = working_team(self.request)
        serializer.instance = contact_create(
            team=team,
            owner=self.request.user,
            actor=self.request.user,
            **serializer.validated_data,
        )

    def perform_update(self, serializer):
        serializer.instance = contact_update(
            contact=serializer.instance,
            data=serializer.validated_data,
            actor=self.request.user,
        )

    def perform_destroy(self, instance):
        contact_delete(contact=instance, actor=self.request.user)


# --- Relationships ------------------------------------------------------------------------


class RelationshipSerializer(ModelSerializer):
    class Meta:
        model = Relationship
        fields = [
            "id",
            "contact_a",
            "contact_b",
            "kind",
            "strength",
            "since",
            "source",
            "notes",
            "last_touch_at",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["last_touch_at", "created_by", "created_at", "updated_at"]
        # Self, duplicate (either order) and cross-team ties are the service's to refuse.
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            people = selectors.contacts_visible(user=request.user)
            _scope_related(self, "contact_a", people)
            _scope_related(self, "contact_b", people)


@extend_schema_view(
    list=extend_schema(summary="Who knows whom in the team (filter ?contact= for one person)"),
    create=extend_schema(summary="Link two people (either order; stored once, lower id first)"),
)
class RelationshipViewSet(viewsets.ModelViewSet):
    serializer_class = RelationshipSerializer
    filterset_class = RelationshipFilter
    ordering_fields = ["strength", "since", "created_at"]
    ordering = ["pk"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Relationship.objects.none()
        return selectors.relationships_visible(user=self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = relationship_create(
            contact=data.pop("contact_a"),
            other=data.pop("contact_b"),
            actor=self.request.user,
            **data,
        )

    def perform_update(self, serializer):
        relationship = serializer.instance
        data = dict(serializer.validated_data)
        pair = {
            person.pk
            for person in (data.pop("contact_a", None), data.pop("contact_b", None))
            if person is not None
        }
        if pair - {relationship.contact_a_id, relationship.contact_b_id}:
            raise DjangoValidationError(PAIR_IS_FIXED)
        serializer.instance = relationship_update(
            relationship=relationship, data=data, actor=self.request.user
        )

    def perform_destroy(self, instance):
        relationship_delete(relationship=instance, actor=self.request.user)
