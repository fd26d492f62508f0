"""JSON API of the rep's referral work (DESIGN.md, "JSON API contract").

Same rules as the pages: querysets through referrals.selectors (accounts.visibility:
a rep sees their own records, a manager the team's; another team's record is a 404),
writes through referrals.services, related ids limited to the user's team (an id from
another team is a 400), and a refused state change — an impossible transition, deleting
a referral under way, editing a deal that follows its referral — is a 409.
"""

from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.visibility import visible_owned, working_team, working_team_or_none
from contacts.models import Contact
from core.dates import DateTimeSerializerField
from core.problems import ProblemSerializer, problem_doc
from core.serializers import ModelSerializer
from outbox.serializers import OutgoingEmailSerializer, SendSerializer
from referrals import filters, selectors, services
from referrals.links import referral_ask_send
from referrals.models import (
    STEP_TIME_FIELD,
    AnsweredBy,
    Deal,
    ReadinessCheck,
    Referral,
    ReferralGiven,
    RosterEntry,
)

CONFLICT_RESPONSE = problem_doc("The record's state refuses the change; `detail` says why.")


class DuplicateAskSerializer(ProblemSerializer):
    existing_referral = inline_serializer(
        "ExistingReferral",
        {"id": serializers.IntegerField(), "url": serializers.URLField()},
        allow_null=True,
        required=False,
        help_text="The open ask in the way; null when it is a teammate's that you "
        "cannot see (`detail` names who made it).",
    )


DUPLICATE_ASK_RESPONSE = OpenApiResponse(
    response=DuplicateAskSerializer,
    description="The prospect already has an open ask through this referrer (asked, "
    "confirmed, contacted or meeting), by you or a teammate: nothing is recorded. Move "
    "that one along; once it is won, lost or declined, a new ask is accepted.",
)


# --- Serializers ----------------------------------------------------------------------------


class TeamScopedSerializer(ModelSerializer):
    """Ids of contacts and roster entries are looked up in the user's team only, so an id
    of another team is "does not exist" (400) — never a way to reach across teams."""

    contact_fields: tuple[str, ...] = ()

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        team = working_team_or_none(request)
        for name in self.contact_fields:
            field = fields.get(name)
            if field is not None and not field.read_only:
                field.queryset = (
                    Contact.objects.filter(team=team) if team else Contact.objects.none()
                )
        roster_field = fields.get("roster_entry")
        if roster_field is not None and not roster_field.read_only:
            user = getattr(request, "user", None)
            roster_field.queryset = (
                visible_owned(RosterEntry.objects.filter(team=team), user)
                if team and user
                else RosterEntry.objects.none()
            )
        return fields


