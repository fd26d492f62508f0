"""A rep's referral work: who they want to meet (roster), whether a client is ready to be
asked (readiness), the asks and their progress (referrals), deals of every source, the
referrals we give back, and the weekly goals the team steers by."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, Value, When
from django.utils import timezone
from simple_history.models import HistoricalRecords

from contacts.models import Channel
from core import dates
from core.database import covering_index
from core.names import validate_name

# What a second roster entry or goal for the same week is told, also when it lost a race
# to a write of the same moment (core.integrity).
ON_THE_ROSTER = "This prospect is already on your roster."
TEAM_GOAL_TAKEN = "The team already has a goal for this week."
REP_GOAL_TAKEN = "This rep already has a goal for this week."


class Priority(models.IntegerChoices):
    HIGH = 1, "High"
    MEDIUM = 2, "Medium"
    LOW = 3, "Low"


# The roster's order: the prospects still to win first, then the highest priority, the best
# fit, the newest.
ROSTER_ORDER = ["closed", "priority", "-prospect_fit", "-created_at", "-id"]


class RosterEntry(models.Model):
    """A prospect on a rep's referral roster: someone who fits and whom we want to meet."""

    class Status(models.TextChoices):
        WANTED = "wanted", "Looking for a path"
        ASKED = "asked", "Introduction asked"
        INTRODUCED = "introduced", "Introduced"
        MEETING = "meeting", "Meeting held"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    # Nothing left to ask for: listed last (`closed`, below), without "Ask".
    CLOSED = [Status.WON, Status.LOST]

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roster_entries"
    )
    prospect = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="roster_entries"
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    reason = models.TextField(
        "business reason", blank=True, help_text="Why this person, why now: the reason to meet."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.WANTED)
    # The roster's order (referrals.selectors.roster_for_user) is read from an index, so
    # its keys live on the entry: won and lost last (`closed`, from the status), then the
    # priority, then the prospect's fit — a copy of Contact.fit_score, written when the
    # entry is saved with its prospect and when the fit changes (referrals.roster_fit).
    closed = models.GeneratedField(
        expression=Case(
            When(status__in=CLOSED, then=Value(True)),
            default=Value(False),
        ),
        output_field=models.BooleanField(),
        db_persist=True,
    )
    prospect_fit = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "roster entries"
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "prospect"],
                name="roster_unique_prospect",
                violation_error_message=ON_THE_ROSTER,
            ),
        ]
        indexes = [
            models.Index(fields=["team", "owner", "priority"]),
            # A rep's roster and a manager's, in the roster's order.
            models.Index(
                fields=["team", "owner", *ROSTER_ORDER],
                name="roster_owner_order",
            ),
            models.Index(fields=["team", *ROSTER_ORDER], name="roster_team_order"),
        ]

    def __str__(self) -> str:
        return f"{self.prospect} on {self.owner}'s roster"

    def save(self, *args, **kwargs):
        # The prospect as it is now, when it is at hand (set by a form or a service) or the
        # entry is new; an entry saved for its status keeps its copy.
        if self._state.adding or RosterEntry.prospect.is_cached(self):
            self.prospect_fit = self.prospect.fit_score
        super().save(*args, **kwargs)

    @property
    def is_closed(self) -> bool:
        """Won or lost: nothing left to ask for (the roster lists it last, without "Ask")."""
        return self.status in self.CLOSED


