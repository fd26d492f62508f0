"""The team's network: companies, the people in them, who knows whom, and the ideal client
profile the people are scored against (their fit: contacts/fit.py).

A team's contacts and relationships are visible to every member (the reverse search
needs the whole graph); records that belong to one rep live in the referrals app.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce, Lower
from simple_history.models import HistoricalRecords

from contacts.links import LinkedInURLField
from core import dates
from core.database import covering_index
from core.names import validate_name
from core.web import WebAddressField

# What a second record with the same name, email or link is told, also when it lost a race
# to a write of the same moment (core.integrity).
COMPANY_NAME_TAKEN = "A company with this name already exists in your team."
CONTACT_EMAIL_TAKEN = "A contact with this email already exists in your team."
CONTACT_LINKEDIN_TAKEN = "A contact with this LinkedIn URL already exists in your team."
RELATIONSHIP_TAKEN = "These two people are already linked; edit that relationship instead."


class Industry(models.TextChoices):
    SOFTWARE = "software", "Software and IT services"
    FINANCE = "finance", "Banking and finance"
    INSURANCE = "insurance", "Insurance"
    HEALTHCARE = "healthcare", "Healthcare"
    MANUFACTURING = "manufacturing", "Manufacturing"
    RETAIL = "retail", "Retail and e-commerce"
    LOGISTICS = "logistics", "Transport and logistics"
    ENERGY = "energy", "Energy and utilities"
    PROFESSIONAL_SERVICES = "professional_services", "Professional services"
    REAL_ESTATE = "real_estate", "Real estate and construction"
    EDUCATION = "education", "Education"
    PUBLIC_SECTOR = "public_sector", "Public sector"
    MEDIA = "media", "Media and telecoms"
    HOSPITALITY = "hospitality", "Hospitality and travel"
    OTHER = "other", "Other"


class RevenueBand(models.TextChoices):
    UNDER_1M = "lt1m", "Under $1M"
    FROM_1M = "1m_10m", "$1M – $10M"
    FROM_10M = "10m_50m", "$10M – $50M"
    FROM_50M = "50m_250m", "$50M – $250M"
    FROM_250M = "250m_1b", "$250M – $1B"
    OVER_1B = "gt1b", "Over $1B"


class Company(models.Model):
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="companies")
    name = models.CharField(max_length=200, validators=[validate_name])
    industry = models.CharField(max_length=32, choices=Industry.choices, blank=True)
    region = models.CharField(max_length=100, blank=True, help_text="e.g. Northeast, DACH, Nordics")
    country = models.CharField(max_length=100, blank=True)
    employee_count = models.PositiveIntegerField(null=True, blank=True)
    revenue_band = models.CharField(max_length=16, choices=RevenueBand.choices, blank=True)
    website = WebAddressField(
        blank=True, help_text="http or https; a bare domain such as acme.com is read as https."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "team",
                Lower("name"),
                name="company_unique_name_per_team",
                violation_error_message=COMPANY_NAME_TAKEN,
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ContactKind(models.TextChoices):
    CLIENT = "client", "Client"
    PROSPECT = "prospect", "Prospect"
    FORMER_CLIENT = "former_client", "Former client"
    COLLEAGUE = "colleague", "Colleague"
    PARTNER = "partner", "Partner"
    OTHER = "other", "Other"


class Function(models.TextChoices):
    EXECUTIVE = "executive", "General management"
    SALES = "sales", "Sales"
    MARKETING = "marketing", "Marketing"
    FINANCE = "finance", "Finance"
    OPERATIONS = "operations", "Operations"
    IT = "it", "IT and engineering"
    HR = "hr", "People and HR"
    PROCUREMENT = "procurement", "Procurement"
    LEGAL = "legal", "Legal"
    OTHER = "other", "Other"


class PersonType(models.TextChoices):
    DECISION_MAKER = "decision_maker", "Decision maker"
    INFLUENCER = "influencer", "Influencer"
    CHAMPION = "champion", "Champion"
    USER = "user", "User"
    GATEKEEPER = "gatekeeper", "Gatekeeper"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    HANDWRITTEN = "handwritten", "Handwritten note"
    LETTER = "letter", "Letter"
    IN_PERSON = "in_person", "In person"
    VIDEO = "video", "Video call"


class UpdateCadence(models.TextChoices):
    EACH_STEP = "each_step", "At each step"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    AT_END = "at_end", "Only at the end"


class Contact(models.Model):
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="contacts")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_contacts",
        help_text="The rep who looks after this person.",
    )
    # Set on the contact record that stands for a Warmpath user, so a rep's own ties are
    # relationships like any other.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_record",
    )
    first_name = models.CharField(max_length=100, validators=[validate_name])
    last_name = models.CharField(max_length=100, blank=True, validators=[validate_name])
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts"
    )
    title = models.CharField(max_length=150, blank=True)
    function = models.CharField(max_length=20, choices=Function.choices, blank=True)
    person_type = models.CharField(
        "type of person", max_length=20, choices=PersonType.choices, blank=True
    )
    kind = models.CharField(
        max_length=20, choices=ContactKind.choices, default=ContactKind.PROSPECT
    )
    client_since = dates.DateField(null=True, blank=True)
    preferred_channel = models.CharField(
        max_length=20, choices=Channel.choices, default=Channel.EMAIL
    )
    update_cadence = models.CharField(
        max_length=20,
        choices=UpdateCadence.choices,
        default=UpdateCadence.EACH_STEP,
        help_text="How often this person likes to hear how their referrals are going.",
    )
    linkedin_url = LinkedInURLField(
        "LinkedIn URL",
        max_length=300,
        blank=True,
        help_text="A linkedin.com address, stored as https://www.linkedin.com/in/….",
    )
    notes = models.TextField(blank=True)
    last_contacted_on = dates.DateField(null=True, blank=True)
    # The last touch recorded in Warmpath (a follow-up done, a message, a readiness talk, a
    # referral step, a meeting, a deal, a call noted): written by the touch service in the
    # same transaction as the touch, never typed.
    last_touch_at = dates.DateTimeField(null=True, blank=True, editable=False)
    # What their referrals and readiness conversations say of them, derived from those
    # rows and kept exact with every write of one (referrals.contact_facts), never typed:
    # their latest ask as a referrer, the introductions asked of them made (confirmed or
    # later) and declined, and the answer of their latest readiness conversation (empty
    # before one). The reverse search and the share of clients asked read them here.
    last_asked_at = dates.DateTimeField(null=True, blank=True, editable=False)
    asks_made = models.PositiveIntegerField(default=0, editable=False)
    asks_declined = models.PositiveIntegerField(default=0, editable=False)
    green_light = models.BooleanField(null=True, editable=False)
    # How often this person should hear from us; empty means the default of their kind.
    stay_in_touch_days = models.PositiveSmallIntegerField(
        "stay in touch every (days)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Empty: the usual rhythm for this kind of contact.",
    )
    # Fit against the team's ideal client profile, 0–100; kept up to date by
    # contacts.services.contact_fit_scores_refresh (contact saved, profile changed).
    fit_score = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Who changed what, when (django-simple-history; shown to its owner, managers, admins).
    # bulk_create/bulk_update (seed, imports, fit score refresh) write no history rows.
    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                "team",
                Lower("email"),
                condition=~models.Q(email=""),
                name="contact_unique_email_per_team",
                violation_error_message=CONTACT_EMAIL_TAKEN,
            ),
            models.UniqueConstraint(
                fields=["team", "linkedin_url"],
                condition=~models.Q(linkedin_url=""),
                name="contact_unique_linkedin_per_team",
                violation_error_message=CONTACT_LINKEDIN_TAKEN,
            ),
            models.CheckConstraint(
                condition=models.Q(fit_score__gte=0, fit_score__lte=100),
                name="contact_fit_score_range",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "last_name", "first_name"]),
            models.Index(fields=["team", "kind"]),
            models.Index(fields=["team", "owner"]),
            # The list "best fit first" (?sort=fit, the ideal client profile's fits page).
            models.Index(
                fields=["team", "-fit_score", "last_name", "first_name", "id"],
                name="contact_team_best_fit",
            ),
            # The team's (or an owner's) clients and when each was last asked: the share of
            # clients asked (reporting.kpis) from the index alone, on every engine. Not a
            # partial index of active clients: SQLite matches a partial index only to a
            # query that repeats its condition, and the query says "nobody's user" its own
            # way (core.database.usually_null) — it read 20,000 clients from the table.
            covering_index(
                fields=["team", "kind", "owner", "last_asked_at"],
                carries=["user", "id"],
                name="contact_clients_asked",
            ),
            # Who is going cold (contacts.rhythm): a rep's people by how long they have been
            # silent, so the ones silent longer than the shortest rhythm are a range read;
            # and the few custom rhythms they have.
            models.Index(
                models.F("team"),
                models.F("owner"),
                Coalesce(models.F("last_touch_at"), models.F("created_at")),
                condition=models.Q(user__isnull=True),
                name="contact_owner_silence",
            ),
            models.Index(
                fields=["team", "owner", "stay_in_touch_days"],
                condition=models.Q(stay_in_touch_days__isnull=False),
                name="contact_owner_custom_rhythm",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_client(self) -> bool:
        return self.kind == ContactKind.CLIENT


class IdealClientProfile(models.Model):
    """Who the team wants to meet. Contacts are scored 0–100 against it: each criterion
    that is set and matched adds its weight; the total is scaled to 100."""

    team = models.OneToOneField(
        "accounts.Team", on_delete=models.CASCADE, related_name="ideal_client_profile"
    )
    industries = models.JSONField(default=list, blank=True)  # Industry values
    regions = models.JSONField(default=list, blank=True)  # free text, matched case-insensitively
    min_employees = models.PositiveIntegerField(null=True, blank=True)
    max_employees = models.PositiveIntegerField(null=True, blank=True)
    functions = models.JSONField(default=list, blank=True)  # Function values
    person_types = models.JSONField(default=list, blank=True)  # PersonType values
    situation = models.TextField(
        blank=True, help_text="The situation or need that makes us the answer, in a sentence."
    )
    situation_keywords = models.JSONField(default=list, blank=True)
    reasons_to_refer = models.TextField(
        "reasons to refer us",
        blank=True,
        help_text="Why a client would refer us, one reason a line, the strongest first: the "
        "drafted asks quote the first two.",
    )
    weight_industry = models.PositiveSmallIntegerField(default=25)
    weight_region = models.PositiveSmallIntegerField(default=15)
    weight_size = models.PositiveSmallIntegerField(default=20)
    weight_function = models.PositiveSmallIntegerField(default=15)
    weight_person_type = models.PositiveSmallIntegerField(default=15)
    weight_situation = models.PositiveSmallIntegerField(default=10)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # Made by the referrals app, where the profile began; the table kept its name.
        db_table = "referrals_idealclientprofile"
        verbose_name = "ideal client profile"

    def __str__(self) -> str:
        return f"Ideal client profile of {self.team}"

    def top_reasons_to_refer(self, count: int = 2) -> list[str]:
        lines = (line.strip(" -•*\t") for line in self.reasons_to_refer.splitlines())
        return [line for line in lines if line][:count]


class RelationshipKind(models.TextChoices):
    COLLEAGUE = "colleague", "Colleague"
    FORMER_COLLEAGUE = "former_colleague", "Former colleague"
    FRIEND = "friend", "Friend"
    FAMILY = "family", "Family"
    NEIGHBOUR = "neighbour", "Neighbour"
    CLUB = "club", "Club or association"
    VENDOR = "vendor", "Vendor or client"
    OTHER = "other", "Other"


class RelationshipSource(models.TextChoices):
    TOLD = "told", "Told"
    OBSERVED = "observed", "Observed"
    IMPORT = "import", "Import"
    LINKEDIN = "linkedin", "LinkedIn import"


class Relationship(models.Model):
    """Who knows whom. Symmetric: stored once per pair, with contact_a the lower id, so
    "A knows B" and "B knows A" are the same row and cannot both exist."""

    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, related_name="relationships"
    )
    contact_a = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    contact_b = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=RelationshipKind.choices, default="other")
    strength = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 = barely know each other, 5 = would do anything for each other.",
    )
    since = dates.DateField(null=True, blank=True)
    # The last touch between the two recorded in Warmpath (see Contact.last_touch_at).
    last_touch_at = dates.DateTimeField(null=True, blank=True, editable=False)
    source = models.CharField(
        max_length=20, choices=RelationshipSource.choices, default=RelationshipSource.TOLD
    )
    notes = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact_a", "contact_b"],
                name="relationship_unique_pair",
                violation_error_message=RELATIONSHIP_TAKEN,
            ),
            models.CheckConstraint(
                condition=models.Q(contact_a__lt=models.F("contact_b")),
                name="relationship_ordered_pair",
            ),
            models.CheckConstraint(
                condition=models.Q(strength__gte=1, strength__lte=5),
                name="relationship_strength_1_to_5",
            ),
        ]
        # Both directions are walked by the reverse search (referrals.connectors): a person's
        # ties are read from either side, with their strength, from the index alone.
        indexes = [
            models.Index(fields=["contact_a", "contact_b", "strength"], name="relationship_ties_a"),
            models.Index(fields=["contact_b", "contact_a", "strength"], name="relationship_ties_b"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_a} ↔ {self.contact_b}"

    def other(self, contact: Contact) -> Contact:
        return self.contact_b if contact.pk == self.contact_a_id else self.contact_a


class Activity(models.Model):
    """One line of a timeline: who did what, when — on a contact, a referral, or both."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="activities"
    )
    referral = models.ForeignKey(
        "referrals.Referral",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="activities",
    )
    verb = models.CharField(max_length=40)
    description = models.CharField(max_length=500)
    occurred_at = dates.DateTimeField()

    class Meta:
        verbose_name_plural = "activities"
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "-occurred_at"]),
            models.Index(fields=["referral", "-occurred_at"]),
        ]

    def __str__(self) -> str:
        return self.description


