from django.core.management.base import BaseCommand

from referrals import demo_data

# Kept here too: the tests and the README name them from this command.
DEMO_TEAM = demo_data.DEMO_TEAM
DEMO_PASSWORD = demo_data.DEMO_PASSWORD
DEMO_PEOPLE = demo_data.DEMO_PEOPLE


class Command(BaseCommand):
    help = (
        "Create the demo team (a manager and two reps) with its demo data, once. "
        "Running it again keeps what is there and prints the logins. The data is the "
        "small set of `manage.py seed`, made only while the team has no contacts besides "
        "its members' own records."
    )

    def handle(self, *args, **options):
        team = demo_data.demo_team_ensure(reset_passwords=True)
        if demo_data.team_has_data(team):
            self.stdout.write(f"Demo data of '{DEMO_TEAM}' already there; kept as it is.")
        else:
            result = demo_data.generate("small", seed=demo_data.DEMO_SEED)
            counts = result.counts
            self.stdout.write(
                f"Demo data loaded in {result.seconds:.1f} s: {counts['contacts']} contacts, "
                f"{counts['relationships']} relationships, {counts['referrals']} referrals, "
                f"{counts['deals']} deals."
            )
        self.stdout.write(self.style.SUCCESS(f"Demo team '{DEMO_TEAM}' is ready. Logins:"))
        for username, first_name, _last, role in DEMO_PEOPLE:
            self.stdout.write(f"  {role:<8} {username} / {DEMO_PASSWORD}   ({first_name})")
