from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Membership
from contacts.services import team_member_add


class Command(BaseCommand):
    help = (
        "Provision a team member from a shell: creates the team and the user when missing, "
        "gives the user the role in that team and their own contact record. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--team", required=True, help="Team name (created if missing)")
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=Membership.Role.values)
        parser.add_argument("--password", help="Sets the password (validated)")
        parser.add_argument("--email")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args, **options):
        try:
            result = team_member_add(
                team_name=options["team"],
                username=options["username"],
                role=options["role"],
                password=options["password"],
                email=options["email"],
                first_name=options["first_name"],
                last_name=options["last_name"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):  # a team's or a user's field (a name, a length)
                refused = "; ".join(
                    f"{field}: {' '.join(messages)}"
                    for field, messages in error.message_dict.items()
                )
                raise CommandError(f"Refused: {refused}") from None
            raise CommandError("Password refused: " + " ".join(error.messages)) from None
        membership = result.membership
        parts = [
            "created team" if result.team_created else "team exists",
            "created user" if result.user_created else "user exists",
        ]
        if result.role_changed:
            parts.append("role changed")
        self.stdout.write(
            self.style.SUCCESS(
                f"{membership.user.username} is {membership.get_role_display().lower()} "
                f"of {membership.team.name} ({', '.join(parts)})."
            )
        )
