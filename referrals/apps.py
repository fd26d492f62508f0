from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"

    def ready(self) -> None:
        # Registers the readiness and testimonials export (exports.registry); it reads
        # the models, so it loads once the app registry is ready.
        from referrals import exports  # noqa: F401
