from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "followups"

    def ready(self):
        # Imported here, the Django way: both modules load models, which the app
        # registry only allows once every app is ready.
        from followups.receivers import followups_on_referral_event, rep_told_of_answer
        from referrals.events import referral_event
        from referrals.links import referrer_answered

        referral_event.connect(
            followups_on_referral_event, dispatch_uid="followups_on_referral_event"
        )
        referrer_answered.connect(rep_told_of_answer, dispatch_uid="rep_told_of_answer")
