"""Contact.last_asked_at: the latest ask of each person as a referrer, kept with the asks.

The share of clients asked in a 90-day window (reporting.kpis.clients_asked_share) reads
each client's latest ask from one index rather than looking for an ask of every client of
the team. The column is derived, so it is kept exact here on every write of a referral
that can change it — one asked, deleted, or moved to another referrer or another moment
— through Django's signals, which services, the admin and fixtures all send. Writers that
bypass them (the bulk seed) call `last_asked_rebuild` afterwards; the migration that added
the column filled it the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Max, OuterRef, Subquery

from contacts.models import Contact
from referrals.models import Referral


def _latest_ask():
    return Subquery(
        Referral.objects.filter(referrer=OuterRef("pk"))
        .order_by()
        .values("referrer")
        .annotate(latest=Max("asked_at"))
        .values("latest")
    )


def last_asked_refresh(referrer_ids: Iterable[int | None]) -> None:
    """Set these people's last_asked_at from their asks (empty when none is left)."""
    ids = {pk for pk in referrer_ids if pk is not None}
    if ids:
        Contact.objects.filter(pk__in=ids).update(last_asked_at=_latest_ask())


def last_asked_rebuild(*, team_ids: Iterable[int] | None = None) -> int:
    """Every contact's last_asked_at from the asks (of these teams, else all); how many
    contacts were written."""
    contacts = Contact.objects.all()
    if team_ids is not None:
        contacts = contacts.filter(team_id__in=list(team_ids))
    return contacts.update(last_asked_at=_latest_ask())


def last_asked_after_save(sender, instance: Referral, created: bool, **kwargs) -> None:
    loaded = getattr(instance, "_asked_as_loaded", None)
    now = (instance.referrer_id, instance.asked_at)
    if created or loaded != now:
        last_asked_refresh({instance.referrer_id, loaded[0] if loaded else None})
    instance._asked_as_loaded = now


def last_asked_after_delete(sender, instance: Referral, **kwargs) -> None:
    last_asked_refresh({instance.referrer_id})
