"""Picks the settings module once, for manage.py, WSGI/ASGI and Celery alike."""

import os

ENVIRONMENTS = ("local", "production", "test")


def set_default_settings_module() -> None:
    if "DJANGO_SETTINGS_MODULE" in os.environ:
        return
    environment = os.environ.get("DJANGO_ENV", "local").strip().lower()
    if environment not in ENVIRONMENTS:
        raise SystemExit(f"DJANGO_ENV={environment!r} is not one of: {', '.join(ENVIRONMENTS)}.")
    os.environ["DJANGO_SETTINGS_MODULE"] = f"config.settings.{environment}"
