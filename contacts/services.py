"""Every write to the team's network goes through here."""

from collections.abc import Iterable
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, ProtectedError, Q, Value, When
from django.db.models.functions import Lower
from django.dispatch import Signal
from django.utils import timezone

from accounts.models import Team
from accounts.services import MemberAddResult, membership_provision
from accounts.visibility import is_manager_of
from accounts.zones import zone_of
from contacts.fit import fit_score
from contacts.links import normalize_linkedin_url
from contacts.models import (
    Activity,
    Channel,
    Company,
    Contact,
    ContactKind,
    IdealClientProfile,
    Relationship,
)
from core.errors import StateConflict
from core.text import fit_field

DUPLICATE_EMAIL = "A contact with this email already exists in your team: {name}."
DUPLICATE_LINKEDIN = "A contact with this LinkedIn URL already exists in your team: {name}."
DUPLICATE_COMPANY = "A company called {name} already exists in your team."
COMPANY_OF_OTHER_TEAM = "That company does not belong to your team."
RELATIONSHIP_WITH_ITSELF = "A contact cannot have a relationship with themselves."
RELATIONSHIP_EXISTS = "{a} and {b} are already linked; edit that relationship instead."
RELATIONSHIP_ACROSS_TEAMS = "Both people must belong to your team."
ONLY_OWNER_OR_MANAGER_DELETES = "Only the contact's owner or a manager of the team may delete it."
CONTACT_IN_USE = (
    "{name} is on referrals, deals or referrals given, which keep the history; "
    "the contact cannot be deleted. Change their kind instead."
)

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "function",
    "person_type",
    "kind",
    "client_since",
    "preferred_channel",
    "update_cadence",
    "linkedin_url",
    "notes",
    "last_contacted_on",
    "stay_in_touch_days",
)


def activity_record(
    *,
    team: Team,
    verb: str,
    description: str,
    actor=None,
    contact: Contact | None = None,
    referral=None,
    at: datetime | None = None,
) -> Activity:
    return Activity.objects.create(
        team=team,
        actor=actor,
        contact=contact,
        referral=referral,
        verb=verb,
        description=fit_field(Activity, "description", description),
        occurred_at=at or timezone.now(),
    )


# --- Touches: the last time we were in touch ---------------------------------------------


def touch_moment(*, day: date, user) -> datetime:
    """The moment a touch known only by its day stands for (a readiness conversation, a
    referral given, a deal opened): noon of that day on the rep's calendar, or now when
    that is earlier (today's touch is not in the future)."""
    moment = datetime.combine(day, time(12), tzinfo=zone_of(user))
    return min(moment, timezone.now())


