"""The rule of web addresses (a company's website, a contact's LinkedIn profile): http or
https only, so no `javascript:` or `data:` link ever reaches a page's href; a bare domain
("acme.com") is read as https://acme.com; whatever is stored fits its column after that.

One model field carries the rule to every entry point: its form field (pages, admin), the
API's serializer field (core.serializers maps it, `format: uri` in the schema) and
full_clean (every service) normalise first, then validate. A field may spell its
addresses one way of its own (the LinkedIn profile's canonical spelling, contacts) by
overriding `normalize`.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from rest_framework import serializers

WEB_ADDRESS_SCHEMES = ("http", "https")
NOT_A_WEB_ADDRESS = "Enter a web address, such as https://acme.com (http or https only)."

# "javascript:…", "data:…", "mailto:…": a scheme of its own, kept so that it is refused.
# "localhost:8000" is a host and a port, not a scheme.
_OWN_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!\d)")
_url_validator = URLValidator(schemes=list(WEB_ADDRESS_SCHEMES))


def web_address_normalize(value) -> str:
    """The address as stored: trimmed, https:// added to a bare domain; "" for none."""
    text = "" if value is None else str(value).strip()
    if text and "://" not in text and not _OWN_SCHEME.match(text):
        text = f"https://{text}"
    return text


def validate_web_address(value: str) -> None:
    """An absolute http(s) address (Django's URLValidator: a real host name or IP)."""
    try:
        _url_validator(value)
    except ValidationError:
        raise ValidationError(NOT_A_WEB_ADDRESS, code="invalid") from None


class WebAddressFormField(forms.CharField):
    def __init__(self, *, normalize=web_address_normalize, assume_scheme=None, **kwargs):
        # assume_scheme: what Django's own URLField form field is told; https, always, here.
        self.normalize = normalize
        super().__init__(**kwargs)

    def to_python(self, value):
        return self.normalize(super().to_python(value))


class WebAddressSerializerField(serializers.CharField):
    def __init__(self, *, normalize=web_address_normalize, **kwargs):
        self.normalize = normalize
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return self.normalize(super().to_internal_value(data))


class WebAddressField(models.URLField):
    """A URLField held to the rule above; `normalize` spells an address as stored."""

    default_validators = [validate_web_address]

    def normalize(self, value) -> str:
        return web_address_normalize(value)

    def to_python(self, value):
        return self.normalize(super().to_python(value))

    def formfield(self, **kwargs):
        return super(models.URLField, self).formfield(
            **{"form_class": WebAddressFormField, "normalize": self.normalize, **kwargs}
        )
