"""Laptop settings: `make run`. SQLite and the filesystem broker unless told otherwise."""

from config.env import env_bool

from .base import *  # noqa: F403
from .base import SECRET_KEY

DEBUG = env_bool("DJANGO_DEBUG", True)
# A fixed key is fine on a laptop; production refuses to start without its own.
SECRET_KEY = SECRET_KEY or "warmpath-local-development-key-not-for-production"
