"""Stay in touch: how often each person should hear from us, and who is going cold.

A contact's rhythm is their own `stay_in_touch_days`, or else the default of their kind:
clients every 30 days, partners (who refer) every 45, former clients every 60,
colleagues and others every 90; prospects have none (the roster pursues them). A contact
goes cold when the rhythm has passed since the last touch (contacts.services.
touch_record), or since they were added when nobody has been in touch on record yet. Any
touch starts the silence again. The records of Warmpath's own users are never cold.

The test is written per rhythm (one term per distinct value), so it runs on every
database Warmpath supports without interval arithmetic in SQL.
"""

from datetime import datetime, timedelta

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce

from contacts.models import Contact, ContactKind

DEFAULT_DAYS: dict[str, int | None] = {
    ContactKind.CLIENT: 30,
    ContactKind.PARTNER: 45,
    ContactKind.FORMER_CLIENT: 60,
    ContactKind.COLLEAGUE: 90,
    ContactKind.OTHER: 90,
    ContactKind.PROSPECT: None,
}


def rhythm_days(contact: Contact) -> int | None:
    """Every how many days this person should hear from us (None: no rhythm)."""
    return contact.stay_in_touch_days or DEFAULT_DAYS.get(contact.kind)


def with_silence(contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    """`silent_since`: the last touch, or when they were added."""
    return contacts.annotate(silent_since=Coalesce(F("last_touch_at"), F("created_at")))


def cold_filter(*, now: datetime, custom_days, went_cold_after: datetime | None = None) -> Q:
    """Contacts (annotated by with_silence) whose rhythm has passed at `now`; with
    `went_cold_after`, only those that went cold after that moment. `custom_days`: the
    distinct stay_in_touch_days values that may occur (contacts_custom_rhythms)."""

    def silent_for(days: int) -> Q:
        term = Q(silent_since__lte=now - timedelta(days=days))
        if went_cold_after is not None:
            term &= Q(silent_since__gt=went_cold_after - timedelta(days=days))
        return term

    test = Q(pk__in=[])
    for kind, days in DEFAULT_DAYS.items():
        if days is not None:
            test |= Q(stay_in_touch_days__isnull=True, kind=kind) & silent_for(days)
    custom = sorted({days for days in custom_days if days})
    for days in custom:
        test |= Q(stay_in_touch_days=days) & silent_for(days)
    # Implied by every term above — nobody is cold before the shortest rhythm has passed
    # — and one range of an index (contact_owner_silence), where the terms are not.
    shortest = min([days for days in DEFAULT_DAYS.values() if days is not None] + custom)
    return test & Q(user__isnull=True) & Q(silent_since__lte=now - timedelta(days=shortest))


def custom_rhythms(contacts: QuerySet[Contact]) -> list[int]:
    return list(
        contacts.filter(stay_in_touch_days__isnull=False)
        .order_by()
        .values_list("stay_in_touch_days", flat=True)
        .distinct()
    )


def going_cold(contacts: QuerySet[Contact], *, now: datetime) -> QuerySet[Contact]:
    """Of `contacts`, those gone cold at `now`, longest silent first."""
    contacts = with_silence(contacts)
    return contacts.filter(cold_filter(now=now, custom_days=custom_rhythms(contacts))).order_by(
        "silent_since", "pk"
    )