class ReadinessCheck(models.Model):
    """The testimonial conversation that earns the right to ask a client for referrals."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="readiness_checks"
    )
    client = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="readiness_checks"
    )
    checked_on = dates.DateField()
    went_well = models.TextField("what we have done right", blank=True)
    could_improve = models.TextField("what we could do better", blank=True)
    would_take = models.TextField("what it would take for them to refer us", blank=True)
    testimonial = models.TextField(blank=True)
    may_quote = models.BooleanField("may we quote them", default=False)
    green_light = models.BooleanField(
        default=False, help_text="Ready to be asked for introductions. Complaints mean: not yet."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-checked_on", "-id"]
        indexes = [models.Index(fields=["client", "-checked_on", "-id"])]

    def __str__(self) -> str:
        return f"Readiness of {self.client} on {self.checked_on}"

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Whose green light a save may change (referrals.contact_facts).
        instance._client_as_loaded = instance.__dict__.get("client_id")
        return instance


class Quality(models.TextChoices):
    GOOD = "good", "Good — my name may be used"
    BETTER = "better", "Better — the referrer reaches out first"
    BEST = "best", "Best — the three of us meet"


class ReferralStatus(models.TextChoices):
    ASKED = "asked", "Asked"
    CONFIRMED = "confirmed", "Confirmed by referrer"
    CONTACTED = "contacted", "Prospect contacted"
    MEETING = "meeting", "Meeting"
    WON = "won", "Won"
    LOST = "lost", "Lost"
    DECLINED = "declined", "Declined"


class AnsweredBy(models.TextChoices):
    """Who recorded the referrer's answer to an ask (confirmed or declined)."""

    REP = "rep", "The rep"
    REFERRER = "referrer", "The referrer, by email link"


FINAL_STATUSES = frozenset({ReferralStatus.WON, ReferralStatus.LOST, ReferralStatus.DECLINED})
# Statuses of a referral still in progress, in pipeline order.
OPEN_STATUSES = (
    ReferralStatus.ASKED,
    ReferralStatus.CONFIRMED,
    ReferralStatus.CONTACTED,
    ReferralStatus.MEETING,
)
# Shown by a form that validates the model's constraints (the admin); the services and
# pages say more (referrals.services.DuplicateAsk).
ONE_OPEN_ASK = "This referrer already has an open ask for an introduction to this prospect."


