"""Settings for `make bench` (bench/run.py): the local settings as a deployment would run
them, against the PostgreSQL database of DATABASE_URL (warmpath_bench).

- DEBUG off: no SQL kept per request, cached template loader, error pages as in production.
- Cache in process memory (the app caches only import progress and the worker heartbeat;
  no page is cached, so every measured request does its whole work).
- Sessions in the database, as everywhere: gunicorn's workers and the test client share
  the session made once by force_login (no login POSTs, so django-axes never counts).
- Static files served from the apps' folders (no collectstatic needed), email to memory.
"""

from .local import *  # noqa: F403
from .local import ALLOWED_HOSTS

DEBUG = False
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
LOGGING = {"version": 1, "disable_existing_loggers": False}
