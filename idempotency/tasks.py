"""Background work of the idempotency keys: the nightly purge (config/schedule.py)."""

from celery import shared_task

from idempotency import services


@shared_task(name="idempotency.tasks.idempotency_keys_purge", ignore_result=True)
def idempotency_keys_purge() -> int:
    return services.idempotency_keys_purge()
