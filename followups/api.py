"""JSON API of follow-ups (DESIGN.md, "JSON API contract").

Follow-ups are made by the referral's events, never posted: the list and detail are
read-only, and the two actions are `complete` {"channel", "note"} and `skip` {"reason"}.
Scoped like the pages (accounts.visibility: a rep's own, a manager's team, another team's
is a 404); a follow-up that is no longer pending answers 409, a bad payload 400.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contacts.models import Channel
from core.problems import problem_doc
from core.serializers import ModelSerializer
from followups import selectors, services
from followups.drafts import draft_for
from followups.filters import FollowUpFilter
from followups.models import FollowUp
from outbox.serializers import OutgoingEmailSerializer, SendSerializer

CONFLICT_RESPONSE = problem_doc("The follow-up is no longer pending (already done or skipped).")


class FollowUpSerializer(ModelSerializer):
    # Empty until the follow-up is done: declared so the schema's enum admits "" (a
    # read-only model field loses allow_blank, and the schema then refused the answer).
    channel = serializers.ChoiceField(
        choices=Channel.choices, allow_blank=True, read_only=True, help_text="The channel used."
    )
    preferred_channel = serializers.ChoiceField(
        source="recipient.preferred_channel",
        choices=Channel.choices,
        read_only=True,
        help_text="The recipient's preferred channel: the one to use.",
    )

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "referral",
            "owner",
            "kind",
            "occasion",
            "recipient",
            "due_at",
            "status",
            "done_at",
            "preferred_channel",
            "channel",
            "note",
            "skip_reason",
            "gift_note",
            "gift_cost",
            "created_at",
        ]
        read_only_fields = fields


class CompleteSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, help_text="The channel used.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    gift_note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=300,
        help_text="Closing thanks only: the gift, if any.",
    )
    gift_cost = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        default=None,
        help_text="Closing thanks only: what the gift cost.",
    )


class SkipSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300,
        error_messages={
            "required": services.SKIP_NEEDS_REASON,
            "blank": services.SKIP_NEEDS_REASON,
        },
    )


class FollowUpViewSet(viewsets.ReadOnlyModelViewSet):
    """The follow-ups the user may see (their own; a manager's whole team), soonest due
    first. Filter by `status`, `kind`, `referral`, `owner`, `recipient`, `due_after`,
    `due_before`, and search (`search` or `q`) as the inbox does (followups.filters)."""

    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilter
    ordering_fields = ["due_at", "done_at", "created_at"]

    def get_queryset(self):
        # Ids go out, and the recipient's preferred channel: one join.
        return (
            selectors.followups_for_user(self.request.user)
            .select_related(None)
            .select_related("recipient")
        )

    @extend_schema(
        request=CompleteSerializer,
        responses={200: FollowUpSerializer, 409: CONFLICT_RESPONSE},
        description="Mark the follow-up done, with the channel used and a note. Once only: "
        "a follow-up already done or skipped answers 409.",
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        followup = self.get_object()
        payload = CompleteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        followup = services.followup_complete(
            followup=followup, actor=request.user, **payload.validated_data
        )
        return Response(self.get_serializer(followup).data)

    @extend_schema(
        request=SkipSerializer,
        responses={200: FollowUpSerializer, 409: CONFLICT_RESPONSE},
        description="Skip the follow-up, saying why (required: 400 without a reason). A "
        "follow-up already done or skipped answers 409.",
    )
    @action(detail=True, methods=["post"])
    def skip(self, request, pk=None):
        followup = self.get_object()
        payload = SkipSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        followup = services.followup_skip(
            followup=followup, actor=request.user, reason=payload.validated_data["reason"]
        )
        return Response(self.get_serializer(followup).data)

    @extend_schema(
        request=SendSerializer,
        responses={
            201: OutgoingEmailSerializer,
            409: problem_doc(
                "The follow-up is no longer pending, or its recipient has no email address."
            ),
        },
        description="Send the follow-up's drafted message to its recipient by email "
        "(`subject` and `body` replace the draft's) and mark it done, channel email. To the "
        "referrer of a referral still asked, the message carries the links to answer it.",
    )
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        followup = self.get_object()
        payload = SendSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        drafted = draft_for(selectors.followups_for_user(request.user).get(pk=followup.pk))
        email = services.followup_email_send(
            followup=followup,
            actor=request.user,
            subject=payload.validated_data["subject"] or drafted.subject,
            body=payload.validated_data["body"] or drafted.body,
        )
        return Response(OutgoingEmailSerializer(email).data, status=201)
