from django.core.management.base import BaseCommand, CommandError

from reporting.rollups import rollups_differences

SHOWN = 20


class Command(BaseCommand):
    help = (
        "Compare the KPI rollups with the source rows they count; exits non-zero naming "
        "the cells that differ (then: rollups_rebuild)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--team", type=int, action="append", dest="teams", help="Only this team's id."
        )

    def handle(self, *args, teams=None, **options):
        differences = rollups_differences(team_ids=teams)
        if differences:
            for difference in differences[:SHOWN]:
                self.stderr.write(str(difference))
            raise CommandError(
                f"{len(differences):,} KPI rollup cells differ from their source rows; "
                "`manage.py rollups_rebuild` counts them afresh."
            )
        self.stdout.write(self.style.SUCCESS("KPI rollups match their source rows."))
