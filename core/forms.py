"""Helpers for Django forms shared by every app's pages."""

from django.core.exceptions import ValidationError
from django.forms import Form


def add_service_errors(
    form: Form, error: ValidationError, field_map: dict[str, str | None] | None = None
) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one,
    above the form otherwise. `field_map` names the form's field for a service field the
    form calls otherwise (None: above the form)."""
    field_map = field_map or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, field_errors in error.error_dict.items():
        target = field_map.get(field, field)
        form.add_error(target if target in form.fields else None, field_errors)
