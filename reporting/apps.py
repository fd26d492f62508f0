from django.apps import AppConfig


class ReportingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reporting"
    verbose_name = "Reporting"

    def ready(self) -> None:
        # Registers the KPI exports (exports.registry); it reads the models, so it loads
        # once the app registry is ready.
        from reporting import exports  # noqa: F401