def _later_of(model, field: str, value):
    """`value` where the column is empty or earlier, else the column: a touch recorded
    late (a call dated last week) never moves the last touch backwards."""
    return Case(
        When(Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": value}), then=Value(value)),
        default=F(field),
        output_field=model._meta.get_field(field),
    )


@transaction.atomic
def touch_record(
    *,
    user,
    contacts: Iterable[Contact],
    at: datetime | None = None,
    ties: Iterable[tuple[Contact, Contact]] = (),
) -> None:
    """Every touch recorded in Warmpath calls this, in the transaction of the touch: the
    rep (`user`) was in touch with `contacts` at `at` (now by default). Each contact's last
    touch, and the tie between the rep's own contact record and each of them, move to
    `at` unless they are later already; `ties` are pairs of other people who were in
    touch through it (a referrer who made an introduction and the prospect), whose tie
    moves the same way. `last_contacted_on`, the day the rep last spoke to them, follows
    on the rep's calendar. Ties that do not exist are not created. Three queries at most,
    whatever the number of contacts; no history rows (a touch is not an edit)."""
    at = at or timezone.now()
    ids = {contact.pk for contact in contacts}
    if not ids and not ties:
        return
    day = timezone.localdate(at, zone_of(user))
    if ids:
        Contact.objects.filter(pk__in=ids).update(
            last_touch_at=_later_of(Contact, "last_touch_at", at),
            last_contacted_on=_later_of(Contact, "last_contacted_on", day),
        )
    pairs = Q(pk__in=[])
    me = getattr(user, "contact_record", None) if user is not None else None
    if me is not None and ids:
        pairs |= Q(contact_a_id=me.pk, contact_b_id__in=ids)
        pairs |= Q(contact_b_id=me.pk, contact_a_id__in=ids)
    for one, other in ties:
        low, high = sorted((one.pk, other.pk))
        pairs |= Q(contact_a_id=low, contact_b_id=high)
    Relationship.objects.filter(pairs).update(
        last_touch_at=_later_of(Relationship, "last_touch_at", at)
    )


TOUCH_LOGGED = "{channel}: {note}"
TOUCH_LOGGED_BARE = "In touch by {channel}"
TOUCH_IN_FUTURE = "A touch cannot be dated in the future."


@transaction.atomic
def contact_touch_log(
    *, contact: Contact, actor, channel: str, note: str = "", at: datetime | None = None
) -> Activity:
    """A rep notes a call, a message or a meeting with someone outside any referral: one
    line on their timeline ("a note of a call"), and the touch (touch_record)."""
    now = timezone.now()
    errors = {}
    if channel not in Channel.values:
        errors["channel"] = "Pick how you were in touch."
    if at is not None and at > now + timezone.timedelta(minutes=1):
        errors["at"] = TOUCH_IN_FUTURE
    if errors:
        raise ValidationError(errors)
    at = at or now
    label = Channel(channel).label
    note = (note or "").strip()
    activity = activity_record(
        team=contact.team,
        actor=actor,
        contact=contact,
        verb="touch",
        description=TOUCH_LOGGED.format(channel=label, note=note)
        if note
        else TOUCH_LOGGED_BARE.format(channel=label.lower()),
        at=at,
    )
    touch_record(user=actor, contacts=[contact], at=at)
    return activity


# --- Ideal client profile and fit -----------------------------------------------------

# Sent with `contact_ids` once new fit scores of those contacts are stored, so the apps
# above that keep a copy of a fit (the roster's order: referrals.roster_fit) follow it.
fit_scores_changed = Signal()


def contact_fit_scores_refresh(*, contacts: Iterable[Contact]) -> int:
    """Recompute and store the fit score of these contacts; returns how many changed."""
    contacts = list(contacts)
    if not contacts:
        return 0
    team_ids = {contact.team_id for contact in contacts}
    profiles = {p.team_id: p for p in IdealClientProfile.objects.filter(team_id__in=team_ids)}
    changed = []
    for contact in contacts:
        score = fit_score(profiles.get(contact.team_id), contact)
        if score != contact.fit_score:
            contact.fit_score = score
            changed.append(contact)
    Contact.objects.bulk_update(changed, ["fit_score"], batch_size=1000)
    if changed:
        fit_scores_changed.send(Contact, contact_ids=[contact.pk for contact in changed])
    return len(changed)


@transaction.atomic
def ideal_client_profile_update(*, team: Team, data: dict) -> IdealClientProfile:
    """Save the team's profile and rescore every contact of the team against it. A value
    left empty where the column holds no null (a list of regions cleared in the admin,
    which Django's JSON form field reads as None) is the field's empty default: it was an
    IntegrityError, a 500."""
    profile, _ = IdealClientProfile.objects.select_for_update().get_or_create(team=team)
    for field, value in data.items():
        model_field = IdealClientProfile._meta.get_field(field)
        if value is None and not model_field.null and model_field.has_default():
            value = model_field.get_default()
        setattr(profile, field, value)
    profile.full_clean()
    profile.save()
    contacts = Contact.objects.filter(team=team).select_related("company")
    for start in range(0, contacts.count(), 2000):
        contact_fit_scores_refresh(contacts=contacts.order_by("pk")[start : start + 2000])
    return profile


# --- Companies --------------------------------------------------------------------------


def _check_company_name_free(*, team: Team, name: str, exclude_pk: int | None = None) -> None:
    clash = Company.objects.filter(team=team).annotate(lname=Lower("name"))
    clash = clash.filter(lname=name.strip().lower())
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": DUPLICATE_COMPANY.format(name=name.strip())})


@transaction.atomic
def company_create(*, team: Team, name: str, **fields) -> Company:
    _check_company_name_free(team=team, name=name)
    company = Company(team=team, name=name.strip(), **fields)
    company.full_clean()
    company.save()
    return company


@transaction.atomic
def company_update(*, company: Company, data: dict) -> Company:
    if "name" in data:
        # Trimmed as in company_create: "Hooli " stored would escape the per-team check.
        data = {**data, "name": data["name"].strip()}
        _check_company_name_free(team=company.team, name=data["name"], exclude_pk=company.pk)
    for field, value in data.items():
        setattr(company, field, value)
    company.full_clean()
    company.save()
    contact_fit_scores_refresh(contacts=company.contacts.all())
    return company


def company_get_or_create_by_name(*, team: Team, name: str) -> tuple[Company, bool]:
    name = name.strip()
    existing = (
        Company.objects.filter(team=team).annotate(lname=Lower("name")).filter(lname=name.lower())
    ).first()
    if existing:
        return existing, False
    return company_create(team=team, name=name), True


# --- Contacts ---------------------------------------------------------------------------


def contact_duplicates(
    *, team: Team, email: str = "", linkedin_url: str = "", exclude_pk: int | None = None
) -> dict[str, Contact]:
    """The existing contacts that a new or edited one would duplicate, by field name."""
    found: dict[str, Contact] = {}
    others = Contact.objects.filter(team=team)
    if exclude_pk:
        others = others.exclude(pk=exclude_pk)
    if email:
        match = others.filter(email__iexact=email.strip()).first()
        if match:
            found["email"] = match
    if linkedin_url:
        match = others.filter(linkedin_url=normalize_linkedin_url(linkedin_url)).first()
        if match:
            found["linkedin_url"] = match
    return found


def _validate_contact(contact: Contact) -> None:
    if contact.company_id and contact.company.team_id != contact.team_id:
        raise ValidationError({"company": COMPANY_OF_OTHER_TEAM})
    duplicates = contact_duplicates(
        team=contact.team,
        email=contact.email,
        linkedin_url=contact.linkedin_url,
        exclude_pk=contact.pk,
    )
    errors = {}
    if "email" in duplicates:
        errors["email"] = DUPLICATE_EMAIL.format(name=duplicates["email"].full_name)
    if "linkedin_url" in duplicates:
        errors["linkedin_url"] = DUPLICATE_LINKEDIN.format(
            name=duplicates["linkedin_url"].full_name
        )
    if errors:
        raise ValidationError(errors)
    contact.full_clean(validate_unique=False, validate_constraints=False)


@transaction.atomic
def contact_create(*, team: Team, owner, actor=None, **fields) -> Contact:
    """Create a contact. Refuses (ValidationError) a second contact with the same email or
    LinkedIn URL in the team: duplicates are flagged, never silently created twice."""
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown contact fields: {', '.join(sorted(unknown))}")
    fields["email"] = (fields.get("email") or "").strip()
    fields["linkedin_url"] = normalize_linkedin_url(fields.get("linkedin_url") or "")
    contact = Contact(team=team, owner=owner, **fields)
    _validate_contact(contact)
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:
        # Lost a race with a concurrent create of the same person.
        _validate_contact(contact)
        raise
    contact_fit_scores_refresh(contacts=[contact])
    activity_record(
        team=team,
        actor=actor or owner,
        contact=contact,
        verb="created",
        description="Added to Warmpath",
    )
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, data: dict, actor=None) -> Contact:
    unknown = set(data) - set(CONTACT_FIELDS) - {"owner"}
    if unknown:
        raise TypeError(f"Unknown contact fields: {', '.join(sorted(unknown))}")
    changed = [field for field, value in data.items() if getattr(contact, field) != value]
    for field, value in data.items():
        if field == "email":
            value = value.strip()
        elif field == "linkedin_url":
            value = normalize_linkedin_url(value)
        setattr(contact, field, value)
    _validate_contact(contact)
    contact.save()
    contact_fit_scores_refresh(contacts=[contact])
    if changed:
        labels = ", ".join(
            str(Contact._meta.get_field(field).verbose_name) for field in sorted(changed)
        )
        activity_record(
            team=contact.team,
            actor=actor,
            contact=contact,
            verb="updated",
            description=f"Updated {labels}",
        )
    return contact


