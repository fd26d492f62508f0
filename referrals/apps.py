from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"

    def ready(self) -> None:
        # Registers the readiness and testimonials export (exports.registry); it reads
        # the models, so it loads once the app registry is ready.
        from django.db.models.signals import post_delete, post_save

        from referrals import exports  # noqa: F401
        from referrals.last_asked import last_asked_after_delete, last_asked_after_save
        from referrals.models import Referral

        # Each contact's latest ask as a referrer follows the asks (referrals/last_asked.py).
        post_save.connect(last_asked_after_save, sender=Referral, dispatch_uid="last_asked_save")
        post_delete.connect(
            last_asked_after_delete, sender=Referral, dispatch_uid="last_asked_delete"
        )
