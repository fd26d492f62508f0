"""Settings of every process `make trust` starts (gunicorn, Celery worker and beat, the
driver itself): production's, unchanged — PostgreSQL, Redis as broker and cache, SMTP,
DEBUG off, the same connection handling — except the waits that production counts in
minutes, so a scenario sees a lost task come back or a refused email retried within
seconds:

- a task whose worker died is handed out again after 30 s (production: one hour), and
  Redis is checked for such tasks every second;
- an email stuck in 'sending' by a dead worker is taken over after 10 s (10 minutes), a
  queued email whose publish was lost is drained after 3 s (1 minute), a lost retry
  after 30 s (15 minutes);
- the email retry backoff starts at 1 s (30 s): 1, 2, 4, 8, 16 s — each below the 30 s
  above, as production's are below its hour;
- scans claim 20 follow-ups per transaction (500), so two scans at once interleave.

The environment (DATABASE_URL, CELERY_BROKER_URL, CACHE_URL, EMAIL_URL, …) is set by
trust/stack.py, pointing at the throwaway servers.
"""

from config.settings.production import *  # noqa: F403
from config.settings.production import CELERY_BROKER_TRANSPORT_OPTIONS

CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "visibility_timeout": 30,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
OUTGOING_EMAIL_RECLAIM_AFTER_SECONDS = 10
OUTGOING_EMAIL_DRAIN_AFTER_SECONDS = 3
OUTGOING_EMAIL_RETRY_SWEEP_AFTER_SECONDS = 30
OUTGOING_EMAIL_RETRY_BACKOFF_SECONDS = 1
REMINDER_SCAN_BATCH = 20
