"""Errors the services raise that every caller (pages, API, admin, tasks) understands."""

from django.core.exceptions import ValidationError


class StateConflict(ValidationError):
    """The record's current state forbids the change: an impossible status transition, a
    referral already under way that cannot be deleted, a contact still on referrals, a
    second open ask. The pages show the message; the API answers 409 {"detail"}
    (config.api), plus `api_members` when the API layer set them (JSON values, such as
    a link to the record in the way: only the API knows its URLs)."""

    api_members: dict | None = None
