"""GET /api/v1/contacts/{id}/connectors/?max_hops=1..3 — the people who can lead to a
contact (referrals.connectors), best score first, paginated like every list.

`connector` and `path` hold contact ids, as every contact reference of the API does;
`connector_name` and `path_names` spell them out. The path sits under the contacts' API
and keeps its URL name (contact-connectors); referrals/api_urls.py routes it here, since
the ranking reads referral data (readiness, quality).
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets

from contacts import selectors
from contacts.models import Contact
from core.api_queries import refuse_unknown
from referrals import connectors


class ConnectorQuerySerializer(serializers.Serializer):
    max_hops = serializers.IntegerField(
        min_value=1,
        max_value=connectors.MAX_HOPS,
        default=connectors.MAX_HOPS,
        help_text="The longest path looked at, in ties (1 = people who know the contact).",
    )


class ConnectorSerializer(serializers.Serializer):
    connector = serializers.IntegerField(source="connector.pk", help_text="Contact id.")
    connector_name = serializers.CharField(source="connector.full_name")
    connector_kind = serializers.CharField(source="connector.kind")
    green_light = serializers.BooleanField(
        source="connector.green_light",
        allow_null=True,
        help_text="Their latest readiness conversation gave the green light (true) or said "
        "not yet (false); null when no readiness conversation is on record.",
    )
    path = serializers.ListField(
        child=serializers.IntegerField(),
        source="path_ids",
        help_text="Contact ids from the connector to the target, each knowing the next.",
    )
    path_names = serializers.ListField(child=serializers.CharField())
    hops = serializers.IntegerField(
        help_text="The shortest distance, in ties: the introductions the path needs."
    )
    strength = serializers.IntegerField(help_text="The weakest tie on the path, 1–5.")
    score = serializers.FloatField(
        min_value=0,
        max_value=1,
        help_text=(
            "The ranking model's value: the estimated chance, 0–1, that the whole chain of "
            "introductions happens (docs/ranking.md). Higher ranks first; results come "
            "best first, the same order as the connectors page."
        ),
    )
    reason = serializers.CharField(
        help_text="Why, in a rep's words, as the connectors page says it."
    )


class ConnectorPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ConnectorSerializer(many=True)


connectors_schema = extend_schema(
    summary="Who can lead to this contact (referrals in reverse)",
    description=(
        "Every contact of the team linked to this one by a path of at most `max_hops` "
        "ties, with the likeliest of its shortest paths, best first: ranked by the chance that "
        "the whole chain of introductions happens (`score`, 0–1). " + connectors.BOUND_NOTE
    ),
    parameters=[
        ConnectorQuerySerializer,
        OpenApiParameter(
            "page",
            {"type": "integer", "minimum": 1, "maximum": 1_000_000},
            description="Page number.",
        ),
        OpenApiParameter(
            "page_size",
            {"type": "integer", "minimum": 1, "maximum": 500},
            description="Results per page, up to 500.",
        ),
    ],
    responses={
        200: ConnectorPageSerializer,
        400: OpenApiResponse(description="max_hops is not a whole number from 1 to 3."),
        404: OpenApiResponse(description="No such contact in the user's teams."),
    },
)


class ContactConnectorViewSet(viewsets.GenericViewSet):
    """The target is fetched by id among the contacts the user sees (another team's
    contact is a 404); the contact list's filters do not apply to it."""

    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Contact.objects.none()
        return selectors.contacts_visible(user=self.request.user)

    @connectors_schema
    def connectors(self, request, pk=None):
        """The paginated connectors of the target; a bad max_hops is a 400."""
        refuse_unknown(request, {*ConnectorQuerySerializer().fields, "page", "page_size"})
        query = ConnectorQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = connectors.connectors_for(
            target=self.get_object(), user=request.user, max_hops=query.validated_data["max_hops"]
        )
        page = self.paginate_queryset(found)
        return self.get_paginated_response(ConnectorSerializer(page, many=True).data)
