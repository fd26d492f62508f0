"""The Celery application: worker and beat run `celery -A config …`."""

from celery import Celery
from celery.signals import task_postrun, task_prerun

from config.startup import set_default_settings_module

set_default_settings_module()

app = Celery("warmpath")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.imports = ("config.health",)


@app.on_configure.connect
def make_filesystem_queue_folders(sender, **kwargs) -> None:
    # kombu's filesystem transport (the no-server default) expects its folders to exist.
    from pathlib import Path

    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        folder = sender.conf.broker_transport_options.get(key)
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)


@task_prerun.connect
@task_postrun.connect
def close_stale_connections(**kwargs) -> None:
    # A worker lives for days; a connection broken by a database restart must not poison
    # every later task. Same rule as Django applies around each request.
    from django.db import close_old_connections

    close_old_connections()
