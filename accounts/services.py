"""Writes about users, teams and roles.

A member also has a contact record of their own (their ties are relationships): that is
contacts' to keep, so provisioning a member goes through contacts.services.team_member_add,
which calls membership_provision here and then ensures the contact.
"""

from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from accounts.models import Membership, Team, User


@dataclass(frozen=True)
class MemberAddResult:
    membership: Membership
    team_created: bool
    user_created: bool
    role_changed: bool


@transaction.atomic
def membership_provision(
    *,
    team_name: str,
    username: str,
    role: str,
    password: str | None = None,
    email: str | None = None,
    first_name: str = "",
    last_name: str = "",
) -> MemberAddResult:
    """Create the team and the user when missing, then make sure the user holds `role` in
    that team. Idempotent: running it twice changes nothing the second time, except a
    password or email given again (set anew) or a new role. The member's own contact is
    not made here: call contacts.services.team_member_add, which does both."""
    if role not in Membership.Role.values:
        raise ValueError(f"Unknown role {role!r}; use one of {', '.join(Membership.Role.values)}.")
    # Checked as the admin would (lengths, the username's characters, the rule of names:
    # a team's name reaches the weekly summary's subject) before anything is written.
    Team(name=team_name.strip()).full_clean(validate_unique=False)
    User(
        username=username, email=email or "", first_name=first_name, last_name=last_name
    ).full_clean(exclude=["password"], validate_unique=False)
    team, team_created = Team.objects.get_or_create(name=team_name.strip())
    user, user_created = User.objects.get_or_create(
        username=username,
        defaults={"email": email or "", "first_name": first_name, "last_name": last_name},
    )
    changed_fields = []
    if email is not None and user.email != email:
        user.email = email
        changed_fields.append("email")
    if password is not None:
        validate_password(password, user)
        user.set_password(password)
        changed_fields.append("password")
    elif user_created:
        # No password given: the account exists but cannot log in until an admin sets one.
        user.set_unusable_password()
        changed_fields.append("password")
    if changed_fields:
        user.save(update_fields=changed_fields)
    membership, membership_created = Membership.objects.get_or_create(
        user=user, team=team, defaults={"role": role}
    )
    role_changed = False
    if not membership_created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
        role_changed = True
    return MemberAddResult(membership, team_created, user_created, role_changed)
