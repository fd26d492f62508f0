"""The answers the API keeps for an Idempotency-Key (idempotency.middleware)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from core import dates


class IdempotencyKey(models.Model):
    """One client's key, the request it was first used with, and the answer it got.

    Written in the same transaction as the request's work, so a committed row always
    holds the answer of work that committed: there is no "in progress" row to recover."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.TextField(help_text="The path and query string the key was first used on.")
    fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of the method, path, content type and body."
    )
    response_status = models.PositiveSmallIntegerField()
    response_content_type = models.CharField(max_length=200, blank=True)
    response_location = models.TextField(blank=True)
    response_body = models.BinaryField()
    created_at = dates.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Keys are the client's own: two users may pick the same key.
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]
        # The nightly purge deletes by age.
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created_idx")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
