"""The Celery application: worker and beat run `celery -A config …`."""

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

from config.startup import set_default_settings_module

set_default_settings_module()

app = Celery("warmpath")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.imports = ("config.health", "config.tasks")


@task_prerun.connect
@task_postrun.connect
def close_stale_connections(**kwargs) -> None:
    # A worker lives for days; a connection broken by a database restart must not poison
    # every later task. Same rule as Django applies around each request.
    close_old_connections()
