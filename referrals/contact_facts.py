"""What a contact's own row says of their asks and readiness, kept with those rows.

Contact.last_asked_at (their latest ask as a referrer), asks_made and asks_declined (how
the introductions asked of them went: made — confirmed or any later step — or declined)
and green_light (the answer of their latest readiness conversation, empty before one) are
derived from the referrals and readiness conversations. The reverse search ranks every
person it finds by them (referrals.ranking) and the share of clients asked counts the
clients by their latest ask (reporting.kpis): read from the contact's row and its
indexes, instead of looked up among the asks for each of thousands of people.

They are kept exact here on every write that can change them — a referral asked,
deleted, moved to another referrer or moment, or moved to another step; a readiness
conversation recorded, edited or deleted — through Django's signals, which services, the
admin and fixtures all send. Writers that bypass them (the bulk seed) call
`contact_facts_rebuild` afterwards; the migrations that added the columns filled them the
same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, IntegerField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from contacts.models import Contact
from referrals.models import ReadinessCheck, Referral

# An introduction asked of someone was made (confirmed or any later step) or declined.
MADE = [
    Referral.Status.CONFIRMED,
    Referral.Status.CONTACTED,
    Referral.Status.MEETING,
    Referral.Status.WON,
    Referral.Status.LOST,
]


def _of_referrer(**aggregate):
    ((name, expression),) = aggregate.items()
    return Subquery(
        Referral.objects.filter(referrer=OuterRef("pk"))
        .order_by()
        .values("referrer")
        .annotate(**{name: expression})
        .values(name)
    )


def _asks() -> dict:
    return {
        "last_asked_at": _of_referrer(latest=Max("asked_at")),
        "asks_made": Coalesce(
            _of_referrer(made=Count("pk", filter=Q(status__in=MADE))),
            0,
            output_field=IntegerField(),
        ),
        "asks_declined": Coalesce(
            _of_referrer(declined=Count("pk", filter=Q(status=Referral.Status.DECLINED))),
            0,
            output_field=IntegerField(),
        ),
    }


def _green_light():
    return Subquery(
        ReadinessCheck.objects.filter(client=OuterRef("pk"))
        .order_by("-checked_on", "-id")
        .values("green_light")[:1]
    )


def _ids(values: Iterable[int | None]) -> set[int]:
    return {pk for pk in values if pk is not None}


def asks_refresh(referrer_ids: Iterable[int | None]) -> None:
    """These people's latest ask and answers, from their referrals."""
    if ids := _ids(referrer_ids):
        Contact.objects.filter(pk__in=ids).update(**_asks())


def readiness_refresh(client_ids: Iterable[int | None]) -> None:
    """These people's green light, from their latest readiness conversation."""
    if ids := _ids(client_ids):
        Contact.objects.filter(pk__in=ids).update(green_light=_green_light())


def contact_facts_rebuild(*, team_ids: Iterable[int] | None = None) -> int:
    """Every contact's facts from the rows (of these teams, else all); how many contacts
    were written."""
    contacts = Contact.objects.all()
    if team_ids is not None:
        contacts = contacts.filter(team_id__in=list(team_ids))
    return contacts.update(**_asks(), green_light=_green_light())


def _referral_as_now(referral: Referral) -> tuple:
    return (referral.referrer_id, referral.asked_at, referral.status)


def referral_after_save(sender, instance: Referral, created: bool, **kwargs) -> None:
    # Referral.from_db remembers what was loaded; a step that changes none of these
    # (a note, a value, a quality) writes nothing here.
    loaded = getattr(instance, "_facts_as_loaded", None)
    now = _referral_as_now(instance)
    if created or loaded != now:
        asks_refresh({instance.referrer_id, loaded[0] if loaded else None})
    instance._facts_as_loaded = now


def referral_after_delete(sender, instance: Referral, **kwargs) -> None:
    asks_refresh({instance.referrer_id})


def readiness_after_save(sender, instance: ReadinessCheck, **kwargs) -> None:
    readiness_refresh({instance.client_id, getattr(instance, "_client_as_loaded", None)})
    instance._client_as_loaded = instance.client_id


def readiness_after_delete(sender, instance: ReadinessCheck, **kwargs) -> None:
    readiness_refresh({instance.client_id})