def contact_delete(*, contact: Contact, actor) -> None:
    """Delete a contact: only its owner or a manager of its team may, and never one that
    referrals, deals or referrals given still point at (they keep the history)."""
    if contact.owner_id != actor.pk and not is_manager_of(actor, contact.team_id):
        raise PermissionDenied(ONLY_OWNER_OR_MANAGER_DELETES)
    try:
        with transaction.atomic():
            contact.delete()
    except ProtectedError:
        raise StateConflict(CONTACT_IN_USE.format(name=contact.full_name)) from None


def contact_names_of_user(user) -> tuple[str, str]:
    """The first and last name of a user's own contact record: the user's (150 characters
    each, the contact's 100) made to fit, the username when the first name is empty."""
    first_name = fit_field(Contact, "first_name", user.first_name)
    return (
        first_name or fit_field(Contact, "first_name", user.username),
        fit_field(Contact, "last_name", user.last_name),
    )


@transaction.atomic
def contact_for_user_ensure(*, user, team: Team) -> Contact:
    """The contact record that stands for a Warmpath user in their team, so their own ties
    are relationships like any other. Created once."""
    existing = Contact.objects.filter(user=user).first()
    if existing:
        return existing
    first_name, last_name = contact_names_of_user(user)
    contact = Contact.objects.create(
        team=team,
        owner=user,
        user=user,
        first_name=first_name,
        last_name=last_name,
        email=user.email if not contact_duplicates(team=team, email=user.email) else "",
        kind=ContactKind.COLLEAGUE,
    )
    return contact


