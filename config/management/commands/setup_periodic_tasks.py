from django.core.management.base import BaseCommand

from config.beat import periodic_tasks_sync


class Command(BaseCommand):
    help = (
        "Write Warmpath's periodic tasks into django-celery-beat (idempotent; beat also "
        "does it when it starts). Admins' edits are kept unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Put every entry back to its default schedule, undoing admin edits.",
        )

    def handle(self, *args, **options):
        for name, outcome in periodic_tasks_sync(reset=options["reset"]).items():
            self.stdout.write(f"{name}: {outcome}")
