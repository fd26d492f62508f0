from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The project's top: settings, URLs, the Celery app, the periodic schedule and the
    command that writes it (an app only so that Django finds that command)."""

    name = "config"
    label = "warmpath_config"
    verbose_name = "Warmpath configuration"
