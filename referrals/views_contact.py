"""A contact's own page: who they are and whom they know (contacts), with the referral
work around them — the referrals where they are the referrer or the prospect, the
user's roster entry for them, their latest readiness conversation, their deals and their
history. It composes both apps, so it lives here, above contacts; its URL keeps the
contacts' name (contacts:detail, referrals/urls_contacts.py).

The contact is the team's (any member sees it, another team's is a 404); the owned
records on the page (referrals, readiness, deals) still follow visible_owned.
"""

from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET

from accounts.visibility import get_visible_or_404
from contacts import rhythm
from contacts import selectors as contact_selectors
from contacts.forms import TouchLogForm
from contacts.models import RelationshipKind, RelationshipSource
from core.links import RowLinks
from referrals import selectors

STRENGTH_LABEL = "Strength {strength} of 5"
# As get_kind_display() and get_source_display() show them (a value without a label as is).
KIND_LABELS = dict(RelationshipKind.choices)
SOURCE_LABELS = dict(RelationshipSource.choices)


def _strength_dots(strength: int) -> str:
    return "●" * strength + "○" * (5 - strength)


@require_GET
def contact_detail(request, pk: int):
    user = request.user
    contact = get_visible_or_404(contact_selectors.contact_for_page(user=user), pk=pk)
    limit = selectors.DETAIL_SECTION_LIMIT
    shown = contact_selectors.RELATIONSHIP_LIMIT
    # One row more than shown tells whether there are more, without a count query.
    ties = contact_selectors.contact_ties(contact=contact, limit=shown + 1)
    # Up to a hundred rows: their links and labels are made here, once, rather than by
    # three {% url %} tags, two display methods and a date and numbers localized by the
    # template per row (half of the page's rendering).
    tie_links = RowLinks(
        edit=("contacts:relationship-edit", "pk"),
        remove=("contacts:relationship-delete", "pk"),
        other=("contacts:detail", "other_id"),
    )
    back = f"?contact={contact.pk}"  # the edit and remove pages come back here
    relationships = []
    for tie in ties[:shown]:
        links = tie_links.of(tie)
        relationships.append(
            {
                "name": tie.other_name,
                "company": tie.other_company,
                "is_you": tie.other_user_id == user.pk,
                "dots": _strength_dots(tie.strength),
                "strength": STRENGTH_LABEL.format(strength=tie.strength),
                "since": date_format(tie.since) if tie.since else "",
                "kind": KIND_LABELS.get(tie.kind, tie.kind),
                "source": SOURCE_LABELS.get(tie.source, tie.source).lower(),
                "links": {
                    "edit": links["edit"] + back,
                    "remove": links["remove"] + back,
                    "other": links["other"],
                },
            }
        )
    referral_links = RowLinks(detail=("referrals:referral-detail", "pk"))
    as_referrer = list(selectors.contact_referrals_as_referrer(user=user, contact=contact)[:limit])
    as_prospect = list(selectors.contact_referrals_as_prospect(user=user, contact=contact)[:limit])
    for referral in (*as_referrer, *as_prospect):
        referral.detail_url = referral_links.of(referral)["detail"]
    history = list(selectors.contact_readiness_history(user=user, contact=contact)[:limit])
    silent_for = (timezone.now() - contact.last_touch_at).days if contact.last_touch_at else None
    context = {
        "contact": contact,
        "is_you": contact.user_id == user.pk,
        "relationships": relationships,
        "more_relationships": len(ties) > shown,
        "as_referrer": as_referrer,
        "as_prospect": as_prospect,
        "readiness": history[0] if history else None,
        # Readiness history and what may be quoted (all of it: the readiness page).
        "readiness_history": history,
        "testimonials": [check for check in history if check.may_quote and check.testimonial],
        # Keeping in touch (contacts.rhythm).
        "rhythm_days": rhythm.rhythm_days(contact),
        "rhythm_is_default": contact.stay_in_touch_days is None,
        "silent_for": silent_for,
        "touch_form": TouchLogForm(),
        "roster_entry": selectors.contact_own_roster_entry(user=user, contact=contact),
        "deals": list(selectors.contact_deals(user=user, contact=contact)[:limit]),
        "timeline": list(selectors.contact_timeline(user=user, contact=contact)[:limit]),
        "timeline_limit": limit,
    }
    return render(request, "contacts/contact_detail.html", context)
