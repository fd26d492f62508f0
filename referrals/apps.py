from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"

    def ready(self) -> None:
        # Registers the readiness and testimonials export (exports.registry); it reads
        # the models, so it loads once the app registry is ready.
        from django.db.models.signals import post_delete, post_save

        from contacts.services import fit_scores_changed
        from referrals import (
            contact_facts,
            exports,  # noqa: F401
            roster_fit,
        )
        from referrals.models import ReadinessCheck, Referral

        # The roster's copy of each prospect's fit follows the fit (referrals/roster_fit.py).
        fit_scores_changed.connect(roster_fit.fit_scores_changed, dispatch_uid="roster_fit")

        # What a contact's row says of their asks and readiness follows those rows
        # (referrals/contact_facts.py).
        for model, saved, deleted in (
            (Referral, contact_facts.referral_after_save, contact_facts.referral_after_delete),
            (
                ReadinessCheck,
                contact_facts.readiness_after_save,
                contact_facts.readiness_after_delete,
            ),
        ):
            uid = f"contact_facts_{model._meta.model_name}"
            post_save.connect(saved, sender=model, dispatch_uid=f"{uid}_save")
            post_delete.connect(deleted, sender=model, dispatch_uid=f"{uid}_delete")