class Referral(models.Model):
    """An ask for an introduction to a named person, and how far it has come.

    The status moves only through referrals.services.referral_transition; each step's time
    is kept in its own column, so "reached confirmed" is still known after a loss."""

    Status = ReferralStatus

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referrals"
    )
    referrer = models.ForeignKey(
        "contacts.Contact", on_delete=models.PROTECT, related_name="referrals_given_to_us"
    )
    prospect = models.ForeignKey(
        "contacts.Contact", on_delete=models.PROTECT, related_name="referrals_as_prospect"
    )
    roster_entry = models.ForeignKey(
        RosterEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals"
    )
    asked_at = dates.DateTimeField()
    reason = models.TextField("business reason", blank=True)
    quality = models.CharField(max_length=10, choices=Quality.choices, default=Quality.GOOD)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    message = models.TextField("the ask, as sent", blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ASKED)
    value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Deal value when won.",
    )
    confirmed_at = dates.DateTimeField(null=True, blank=True)
    contacted_at = dates.DateTimeField(null=True, blank=True)
    meeting_at = dates.DateTimeField(null=True, blank=True)
    won_at = dates.DateTimeField(null=True, blank=True)
    lost_at = dates.DateTimeField(null=True, blank=True)
    declined_at = dates.DateTimeField(null=True, blank=True)
    # Who recorded the referrer's answer (confirmed or declined): the rep, or the referrer
    # with a signed link from the ask (referrals.links). Empty while it is still asked.
    confirmed_by = models.CharField(
        max_length=10, choices=AnsweredBy.choices, blank=True, default="", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Who changed what, when (django-simple-history; shown to the owner, managers and
    # admins). bulk_create/bulk_update (the seed) write no history rows.
    history = HistoricalRecords()

    class Meta:
        ordering = ["-asked_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(referrer=models.F("prospect")),
                name="referral_referrer_is_not_prospect",
            ),
            models.CheckConstraint(
                condition=models.Q(value__isnull=True) | models.Q(value__gte=0),
                name="referral_value_not_negative",
            ),
            # One ask is one ask: a second *open* ask of the same prospect through the
            # same referrer (a double click, a retried API call, a teammate unaware of
            # the first) is refused by the database itself, so no race gets past it.
            # A contact belongs to one team, so this holds within the team. A closed
            # ask (won, lost, declined) does not count: asking again later is fine.
            models.UniqueConstraint(
                fields=["referrer", "prospect"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="referral_one_open_ask_per_referrer_and_prospect",
                violation_error_message=ONE_OPEN_ASK,
            ),
        ]
        indexes = [
            models.Index(fields=["team", "owner", "status"]),
            # A manager's pipeline counts the team's referrals per status: read in status
            # order, each count is made as the index is read, where the (team, owner,
            # status) index needed its 100,000 rows gathered and grouped first (a team of
            # medium×5: PostgreSQL 14.6 -> 9.9 ms, SQLite 19.6 -> 8.1).
            models.Index(fields=["team", "status"], name="referral_team_status_idx"),
            # The KPIs (reporting/kpis.py) count each step dated in a period, one range of
            # one of these per step; each holds what its counts read, so the database answers
            # from the index alone instead of visiting every row (core.database.covering_index).
            # The asks of a period, how far they got, and the cohort's ids:
            covering_index(
                fields=["team", "asked_at"],
                carries=["id", "owner", "confirmed_at", "meeting_at", "won_at"],
                name="referral_team_asked_idx",
            ),
            # The intros of a period by quality, how each went on, and who sent them:
            covering_index(
                fields=["team", "confirmed_at"],
                carries=["owner", "referrer", "quality", "meeting_at", "won_at"],
                name="referral_team_confirmed_idx",
            ),
            covering_index(
                fields=["team", "meeting_at"], carries=["owner"], name="referral_team_meeting_idx"
            ),
            covering_index(
                fields=["team", "won_at"], carries=["owner", "value"], name="referral_team_won_idx"
            ),
            models.Index(fields=["referrer", "-asked_at"]),
            # How a connector answered earlier asks (referrals.connectors: the ranking reads
            # it for every person found): counted from the index alone.
            models.Index(fields=["referrer", "status"], name="referral_referrer_status_idx"),
            models.Index(fields=["prospect", "-asked_at"]),
            # The pipeline (page and API, selectors.referrals_for_user), newest ask first,
            # read in index order and cut at the page instead of sorting the team's rows:
            # a manager's (the whole team) and a rep's (their own).
            models.Index(fields=["team", "-asked_at", "-id"], name="referral_team_list_idx"),
            models.Index(
                fields=["team", "owner", "-asked_at", "-id"], name="referral_owner_list_idx"
            ),
            # The rep's week, "met us but did not buy" (selectors.ask_again_for_user): the
            # rep's prospects lost after a meeting, latest first, read in this order and
            # cut at the list (a rep of the large set has 1,300 lost asks to sort).
            models.Index(
                fields=["team", "owner", "-lost_at", "-id"],
                condition=models.Q(status="lost", meeting_at__isnull=False),
                name="referral_lost_after_meeting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.referrer} → {self.prospect}"

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # What a save compares to keep the referrer's facts (referrals.contact_facts); read
        # from the loaded values only (a deferred field is never fetched for it).
        loaded = instance.__dict__
        instance._facts_as_loaded = (
            loaded.get("referrer_id"),
            loaded.get("asked_at"),
            loaded.get("status"),
        )
        return instance

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATUSES

    @property
    def age_days(self) -> int:
        """Whole days since the ask (the pipeline shows how long each has waited)."""
        return max(0, (timezone.now() - self.asked_at).days)


# Where the time of each step is kept: the ask's, then one column per status reached.
STEP_TIME_FIELD = {
    Referral.Status.ASKED: "asked_at",
    Referral.Status.CONFIRMED: "confirmed_at",
    Referral.Status.CONTACTED: "contacted_at",
    Referral.Status.MEETING: "meeting_at",
    Referral.Status.WON: "won_at",
    Referral.Status.LOST: "lost_at",
    Referral.Status.DECLINED: "declined_at",
}


class Deal(models.Model):
    """A sales opportunity of any source, so the team can compare referral deals to the rest."""

    class Source(models.TextChoices):
        REFERRAL = "referral", "Referral"
        COLD = "cold", "Cold outreach"
        INBOUND = "inbound", "Inbound"
        EVENT = "event", "Event"
        OTHER = "other", "Other"

    class Outcome(models.TextChoices):
        OPEN = "open", "Open"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deals"
    )
    contact = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="deals")
    referral = models.OneToOneField(
        Referral, on_delete=models.SET_NULL, null=True, blank=True, related_name="deal"
    )
    name = models.CharField(max_length=200, blank=True, validators=[validate_name])
    source = models.CharField(max_length=20, choices=Source.choices)
    value = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OPEN)
    opened_on = dates.DateField()
    closed_on = dates.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(outcome="open", closed_on__isnull=True)
                    | (~models.Q(outcome="open") & models.Q(closed_on__isnull=False))
                ),
                name="deal_closed_on_matches_outcome",
            ),
            models.CheckConstraint(
                condition=models.Q(closed_on__isnull=True)
                | models.Q(closed_on__gte=models.F("opened_on")),
                name="deal_closed_after_opened",
            ),
            models.CheckConstraint(
                condition=models.Q(value__isnull=True) | models.Q(value__gte=0),
                name="deal_value_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "owner", "outcome"]),
            # The deals closed in a period, with what the win rate and average deal read.
            covering_index(
                fields=["team", "closed_on"],
                carries=["source", "outcome", "value"],
                name="deal_team_closed_idx",
            ),
            # The deals list (page and API, selectors.deals_for_user), newest first, read
            # in index order: a manager's (the team's tens of thousands) and a rep's.
            models.Index(fields=["team", "-opened_on", "-id"], name="deal_team_list_idx"),
            models.Index(fields=["team", "owner", "-opened_on", "-id"], name="deal_owner_list_idx"),
        ]

    def __str__(self) -> str:
        return self.name or f"Deal with {self.contact}"


