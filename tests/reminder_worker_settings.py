"""Settings of the processes started by tests/test_reminders_integration.py: the test
settings (DATABASE_URL and CELERY_BROKER_URL from the environment, as there), plus

- emails written one file per message into WARMPATH_TEST_EMAIL_DIR, so the test counts
  what was really sent (tests/email_backends.py), slowly if WARMPATH_TEST_EMAIL_DELAY is
  set, so a test can kill a worker in the middle of a send;
- every task routed to the test's own queue (WARMPATH_TEST_QUEUE): no other worker can
  take them, and these workers take nothing else;
- short waits where production waits minutes: a 'sending' row is taken over after
  WARMPATH_TEST_RECLAIM_AFTER seconds, a queued one is drained at once, a dead worker's
  task is handed out again after WARMPATH_TEST_VISIBILITY_TIMEOUT seconds; small scan
  batches, so two scans at once really interleave.
"""

import os

from config.settings.test import *  # noqa: F403
from config.settings.test import CELERY_BROKER_TRANSPORT_OPTIONS

EMAIL_BACKEND = "tests.email_backends.MessageFileBackend"
EMAIL_FILE_PATH = os.environ["WARMPATH_TEST_EMAIL_DIR"]
CELERY_TASK_DEFAULT_QUEUE = os.environ["WARMPATH_TEST_QUEUE"]
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "visibility_timeout": int(os.environ.get("WARMPATH_TEST_VISIBILITY_TIMEOUT", "3600")),
    # Look for tasks of dead workers every second (production: every 100 s or so).
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
OUTGOING_EMAIL_RECLAIM_AFTER_SECONDS = float(os.environ.get("WARMPATH_TEST_RECLAIM_AFTER", "600"))
OUTGOING_EMAIL_DRAIN_AFTER_SECONDS = 0
REMINDER_SCAN_BATCH = int(os.environ.get("WARMPATH_TEST_SCAN_BATCH", "5"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