@transaction.atomic
def team_member_add(
    *,
    team_name: str,
    username: str,
    role: str,
    password: str | None = None,
    email: str | None = None,
    first_name: str = "",
    last_name: str = "",
) -> MemberAddResult:
    """Provision a member (accounts.services.membership_provision: the team and the user
    when missing, the role in that team), with the contact record every member has, so
    their ties are relationships. Idempotent, like both of its steps."""
    result = membership_provision(
        team_name=team_name,
        username=username,
        role=role,
        password=password,
        email=email,
        first_name=first_name,
        last_name=last_name,
    )
    contact_for_user_ensure(user=result.membership.user, team=result.membership.team)
    return result


# --- Relationships ----------------------------------------------------------------------


@transaction.atomic
def relationship_create(
    *,
    contact: Contact,
    other: Contact,
    actor=None,
    kind: str = "other",
    strength: int = 3,
    since=None,
    source: str = "told",
    notes: str = "",
) -> Relationship:
    """Record that two people know each other. Symmetric (stored once per pair, lower id
    first), never with oneself, never twice, never across teams."""
    if contact.pk == other.pk:
        raise ValidationError(RELATIONSHIP_WITH_ITSELF)
    if contact.team_id != other.team_id:
        raise ValidationError(RELATIONSHIP_ACROSS_TEAMS)
    low, high = sorted((contact, other), key=lambda person: person.pk)
    if Relationship.objects.filter(contact_a=low, contact_b=high).exists():
        raise ValidationError(RELATIONSHIP_EXISTS.format(a=contact, b=other))
    relationship = Relationship(
        team_id=contact.team_id,
        contact_a=low,
        contact_b=high,
        kind=kind,
        strength=strength,
        since=since,
        source=source,
        notes=notes,
        created_by=actor,
    )
    relationship.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            relationship.save()
    except IntegrityError:
        raise ValidationError(RELATIONSHIP_EXISTS.format(a=contact, b=other)) from None
    for person, counterpart in ((contact, other), (other, contact)):
        activity_record(
            team=contact.team,
            actor=actor,
            contact=person,
            verb="relationship",
            description=f"Knows {counterpart} ({relationship.get_kind_display().lower()}, "
            f"strength {strength})",
        )
    return relationship


@transaction.atomic
def relationship_update(*, relationship: Relationship, data: dict, actor=None) -> Relationship:
    allowed = {"kind", "strength", "since", "source", "notes"}
    unknown = set(data) - allowed
    if unknown:
        raise TypeError(f"Unknown relationship fields: {', '.join(sorted(unknown))}")
    for field, value in data.items():
        setattr(relationship, field, value)
    relationship.full_clean(validate_unique=False, validate_constraints=False)
    relationship.save()
    return relationship


@transaction.atomic
def relationship_delete(*, relationship: Relationship, actor=None) -> None:
    for person, counterpart in (
        (relationship.contact_a, relationship.contact_b),
        (relationship.contact_b, relationship.contact_a),
    ):
        activity_record(
            team=relationship.team,
            actor=actor,
            contact=person,
            verb="relationship_removed",
            description=f"No longer linked to {counterpart}",
        )
    relationship.delete()
