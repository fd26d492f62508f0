import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import dates, money
from core.names import validate_name


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


def _language_choices() -> list[tuple[str, str]]:
    """Django's languages, and the site's own (en-us is not among Django's)."""
    choices = [(code, str(name)) for code, name in settings.LANGUAGES]
    if settings.LANGUAGE_CODE not in dict(choices):
        choices.insert(0, (settings.LANGUAGE_CODE, money.language_name(settings.LANGUAGE_CODE)))
    return choices


def _default_language() -> str:
    return settings.LANGUAGE_CODE


class User(AbstractUser):
    """A person who logs in. Admins are Django staff; reps and managers get their role
    from a Membership in a team."""

    # Django's own, with the rule of names (core.names): they reach email subjects.
    first_name = models.CharField(
        "first name", max_length=150, blank=True, validators=[validate_name]
    )
    last_name = models.CharField(
        "last name", max_length=150, blank=True, validators=[validate_name]
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        choices=_time_zone_choices,
        help_text="Due dates, 'today' and the morning digest follow this zone.",
    )
    language = models.CharField(
        max_length=15,
        default=_default_language,
        choices=_language_choices,
        help_text="Amounts and numbers are written the way this language writes them.",
    )
    signature = models.TextField(
        "email signature",
        max_length=500,
        blank=True,
        help_text="Ends the messages Warmpath drafts for you (asks, thanks, updates). Your "
        "name when empty.",
    )
    # Django's own, with the window (core.dates): the admin lets staff type them.
    last_login = dates.DateTimeField(_("last login"), blank=True, null=True)
    date_joined = dates.DateTimeField(_("date joined"), default=timezone.now)

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def sign_off(self) -> str:
        """How the messages drafted for this user end: their signature, else their name."""
        return self.signature.strip() or self.get_full_name() or self.get_username()


class Team(models.Model):
    """The tenant: every business record belongs to exactly one team."""

    name = models.CharField(max_length=120, unique=True, validators=[validate_name])
    currency = models.CharField(
        max_length=3,
        default=money.default_currency,
        choices=money.currency_choices,
        help_text="Deal values and won amounts are in this currency on every page, email "
        "and export.",
    )
    # How long an ask may stay unconfirmed before the rep gently reminds the referrer of
    # their commitment (followups: the "chase the confirmation" follow-up).
    chase_confirmation_after_days = models.PositiveSmallIntegerField(
        "chase an unconfirmed ask after (days)",
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    # After a win, how long before a readiness conversation with the new client.
    readiness_after_win_days = models.PositiveSmallIntegerField(
        "readiness conversation after a win (days)",
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    # How long the links in an ask (referrals.links) let the referrer answer.
    referrer_link_days = models.PositiveSmallIntegerField(
        "days a referrer's link works",
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="The links in an ask by email (I've introduced you, Not the right time) "
        "expire after this many days.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# Also what a second membership saved at the same moment is told (core.integrity).
ALREADY_A_MEMBER = "This user is already a member of this team."


class Membership(models.Model):
    class Role(models.TextChoices):
        REP = "rep", "Sales rep"
        MANAGER = "manager", "Manager"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REP)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "team"],
                name="membership_unique_user_team",
                violation_error_message=ALREADY_A_MEMBER,
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["rep", "manager"]), name="membership_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["team", "role"])]
        ordering = ["team__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.team}"

    @property
    def is_manager(self) -> bool:
        return self.role == self.Role.MANAGER


class CalendarFeed(models.Model):
    """A user's private calendar feed (their due follow-ups and their referrals' meetings,
    followups.calendar). The link holds a random secret shown once; only its SHA-256 is
    kept, so a copy of the database opens no feed. Regenerating replaces it: the old link
    stops working."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = dates.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"
