"""A contact's LinkedIn address: one spelling per profile, so the same person is
recognised however the link was copied, and nothing but a linkedin.com address."""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from core.web import WebAddressField, web_address_normalize

NOT_A_LINKEDIN_ADDRESS = "Enter a LinkedIn address, such as https://www.linkedin.com/in/name."


def _is_linkedin(host: str) -> bool:
    return host == "linkedin.com" or host.endswith(".linkedin.com")


def normalize_linkedin_url(url) -> str:
    """https, www host, lower-case path, no query, no trailing slash; a bare
    "linkedin.com/in/…" is read as https. Anything else is left for the validator."""
    url = web_address_normalize(url)
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:  # "https://[" and other addresses no parser can read
        return url
    if _is_linkedin(host) and parts.scheme.lower() in ("http", "https"):
        return f"https://www.linkedin.com{parts.path.rstrip('/').lower()}"
    return url


def validate_linkedin_url(value: str) -> None:
    try:
        host = (urlsplit(value).hostname or "").lower()
    except ValueError:
        host = ""
    if not _is_linkedin(host):
        raise ValidationError(NOT_A_LINKEDIN_ADDRESS, code="invalid")


class LinkedInURLField(WebAddressField):
    """A web address (core.web) on linkedin.com, spelt as normalize_linkedin_url spells it."""

    default_validators = [*WebAddressField.default_validators, validate_linkedin_url]

    def normalize(self, value) -> str:
        return normalize_linkedin_url(value)
