from django.core.management.base import BaseCommand

from demo import DEMO_ADMIN, DEMO_PASSWORD, DEMO_PEOPLE, DEMO_SEED, DEMO_TEAM
from demo.generate import generate
from demo.teams import demo_admin_ensure, demo_team_ensure, team_has_data


class Command(BaseCommand):
    help = (
        "Create the demo team (a manager and two reps) with its demo data, once, and the "
        "demo admin (Django staff, for /admin/). "
        "Running it again keeps what is there and prints the logins. The data is the "
        "small set of `manage.py seed`, made only while the team has no contacts besides "
        "its members' own records."
    )

    def handle(self, *args, **options):
        team = demo_team_ensure(reset_passwords=True)
        demo_admin_ensure(reset_password=True)
        if team_has_data(team):
            self.stdout.write(f"Demo data of '{DEMO_TEAM}' already there; kept as it is.")
        else:
            result = generate("small", seed=DEMO_SEED)
            counts = result.counts
            self.stdout.write(
                f"Demo data loaded in {result.seconds:.1f} s: {counts['contacts']} contacts, "
                f"{counts['relationships']} relationships, {counts['referrals']} referrals, "
                f"{counts['deals']} deals."
            )
        self.stdout.write(self.style.SUCCESS(f"Demo team '{DEMO_TEAM}' is ready. Logins:"))
        for username, first_name, _last, role in DEMO_PEOPLE:
            self.stdout.write(f"  {role:<8} {username} / {DEMO_PASSWORD}   ({first_name})")
        username, first_name, _last = DEMO_ADMIN
        self.stdout.write(
            f"  {'admin':<8} {username} / {DEMO_PASSWORD}   ({first_name}; /admin/, no team)"
        )