class RosterEntrySerializer(TeamScopedSerializer):
    contact_fields = ("prospect",)
    fixed_after_create = ("prospect",)

    prospect_name = serializers.CharField(source="prospect.full_name", read_only=True)
    fit_score = serializers.IntegerField(
        source="prospect.fit_score",
        read_only=True,
        help_text="The prospect's fit against the team's ideal client profile, 0–100.",
    )

    class Meta:
        model = RosterEntry
        fields = [
            "id",
            "owner",
            "prospect",
            "prospect_name",
            "priority",
            "reason",
            "status",
            "fit_score",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["owner", "status", "created_at", "updated_at"]


class ReadinessCheckSerializer(TeamScopedSerializer):
    contact_fields = ("client",)

    class Meta:
        model = ReadinessCheck
        fields = [
            "id",
            "owner",
            "client",
            "checked_on",
            "green_light",
            "went_well",
            "could_improve",
            "would_take",
            "testimonial",
            "may_quote",
            "created_at",
        ]
        read_only_fields = ["owner", "created_at"]


# The steps after the ask (asked_at is the ask's own field), read-only: only a transition
# sets them.
STEP_TIME_FIELDS = [
    field for status, field in STEP_TIME_FIELD.items() if status != Referral.Status.ASKED
]


class ReferralSerializer(TeamScopedSerializer):
    contact_fields = ("referrer", "prospect")
    fixed_after_create = ("referrer", "prospect", "roster_entry", "asked_at")

    confirmed_by = serializers.SerializerMethodField(
        help_text="Who recorded the referrer's answer (confirmed or declined): `rep`, or "
        "`referrer` when the referrer answered with a link of the ask sent by email. Null "
        "while it is still asked."
    )
    warning = serializers.SerializerMethodField(
        help_text="On the answer to a create: the warning when the referrer has not given a "
        "green light yet (the ask is recorded anyway). Null otherwise."
    )

    class Meta:
        model = Referral
        fields = [
            "id",
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
            "confirmed_by",
            "warning",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "owner",
            "status",
            *STEP_TIME_FIELDS,
            "confirmed_by",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"asked_at": {"required": False, "help_text": "Default: now."}}
        # Not REST framework's check of the one-open-ask constraint (a 400 without the
        # link, and a check-then-insert two requests can both pass): the service's
        # DuplicateAsk, raised by the database itself, answers 409 with the open ask.
        validators = []

    @extend_schema_field(serializers.ChoiceField(choices=AnsweredBy.choices, allow_null=True))
    def get_confirmed_by(self, referral) -> str | None:
        return referral.confirmed_by or None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_warning(self, referral) -> str | None:
        return getattr(referral, "_warning", None)


# Where a referral can go; "asked" is where it starts, never a step.
TRANSITION_TARGETS = [
    (value, label) for value, label in Referral.Status.choices if value != Referral.Status.ASKED
]


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=TRANSITION_TARGETS)
    at = DateTimeSerializerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When it happened; default now. Never in the future, never before the "
        "previous step.",
    )
    value = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        default=None,
        help_text="The deal value, typically when won.",
    )


