from django.core.management.base import BaseCommand

from accounts.services import team_member_add

DEMO_TEAM = "Northwind Sales"
DEMO_PASSWORD = "warmpath-demo"  # noqa: S105 - printed on purpose: a demo login
DEMO_PEOPLE = [
    # username, first, last, role
    ("maria", "Maria", "Lopez", "manager"),
    ("ravi", "Ravi", "Patel", "rep"),
    ("sofia", "Sofia", "Berg", "rep"),
]


class Command(BaseCommand):
    help = (
        "Create the demo team (a manager and two reps) with its demo data, once. "
        "Running it again keeps what is there and prints the logins."
    )

    def handle(self, *args, **options):
        for username, first_name, last_name, role in DEMO_PEOPLE:
            team_member_add(
                team_name=DEMO_TEAM,
                username=username,
                role=role,
                password=DEMO_PASSWORD,
                email=f"{username}@northwind.example",
                first_name=first_name,
                last_name=last_name,
            )
        self.stdout.write(self.style.SUCCESS(f"Demo team '{DEMO_TEAM}' is ready. Logins:"))
        for username, first_name, _last, role in DEMO_PEOPLE:
            self.stdout.write(f"  {role:<8} {username} / {DEMO_PASSWORD}   ({first_name})")