class ReferralGiven(models.Model):
    """Reciprocity: an introduction we made for a client."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referrals_given"
    )
    client = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.PROTECT,
        related_name="referrals_received_from_us",
        help_text="The client we helped.",
    )
    introduced = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The person we introduced them to, if they are in Warmpath.",
    )
    introduced_name = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_name],
        help_text="Or their name, if they are not.",
    )
    given_on = dates.DateField()
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "referral given"
        verbose_name_plural = "referrals given"
        ordering = ["-given_on", "-id"]
        indexes = [models.Index(fields=["team", "given_on"])]

    def __str__(self) -> str:
        return f"Introduction for {self.client} on {self.given_on}"


class WeeklyGoal(models.Model):
    """Written weekly referral goals: for the team (rep empty) or for one rep."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="weekly_goals",
    )
    week_start = dates.DateField(help_text="The Monday of the week.")
    asks = models.PositiveIntegerField(default=0)
    intros = models.PositiveIntegerField(default=0)
    meetings = models.PositiveIntegerField(default=0)
    referrals_given = models.PositiveIntegerField(default=0)
    wins = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-week_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "week_start"],
                condition=models.Q(rep__isnull=True),
                name="weekly_goal_one_team_goal_per_week",
                violation_error_message=TEAM_GOAL_TAKEN,
            ),
            models.UniqueConstraint(
                fields=["team", "rep", "week_start"],
                condition=models.Q(rep__isnull=False),
                name="weekly_goal_one_rep_goal_per_week",
                violation_error_message=REP_GOAL_TAKEN,
            ),
        ]

    def __str__(self) -> str:
        who = self.rep or self.team
        return f"Goals of {who} for the week of {self.week_start}"


class ReferrerLinkUse(models.Model):
    """A signed link of an ask (referrals.links) that has been used: its nonce, unique, so
    a link works once, whatever the referral's state afterwards."""

    nonce = models.CharField(max_length=32, unique=True)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="link_uses")
    step = models.CharField(max_length=20)
    used_at = dates.DateTimeField()

    def __str__(self) -> str:
        return f"Link {self.step} of {self.referral_id} used at {self.used_at}"
