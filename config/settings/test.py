"""Settings for pytest. DATABASE_URL / CELERY_BROKER_URL, when set, select PostgreSQL and
Redis exactly as in production; otherwise SQLite in memory."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "warmpath-test-key"  # noqa: S105 - tests only
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast test logins
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Serve static files from the apps' folders, as in development: a fresh clone has no
# collected STATIC_ROOT, and tests should not need `collectstatic`.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
