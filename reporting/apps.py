from django.apps import AppConfig


class ReportingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reporting"
    verbose_name = "Reporting"

    def ready(self) -> None:
        # Imported here, the Django way: these modules load models, which the app
        # registry only allows once every app is ready.
        # The KPI exports register themselves (exports.registry).
        from django.db.models.signals import post_migrate, post_save, pre_delete, pre_save

        from reporting import exports  # noqa: F401
        from reporting.rollups import (
            SOURCE_MODELS,
            rollups_after_save,
            rollups_before_delete,
            rollups_before_save,
            rollups_rebuild_if_outdated,
        )

        # The rollups follow every write of the rows they count, in its transaction
        # (reporting/rollups.py): the lower layers' models announce their writes through
        # Django's own signals, which every writer — services, admin, fixtures — sends.
        for model in SOURCE_MODELS:
            uid = f"rollups_{model._meta.label_lower}"
            pre_save.connect(rollups_before_save, sender=model, dispatch_uid=f"{uid}_pre_save")
            post_save.connect(rollups_after_save, sender=model, dispatch_uid=f"{uid}_post_save")
            pre_delete.connect(
                rollups_before_delete, sender=model, dispatch_uid=f"{uid}_pre_delete"
            )
        # Rollups built with other measures than the code's (or none: a database upgraded
        # from before them) are rebuilt once, when `migrate` has finished.
        post_migrate.connect(
            rollups_rebuild_if_outdated, sender=self, dispatch_uid="rollups_rebuild_if_outdated"
        )
