"""Laptop settings: `make run`. SQLite and the filesystem broker unless told otherwise."""

from config.env import env_bool

from .base import *  # noqa: F403
from .base import MIDDLEWARE, SECRET_KEY

DEBUG = env_bool("DJANGO_DEBUG", True)
# A 404 shows Warmpath's own page, as users see it, even with DEBUG on; a developer who
# wants Django's debug page for a 404 sets DJANGO_DEBUG_404=true.
DEBUG_404 = env_bool("DJANGO_DEBUG_404", False)
if DEBUG and not DEBUG_404:
    MIDDLEWARE = [*MIDDLEWARE, "core.middleware.OwnNotFoundPageMiddleware"]
# A fixed key is fine on a laptop; production refuses to start without its own.
SECRET_KEY = SECRET_KEY or "warmpath-local-development-key-not-for-production"
