"""Gunicorn settings shared by docker-compose and any host that runs `gunicorn config.wsgi`
from the repository root (gunicorn reads ./gunicorn.conf.py by itself).

PORT and WEB_CONCURRENCY are the usual platform variables; WARMPATH_HOST narrows the
bind address (the Procfile uses the same name for the development server).
"""

import os
from pathlib import Path


def _whole_number(name: str, default: int) -> int:
    # Not config.env: importing the config package here would load Celery in the arbiter.
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise SystemExit(f"{name}={value!r} is not a whole number.")
    return int(value)


# Inside a container the port is published by Docker, so listen on every interface there.
bind = f"{os.environ.get('WARMPATH_HOST', '0.0.0.0')}:{_whole_number('PORT', 8000)}"  # noqa: S104
# Sync workers: pages are short, database-bound requests.
workers = _whole_number("WEB_CONCURRENCY", 2)
# Threads in each worker: a long response (a 200,000-row CSV export streams for seconds)
# holds one thread, not the whole worker, and the worker keeps telling the arbiter it is
# alive, so `timeout` no longer cuts such a download off half-way as it would in a sync
# worker. Each thread holds its own database connection: workers × threads in all.
worker_class = "gthread"
threads = _whole_number("WEB_THREADS", 4)
timeout = _whole_number("GUNICORN_TIMEOUT", 30)
graceful_timeout = 20
# Recycle workers now and then so a slow leak never becomes an outage.
max_requests = 1000
max_requests_jitter = 100

# Logs go to stdout/stderr, where Docker and the platform collect them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# Worker heartbeat files in memory when available: a slow disk must not make the arbiter
# think its workers hung.
MEMORY_DIR = "/dev/shm"  # noqa: S108 - gunicorn writes only its own heartbeat files here
if Path(MEMORY_DIR).is_dir():
    worker_tmp_dir = MEMORY_DIR
