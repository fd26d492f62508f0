"""/api/v1/notifications/: the current user's reminders (DESIGN.md, JSON API contract).

Read-only but for marking read: POST /api/v1/notifications/{id}/read/ and
POST /api/v1/notifications/read-all/. Another user's notification is a 404.
"""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api_queries import KnownParameters
from core.serializers import ModelSerializer
from followups.filters import NotificationFilter
from followups.models import Notification, Reminder
from followups.notifications import notification_mark_read, notifications_mark_all_read
from followups.selectors import notifications_for_user


class NotificationSerializer(ModelSerializer):
    kind = serializers.SerializerMethodField(
        help_text="What the reminder is about: due, or escalation; null for other notes."
    )
    followup = serializers.SerializerMethodField(help_text="The follow-up reminded of, if any.")

    class Meta:
        model = Notification
        fields = ["id", "message", "url", "kind", "followup", "created_at", "read_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=Reminder.Kind.choices, allow_null=True))
    def get_kind(self, notification: Notification) -> str | None:
        return notification.reminder.kind if notification.reminder else None

    def get_followup(self, notification: Notification) -> int | None:
        return notification.reminder.followup_id if notification.reminder else None


class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = NotificationSerializer
    # The list is the user's own, newest first; no ordering to choose. Its filters are the
    # notifications page's (followups.filters).
    filter_backends = [KnownParameters, DjangoFilterBackend]
    filterset_class = NotificationFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return notifications_for_user(self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = notification_mark_read(notification=self.get_object())
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "NotificationsReadAll", {"marked_read": serializers.IntegerField()}
        ),
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked_read": notifications_mark_all_read(user=request.user)})
