"""Liveness of the whole installation: database, cache, the schedule, and the worker/beat
pair.

Beat sends `heartbeat` on a schedule (config/schedule.py); the worker records the time in
the cache. /health/ reports it, so an operator (or the compose smoke test) can see that
periodic work really runs, not only that the web answers. A periodic task missing from the
schedule (no reminders would go out) makes the installation unhealthy, by name; one an admin
turned off is listed.
"""

from celery import shared_task
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.beat import periodic_tasks_disabled, periodic_tasks_missing

HEARTBEAT_CACHE_KEY = "warmpath:worker-heartbeat"
# Longer than any sane heartbeat interval, so one missed tick does not look like an outage.
HEARTBEAT_TTL_SECONDS = 60 * 60


@shared_task(name="config.health.heartbeat", ignore_result=True)
def heartbeat() -> str:
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_CACHE_KEY, now, HEARTBEAT_TTL_SECONDS)
    return now


@login_not_required
@never_cache
@require_GET
def health(request):
    status = {"database": "ok", "cache": "ok"}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        missing, disabled = periodic_tasks_missing(), periodic_tasks_disabled()
        if missing or disabled:
            status["schedule"] = {"missing": missing, "disabled": disabled}
        else:
            status["schedule"] = "ok"
        # Missing entries mean no reminder will ever go out: unhealthy. Disabled ones are
        # an admin's choice (in the admin's periodic tasks): shown, not an outage.
        healthy = not missing
    except Exception:  # any database failure means "not healthy", whatever its kind
        status["database"] = "unavailable"
        status["schedule"] = "unknown"
        healthy = False
    try:
        status["worker_heartbeat"] = cache.get(HEARTBEAT_CACHE_KEY)
    except Exception:
        status["cache"] = "unavailable"
        status["worker_heartbeat"] = None
        healthy = False
    status["status"] = "ok" if healthy else "degraded"
    return JsonResponse(status, status=200 if healthy else 503)
