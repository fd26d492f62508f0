import json

from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from config.schedule import PERIODIC_TASKS


class Command(BaseCommand):
    help = "Create Warmpath's periodic tasks in django-celery-beat (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Put every entry back to its default schedule, undoing admin edits.",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        for entry in PERIODIC_TASKS:
            schedule = {}
            if entry.every_seconds is not None:
                schedule["interval"], _ = IntervalSchedule.objects.get_or_create(
                    every=entry.every_seconds, period=IntervalSchedule.SECONDS
                )
                schedule["crontab"] = None
            else:
                schedule["crontab"], _ = CrontabSchedule.objects.get_or_create(
                    **{"timezone": "UTC", **entry.crontab}
                )
                schedule["interval"] = None
            defaults = {
                "task": entry.task,
                "description": entry.description,
                "kwargs": json.dumps({}),
                **schedule,
            }
            task, created = PeriodicTask.objects.get_or_create(name=entry.name, defaults=defaults)
            if not created and options["reset"]:
                for field, value in defaults.items():
                    setattr(task, field, value)
                task.enabled = True
                task.save()
            verb = "created" if created else ("reset" if options["reset"] else "kept")
            self.stdout.write(f"{entry.name}: {verb}")
