"""Settings shared by every environment. Environment-specific modules import from here.

Which module is used: DJANGO_SETTINGS_MODULE if set, else config.settings.<DJANGO_ENV>
(local by default; see config/startup.py).
"""

import importlib.util
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF

from config.env import env_bool, env_int, env_list, env_str
from config.sqlite import sqlite_options

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("WARMPATH_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")  # each environment decides whether it may be empty
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Third party
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "csp",
    "simple_history",
    # Warmpath
    "accounts",
    "outbox",
    "contacts",
    "referrals",
    "followups",
    "reporting",
    "dashboard",
    "exports",
    "idempotency",
    # The project itself: the command that writes the periodic schedule.
    "config.apps.ConfigConfig",
    # Demo and benchmark data (manage.py seed, seed_demo); needs requirements-dev.txt
    # (Faker) only when those commands run.
    "demo",
]

MIDDLEWARE = [
    # Outermost: every error answer under /api/ is problem details (core.problems).
    "core.problems.ApiProblemMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Private by default: every page needs a login unless marked @login_not_required;
    # API views answer 401 themselves (see accounts.middleware).
    "accounts.middleware.LoginRequiredMiddleware",
    "accounts.middleware.ActiveMembershipMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A write the database refused after validation let it through (a race): a 400 page.
    "core.middleware.UniqueViolationMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "accounts.middleware.MoneyFormatMiddleware",
    # Records who made each change in the models' history (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    # An API POST sent again with the same Idempotency-Key gets the first answer again.
    "idempotency.middleware.IdempotencyMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the 429 lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # {{ amount|money }} on every page and email (core.money).
            "builtins": ["core.money_tags"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.membership",
                "followups.context_processors.notifications",
            ],
        },
    },
]

# Database: DATABASE_URL (postgres://…) in production and CI; SQLite file by default so
# that `make run` needs no server.
_env = environ.Env()
DATABASES = {
    "default": _env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'warmpath.sqlite3'}")
}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
# Connections are checked before reuse, so a restarted PostgreSQL costs one failed
# request at most, not a web process restart.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # SQLite is shared by the web process, the worker and beat in `make run`; how it is
    # tuned (WAL, busy timeout, synchronous, cache…) is explained in config/sqlite.py.
    DATABASES["default"]["OPTIONS"] = sqlite_options()
    # The covering indexes (Index(include=…)) are a PostgreSQL optimisation; SQLite builds
    # the same indexes without the extra columns, which is all it needs. Not a problem a
    # newcomer should read about on every `make run`.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: a locked-out username and address are refused before any password check.
    "accounts.security.LoginAttemptBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # storage and server time; pages show each user's own zone
USE_I18N = True
USE_TZ = True
# A new team's currency (Team.currency, ISO 4217); empty: the currency of LANGUAGE_CODE's
# country (en-us: USD). Amounts are written in the reader's language (core.money).
DEFAULT_CURRENCY = env_str("DEFAULT_CURRENCY", "").upper()
# One way of writing dates and times on every page, email and the admin.
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Bootstrap's CSS and JS from the bootstrap-wrapper package, served as /static/bootstrap/…
    (
        "bootstrap",
        next(iter(importlib.util.find_spec("bootstrap").submodule_search_locations)),
    ),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CACHES = {"default": _env.cache_url("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# How many proxies of ours stand in front of the web process (0: clients connect
# directly). Login lockouts and API throttles count by the client's address; with proxies
# it is read from X-Forwarded-For, counted from the right so clients cannot forge it.
WARMPATH_PROXY_COUNT = env_int("WARMPATH_PROXY_COUNT", 0)

# --- Login lockout (django-axes) -------------------------------------------------------
# After AXES_FAILURE_LIMIT failed logins for one username from one address, that pair is
# refused (429, even with the right password) until AXES_COOLOFF_TIME has passed since the
# last attempt, or an admin deletes its "access attempts" in the admin. The login page,
# the admin login and the API token endpoint all count (accounts.security).
AXES_FAILURE_LIMIT = env_int("WARMPATH_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("WARMPATH_LOGIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "accounts.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.security.client_ip"
AXES_USERNAME_CALLABLE = "accounts.security.login_username"

# --- Content-Security-Policy (django-csp) -------------------------------------------------
# Every page's scripts and styles come from our own static files: no inline <script>, no
# on*= handlers, no style= attributes (htmx's own indicator style is switched off in
# base.html and lives in warmpath.css). Bootstrap sets styles through the CSSOM, which
# the policy allows. The API docs page relaxes style-src for itself only (config/urls.py).
# Django's own CSP middleware needs Django 6 (Python 3.12+); Warmpath runs Django 5.2 LTS
# on Python 3.11, so django-csp 4, whose API Django 6's was modelled on. Moving to Django
# 6 is a one-line change each: the middleware becomes
# "django.middleware.csp.ContentSecurityPolicyMiddleware", and this setting
# SECURE_CSP = {<the same directives>} with django.utils.csp.CSP.SELF / CSP.NONE.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587; console by default.
_email = _env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Warmpath <warmpath@localhost>")
# Where links in emails point (reminders, digests): the address people open Warmpath at.
WARMPATH_BASE_URL = env_str("WARMPATH_BASE_URL", "http://localhost:8000").rstrip("/")

# --- REST framework / OpenAPI -------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: DRF answers an anonymous request with the first class's challenge, and
    # only TokenAuthentication has one (WWW-Authenticate: Token), so the answer is a 401;
    # with SessionAuthentication first it would be a 403. Both are still tried.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 50,
    # A list's search box (`search`, or `q` as on its page) is a filter of its FilterSet,
    # shared with the page (core.filters), not DRF's SearchFilter.
    # KnownParameters first: a query parameter a list does not document is a 400, and so
    # is an ordering it cannot sort by (core.api_queries).
    "DEFAULT_FILTER_BACKENDS": [
        "core.api_queries.KnownParameters",
        "django_filters.rest_framework.DjangoFilterBackend",
        "core.api_queries.StrictOrdering",
    ],
    # JSON only, errors included (problem details, core.problems); people read the API in
    # its documentation (/api/docs/), not in REST framework's HTML pages.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "core.api_queries.StrictMultiPartParser",
    ],
    # Every operation documents its error answers (config.api_schema).
    "DEFAULT_SCHEMA_CLASS": "config.api_schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Throttles are opt-in per view (throttle_scope); the token endpoint uses "token".
    "DEFAULT_THROTTLE_RATES": {"token": env_str("WARMPATH_TOKEN_RATE", "10/minute")},
    "NUM_PROXIES": WARMPATH_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Warmpath API",
    "DESCRIPTION": "Referral tracking for B2B sales teams: contacts, relationships, "
    "roster, referrals, follow-ups and KPIs.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its UI are for people and integrations that have logged in.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI and Redoc from drf-spectacular-sidecar: served locally, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # What a client sends and what it gets are described apart: a request's schema holds
    # only the fields it may write (read-only ones are ignored when sent).
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set shared by several fields or models.
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "contacts.models.Channel",
        "ReferralStatusEnum": "referrals.models.Referral.Status",
        "RosterStatusEnum": "referrals.models.RosterEntry.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # The Idempotency-Key header, and its 409 and 422, on every POST that needs a user.
        "idempotency.schema.document_idempotency_key",
    ],
}