class ImportJob(models.Model):
    """One uploaded CSV file, from its preview to its commit (contacts.imports).

    The decoded text is kept until the import is done, so the preview and the commit plan
    from the same rows, and a large file can be committed by a worker. The preview is kept
    too: a reload shows it again rather than planning every row again. Progress while a
    worker runs lives in the cache (the commit is one transaction, invisible to other
    connections until it ends); the counts are stored here when it ends.
    """

    class Kind(models.TextChoices):
        LINKEDIN = "linkedin", "LinkedIn connections (Connections.csv)"
        CONTACTS = "contacts", "Contacts CSV"
        RELATIONSHIPS = "relationships", "Relationships CSV"

    class Status(models.TextChoices):
        PREVIEW = "preview", "Waiting for your confirmation"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PREVIEW)
    file_name = models.CharField(max_length=255, blank=True)
    encoding = models.CharField(max_length=40, blank=True)
    content = models.TextField(blank=True, help_text="The file's text; emptied once imported.")
    row_count = models.PositiveIntegerField(default=0)
    # Contacts CSV: column position (as text) → contact field, chosen on the preview.
    mapping = models.JSONField(default=dict, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    # What the preview page shows, planned once and kept with what it was planned from
    # (contacts.imports.jobs.import_job_preview); emptied once imported.
    preview = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = dates.DateTimeField(null=True, blank=True)
    finished_at = dates.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["team", "owner", "-created_at"])]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()}: {self.file_name or 'upload'} ({self.get_status_display()})"
        )

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
