from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts"

    def ready(self) -> None:
        # Registers the contacts and relationships exports (exports.registry); it reads
        # the models, so it loads once the app registry is ready.
        from contacts import exports  # noqa: F401