class DealSerializer(TeamScopedSerializer):
    contact_fields = ("contact",)
    fixed_after_create = ("contact",)

    class Meta:
        model = Deal
        fields = [
            "id",
            "owner",
            "contact",
            "referral",
            "name",
            "source",
            "value",
            "outcome",
            "opened_on",
            "closed_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["owner", "referral", "created_at", "updated_at"]


class ReferralGivenSerializer(TeamScopedSerializer):
    contact_fields = ("client", "introduced")

    class Meta:
        model = ReferralGiven
        fields = [
            "id",
            "owner",
            "client",
            "introduced",
            "introduced_name",
            "given_on",
            "note",
            "created_at",
        ]
        read_only_fields = ["owner", "created_at"]


# --- Views ----------------------------------------------------------------------------------


class RosterEntryViewSet(viewsets.ModelViewSet):
    """The rep's referral roster (a manager sees the team's)."""

    serializer_class = RosterEntrySerializer
    filterset_class = filters.RosterFilter
    ordering_fields = ["priority", "prospect__fit_score", "created_at"]

    def get_queryset(self):
        return selectors.roster_for_user(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.roster_entry_create(
            owner=self.request.user,
            team=working_team(self.request),
            **serializer.validated_data,
        )

    def perform_update(self, serializer):
        serializer.instance = services.roster_entry_update(
            entry=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.roster_entry_delete(entry=instance)


class ReadinessCheckViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Readiness conversations with clients. A record of what was said: recorded, read,
    deleted — not edited."""

    serializer_class = ReadinessCheckSerializer
    filterset_class = filters.ReadinessCheckFilter
    ordering_fields = ["checked_on", "created_at"]

    def get_queryset(self):
        return selectors.readiness_checks_for_user(self.request.user)

    def perform_create(self, serializer):
        working_team(self.request)
        data = dict(serializer.validated_data)
        client = data.pop("client")
        serializer.instance = services.readiness_check_record(
            owner=self.request.user, client=client, **data
        )

    def perform_destroy(self, instance):
        services.readiness_check_delete(check=instance)


def _existing_referral(referral: Referral, request) -> dict | None:
    """Where the open ask in the way can be read, when this user may read it."""
    if not selectors.referrals_for_user(request.user).filter(pk=referral.pk).exists():
        return None
    url = request.build_absolute_uri(reverse("referral-detail", args=[referral.pk]))
    return {"id": referral.pk, "url": url}


@extend_schema_view(
    create=extend_schema(
        description="Record an ask. One open ask per referrer and prospect (409 otherwise, "
        "with a link to the open one).",
        responses={201: ReferralSerializer, 409: DUPLICATE_ASK_RESPONSE},
    ),
    destroy=extend_schema(
        description="Only while the referral is still `asked`; later it is history (409).",
        responses={204: None, 409: CONFLICT_RESPONSE},
    ),
)
class ReferralViewSet(viewsets.ModelViewSet):
    """Asks for introductions. `status` and the step times change only through
    `POST /referrals/{id}/transition/`."""

    serializer_class = ReferralSerializer
    filterset_class = filters.ReferralFilter
    ordering_fields = ["asked_at", "status", "updated_at"]

    def get_queryset(self):
        return selectors.referrals_for_user(self.request.user)

    def perform_create(self, serializer):
        try:
            referral = services.referral_create(
                owner=self.request.user,
                team=working_team(self.request),
                **serializer.validated_data,
            )
        except services.DuplicateAsk as duplicate:
            # The 409 (config.api) links to the open ask.
            duplicate.api_members = {
                "existing_referral": _existing_referral(duplicate.existing, self.request)
            }
            raise
        referral._warning = services.referrer_warning(referrer=referral.referrer)
        serializer.instance = referral

    def perform_update(self, serializer):
        serializer.instance = services.referral_update(
            referral=serializer.instance,
            data=serializer.validated_data,
            actor=self.request.user,
        )

    def perform_destroy(self, instance):
        services.referral_delete(referral=instance)

    @extend_schema(
        request=TransitionSerializer,
        responses={200: ReferralSerializer, 409: CONFLICT_RESPONSE},
        description="Move the referral one step: asked → confirmed | declined; confirmed → "
        "contacted | lost; contacted → meeting | lost; meeting → won | lost. An impossible "
        "or badly dated step is refused with 409 and changes nothing.",
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        referral = self.get_object()
        payload = TransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        referral = services.referral_transition(
            referral=referral, actor=request.user, **payload.validated_data
        )
        return Response(self.get_serializer(referral).data)

    @extend_schema(
        request=SendSerializer,
        responses={
            201: OutgoingEmailSerializer,
            409: problem_doc(
                "The referrer has no email address, or the referral has moved past asked."
            ),
        },
        description="Send the ask to the referrer by email (the referral's message, or the "
        "drafted ask; `subject` and `body` replace them), with three one-click links the "
        "referrer answers with, without an account: I've introduced you, They'd like to "
        "talk, Not the right time. Answers the email as queued.",
    )
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        referral = self.get_object()
        payload = SendSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        email = referral_ask_send(referral=referral, actor=request.user, **payload.validated_data)
        return Response(OutgoingEmailSerializer(email).data, status=201)


@extend_schema_view(
    update=extend_schema(responses={200: DealSerializer, 409: CONFLICT_RESPONSE}),
    partial_update=extend_schema(responses={200: DealSerializer, 409: CONFLICT_RESPONSE}),
    destroy=extend_schema(responses={204: None, 409: CONFLICT_RESPONSE}),
)
class DealViewSet(viewsets.ModelViewSet):
    """Deals of every source. A referral's deal follows its referral: only its name can be
    changed here, and it cannot be deleted (409)."""

    serializer_class = DealSerializer
    filterset_class = filters.DealFilter
    ordering_fields = ["opened_on", "closed_on", "value"]

    def get_queryset(self):
        return selectors.deals_for_user(self.request.user)

    def perform_create(self, serializer):
        working_team(self.request)
        data = dict(serializer.validated_data)
        contact = data.pop("contact")
        serializer.instance = services.deal_create(owner=self.request.user, contact=contact, **data)

    def perform_update(self, serializer):
        serializer.instance = services.deal_edit(
            deal=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.deal_delete(deal=instance)


class ReferralGivenViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Introductions we made for clients (reciprocity)."""

    serializer_class = ReferralGivenSerializer
    filterset_class = filters.ReferralGivenFilter
    ordering_fields = ["given_on", "created_at"]

    def get_queryset(self):
        return selectors.referrals_given_for_user(self.request.user)

    def perform_create(self, serializer):
        working_team(self.request)
        serializer.instance = services.referral_given_record(
            owner=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.referral_given_delete(given=instance)
