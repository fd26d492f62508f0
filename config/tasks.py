"""Periodic housekeeping of the project itself (config/schedule.py)."""

import logging

from celery import shared_task

from core.database import statistics_refresh

logger = logging.getLogger(__name__)


@shared_task(name="config.tasks.database_statistics_refresh", ignore_result=True)
def database_statistics_refresh() -> str:
    """Nightly: the planner statistics of the whole database (core/database.py)."""
    ran = statistics_refresh()
    logger.info("Planner statistics refreshed: %s", ran or "nothing to do on this engine")
    return ran
