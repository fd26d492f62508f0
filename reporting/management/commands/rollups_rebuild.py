from django.core.management.base import BaseCommand

from reporting.rollups import rollups_rebuild


class Command(BaseCommand):
    help = (
        "Count the KPI rollups afresh from the source rows (referrals, follow-ups, deals, "
        "referrals given): after a bulk write that bypassed them, or when rollups_check "
        "finds a difference."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--team", type=int, action="append", dest="teams", help="Only this team's id."
        )

    def handle(self, *args, teams=None, **options):
        cells = rollups_rebuild(team_ids=teams)
        self.stdout.write(self.style.SUCCESS(f"KPI rollups rebuilt: {cells:,} cells."))
