"""The roster's copy of each prospect's fit (RosterEntry.prospect_fit), so that the roster
is read in its order from an index. An entry takes its prospect's fit when it is saved
with its prospect (RosterEntry.save); this follows the fit when it changes afterwards
(contacts.services.fit_scores_changed: a contact edited, a company edited, the team's
ideal client profile rewritten)."""

from collections.abc import Iterable

from django.db.models import OuterRef, Subquery

from contacts.models import Contact
from referrals.models import RosterEntry


def prospect_fits_copy(*, contact_ids: Iterable[int]) -> int:
    """Copy these contacts' fit to the roster entries naming them; returns the number of
    entries written. One statement; the entries' `updated_at` stays (no one edited them)."""
    return RosterEntry.objects.filter(prospect_id__in=list(contact_ids)).update(
        prospect_fit=Subquery(
            Contact.objects.filter(pk=OuterRef("prospect_id")).values("fit_score")[:1]
        )
    )


def fit_scores_changed(sender, *, contact_ids, **kwargs) -> None:
    prospect_fits_copy(contact_ids=contact_ids)
