"""The API's view of an email Warmpath sends (the answer to a "send" action)."""

from rest_framework import serializers

from core.serializers import ModelSerializer
from outbox.models import OutgoingEmail


class OutgoingEmailSerializer(ModelSerializer):
    class Meta:
        model = OutgoingEmail
        fields = ["id", "to", "subject", "body", "purpose", "status", "created_at", "sent_at"]
        read_only_fields = fields


class SendSerializer(serializers.Serializer):
    """An optional edit of the drafted message; empty or absent: the draft as it is."""

    subject = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=300,
        help_text="Default: the draft's.",
    )
    body = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=20000,
        help_text="Default: the draft's.",
    )
