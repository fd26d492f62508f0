"""Fit of a contact against the team's ideal client profile (ICP), 0–100.

Each criterion the profile sets contributes its weight when the contact matches it;
criteria the profile leaves empty do not count (they neither help nor hurt). The score
is the matched weight over the weight of the criteria that are set, scaled to 100. A
profile with nothing set scores everyone 0: "fit" means nothing until the team says what
it wants.

Stored on the contact (Contact.fit_score) by contacts.services.contact_fit_scores_refresh
whenever a contact or the profile changes; the CSV import computes it as it writes.
"""

from dataclasses import dataclass

from contacts.models import Contact, IdealClientProfile

# A contact "fits well" from this score on (the ICP page counts them; the roster marks them).
GOOD_FIT_SCORE = 70


@dataclass(frozen=True)
class Criterion:
    label: str
    weight: int
    matched: bool


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
            )
        )
    wanted_regions = _words(profile.regions)
    if wanted_regions:
        places = _words([company.region, company.country]) if company else set()
        criteria.append(Criterion("region", profile.weight_region, bool(wanted_regions & places)))
    if profile.min_employees is not None or profile.max_employees is not None:
        size = company.employee_count if company else None
        matched = size is not None
        if matched and profile.min_employees is not None:
            matched = size >= profile.min_employees
        if matched and profile.max_employees is not None:
            matched = size <= profile.max_employees
        criteria.append(Criterion("company size", profile.weight_size, matched))
    if profile.functions:
        criteria.append(
            Criterion("function", profile.weight_function, contact.function in profile.functions)
        )
    if profile.person_types:
        criteria.append(
            Criterion(
                "type of person",
                profile.weight_person_type,
                contact.person_type in profile.person_types,
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