# --- Imports ---------------------------------------------------------------------------
# CSV imports (contacts.imports): a bigger upload is refused while it arrives, before it is
# read in full; a file past any other limit is refused before anything is planned. Together
# they bound what one upload or preview costs, whatever the file.
WARMPATH_IMPORT_MAX_BYTES = env_int("WARMPATH_IMPORT_MAX_BYTES", 10 * 1024 * 1024)
WARMPATH_IMPORT_MAX_ROWS = env_int("WARMPATH_IMPORT_MAX_ROWS", 50_000)
# Outlook's and Google's contact exports have about 90 columns.
WARMPATH_IMPORT_MAX_COLUMNS = env_int("WARMPATH_IMPORT_MAX_COLUMNS", 200)
# Characters in one row (a line, or the lines of a row whose quoted cell spans several).
WARMPATH_IMPORT_MAX_ROW_CHARS = env_int("WARMPATH_IMPORT_MAX_ROW_CHARS", 32_768)
# Lines, blank ones and those inside quoted cells included.
WARMPATH_IMPORT_MAX_LINES = env_int("WARMPATH_IMPORT_MAX_LINES", 200_000)

# --- Exports ---------------------------------------------------------------------------
# CSV exports (exports app): up to this many rows stream while the user waits; a larger
# one is written by a worker, with a progress bar, and kept this many days for download.
WARMPATH_EXPORT_INLINE_MAX_ROWS = env_int("WARMPATH_EXPORT_INLINE_MAX_ROWS", 5_000)
WARMPATH_EXPORT_KEEP_DAYS = env_int("WARMPATH_EXPORT_KEEP_DAYS", 7)

# --- Idempotency keys --------------------------------------------------------------------
# An API POST's answer is kept this long for its Idempotency-Key (idempotency.middleware),
# then purged every night; a second request with a key in use waits at most this long for
# the first to finish (409 after that).
WARMPATH_IDEMPOTENCY_KEY_HOURS = env_int("WARMPATH_IDEMPOTENCY_KEY_HOURS", 24)
WARMPATH_IDEMPOTENCY_WAIT_SECONDS = env_int("WARMPATH_IDEMPOTENCY_WAIT_SECONDS", 10)

# --- Celery ----------------------------------------------------------------------------
# No CELERY_BROKER_URL: kombu's filesystem transport under var/, so `make run` needs no
# server. With it (redis://…): Redis.
# (The host is meaningless to the filesystem transport; naming one keeps kombu from
# warning that none was given.)
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        # Broadcasts (worker control) too; kombu's default is ./control in the cwd.
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
    # kombu's filesystem transport expects its folders to exist.
    for _folder in ("queue", "processed", "control"):
        (_queue_dir / _folder).mkdir(parents=True, exist_ok=True)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than any countdown we use, so a late-acked task is not redelivered early.
        "visibility_timeout": 60 * 60,
        # Publishing must never hang a web request: fail fast and let the scan catch up.
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        "max_retries": 1,
        # ...and the one reconnection at once: kombu's default waits 2 s before it, so a
        # request sending an email while Redis was down took 2 s longer (make trust).
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
    }
    # A publish that fails is tried once more at once, not three times over 0.6 s: what
    # is not published stays in the database (queued email, queued import) for later.
    CELERY_TASK_PUBLISH_RETRY_POLICY = {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
    }
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# What a task prints (the console email backend of `make run`) is logged as INFO, not as a
# WARNING that looks like a problem.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# django-celery-beat's database scheduler, which first writes our schedule (config/beat.py).
CELERY_BEAT_SCHEDULER = "config.beat:Scheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Not Axes' start-up banner on every command; its lockout warnings still show.
        "axes.apps": {"level": "WARNING"},
    },
}
