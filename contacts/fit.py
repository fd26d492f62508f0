"""Fit of a contact against the team's ideal client profile (ICP), 0–100.

Each criterion the profile sets contributes its weight when the contact matches it;
criteria the profile leaves empty do not count (they neither help nor hurt). The score
is the matched weight over the weight of the criteria that are set, scaled to 100. A
profile with nothing set scores everyone 0: "fit" means nothing until the team says what
it wants.

Stored on the contact (Contact.fit_score) by contacts.services.contact_fit_scores_refresh
whenever a contact or the profile changes; the CSV import computes it as it writes.

Each criterion is also a database condition (`criterion_condition`), so that a list can
be filtered by "matches the profile's industry" and so on; the two are kept in step here,
side by side, and tests/test_fit_filters.py proves they agree on generated contacts.
"""

from dataclasses import dataclass

from django.db.models import F, Q, TextField, Value
from django.db.models.functions import Coalesce, Concat, Lower, Trim
from django.db.models.lookups import IContains, In

from contacts.models import Contact, IdealClientProfile

# A contact "fits well" from this score on (the ICP page counts them; the roster marks them).
GOOD_FIT_SCORE = 70


# The criteria, by the key a filter names them with, and how a person reads them.
CRITERIA = {
    "industry": "industry",
    "region": "region",
    "size": "company size",
    "function": "function",
    "person_type": "type of person",
    "situation": "situation",
}


@dataclass(frozen=True)
class Criterion:
    label: str
    weight: int
    matched: bool
    key: str = ""


def _words(values) -> set[str]:
    """Free-text entries (regions, keywords) as compared: trimmed, lower case, blanks
    dropped — a blank left by a trailing comma must neither match an empty region nor
    every text, nor count as a criterion the profile sets."""
    return {value.strip().lower() for value in values or () if value and value.strip()}


def fit_criteria(profile: IdealClientProfile, contact: Contact) -> list[Criterion]:
    company = contact.company
    criteria: list[Criterion] = []
    if profile.industries:
        criteria.append(
            Criterion(
                "industry",
                profile.weight_industry,
                bool(company and company.industry in profile.industries),
                "industry",
            )
        )
    wanted_regions = _words(profile.regions)
    if wanted_regions:
        places = _words([company.region, company.country]) if company else set()
        criteria.append(
            Criterion("region", profile.weight_region, bool(wanted_regions & places), "region")
        )
    if profile.min_employees is not None or profile.max_employees is not None:
        size = company.employee_count if company else None
        matched = size is not None
        if matched and profile.min_employees is not None:
            matched = size >= profile.min_employees
        if matched and profile.max_employees is not None:
            matched = size <= profile.max_employees
        criteria.append(Criterion("company size", profile.weight_size, matched, "size"))
    if profile.functions:
        criteria.append(
            Criterion(
                "function",
                profile.weight_function,
                contact.function in profile.functions,
                "function",
            )
        )
    if profile.person_types:
        criteria.append(
            Criterion(
                "type of person",
                profile.weight_person_type,
                contact.person_type in profile.person_types,
                "person_type",
            )
        )
    keywords = _words(profile.situation_keywords)
    if keywords:
        text = f"{contact.title} {contact.notes}".lower()
        criteria.append(
            Criterion(
                "situation",
                profile.weight_situation,
                any(keyword in text for keyword in keywords),
                "situation",
            )
        )
    return criteria


def fit_score(profile: IdealClientProfile | None, contact: Contact) -> int:
    if profile is None:
        return 0
    criteria = fit_criteria(profile, contact)
    total = sum(criterion.weight for criterion in criteria)
    if total == 0:
        return 0
    matched = sum(criterion.weight for criterion in criteria if criterion.matched)
    # Half up, as people round (62.5 → 63), not Python's round-half-to-even.
    return (200 * matched + total) // (2 * total)


def criteria_set(profile: IdealClientProfile | None) -> list[str]:
    """The keys of the criteria the profile sets (the others do not count)."""
    if profile is None:
        return []
    return [key for key in CRITERIA if criterion_condition(profile, key) is not None]


def criterion_condition(profile: IdealClientProfile, key: str) -> Q | None:
    """The database's reading of one criterion of `fit_criteria` for contacts of the
    profile's team: the contacts who match it, or None when the profile does not set it.
    Null-safe, so that its negation lists exactly the contacts who do not match (a
    companyless contact matches no company criterion)."""
    if key == "industry":
        return Q(company__industry__in=profile.industries) if profile.industries else None
    if key == "region":
        wanted = sorted(_words(profile.regions))
        if not wanted:
            return None
        return Q(In(_lower_trimmed("company__region"), wanted)) | Q(
            In(_lower_trimmed("company__country"), wanted)
        )
    if key == "size":
        if profile.min_employees is None and profile.max_employees is None:
            return None
        size = Q(company__employee_count__isnull=False)
        if profile.min_employees is not None:
            size &= Q(company__employee_count__gte=profile.min_employees)
        if profile.max_employees is not None:
            size &= Q(company__employee_count__lte=profile.max_employees)
        return size
    if key == "function":
        return Q(function__in=profile.functions) if profile.functions else None
    if key == "person_type":
        return Q(person_type__in=profile.person_types) if profile.person_types else None
    if key == "situation":
        keywords = sorted(_words(profile.situation_keywords))
        if not keywords:
            return None
        text = Concat(F("title"), Value(" "), F("notes"), output_field=TextField())
        condition = Q(pk__in=[])
        for keyword in keywords:
            condition |= Q(IContains(text, keyword))
        return condition
    raise ValueError(f"Unknown criterion: {key}")


def _lower_trimmed(field: str):
    # A company's missing place reads as "", which no wanted place is (_words drops blanks):
    # NOT (NULL IN …) would be NULL, and the contact would be neither a match nor not one.
    return Coalesce(Lower(Trim(field)), Value(""), output_field=TextField())
