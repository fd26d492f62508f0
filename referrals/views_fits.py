"""The ideal client profile's good fits, and putting them on the roster in one go.

The method's roster is "people who fit the ideal client profile and have not done business
with us yet". This page is the team's contact list (contacts.selectors.contact_list and its
one FilterSet, contacts.filters.ContactFilter, the API's too) with `prospective=true` and,
unless the query says otherwise, `sort=fit`: clients, former clients and the team's own
members are left out, the best fit first. It is filterable by fit and by each criterion
the profile sets; the same rows are /api/v1/contacts/?prospective=true&sort=fit&….

Ticked rows go on the user's own roster through referrals.services.roster_entry_create_many,
all or nothing: a refused row (already on the roster, listed twice…) says why on its row,
and nothing is added until every ticked row can be.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.visibility import working_team
from contacts import selectors as contact_selectors
from contacts.filters import SORT_FIT, ContactFilter
from contacts.fit import CRITERIA, GOOD_FIT_SCORE, criteria_set, fit_criteria
from core.filters import filters_in_force
from core.http import parse_id
from referrals import selectors
from referrals.forms import RosterFitRowForm
from referrals.services import RosterRowsRefused, roster_entry_create_many

PAGE_SIZE = 25
# The most rows one bulk add takes (a page is 25; a crafted form may send more).
MAX_ROWS = 100
ADDED = "{count} {people} added to your roster. Now find who can introduce you."
NOTHING_TICKED = "Tick the people to add to your roster; nothing was added."
FIX_ROWS = "Please correct the rows below; nothing was added."


def _params(request):
    """The query string as the contact list's FilterSet reads it here: never clients
    (prospective=true, whatever is sent), the best fit first unless told otherwise."""
    params = request.GET.copy()
    params["prospective"] = "true"
    if not params.get("sort"):
        params["sort"] = SORT_FIT
    return params


def _fits(request, team) -> ContactFilter:
    return ContactFilter(
        _params(request),
        queryset=contact_selectors.contact_list(user=request.user, team=team),
        request=request,
    )


def _row(contact, profile, form, entry=None) -> dict:
    criteria = fit_criteria(profile, contact)
    matched = [criterion.label for criterion in criteria if criterion.matched]
    missed = [criterion.label for criterion in criteria if not criterion.matched]
    return {
        "contact": contact,
        "form": form,
        "entry": entry,
        "matched": matched,
        "missed": missed,
    }


@require_http_methods(["GET", "POST"])
def fits(request):
    team = working_team(request)
    profile = contact_selectors.ideal_client_profile_for_team(team)
    filterset = _fits(request, team)
    filters = filters_in_force(filterset)
    if request.method == "POST":
        answer, rows = _add(request, team=team, profile=profile)
        if answer is not None:
            return answer
        page = None  # the posted rows again, with their errors
    else:
        page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
        on_roster = selectors.own_roster_entries_by_prospect(
            user=request.user, prospect_ids=[contact.pk for contact in page]
        )
        rows = [
            _row(
                contact,
                profile,
                None if contact.pk in on_roster else RosterFitRowForm(prefix=f"row-{contact.pk}"),
                on_roster.get(contact.pk),
            )
            for contact in page
        ]
    set_criteria = criteria_set(profile)
    return render(
        request,
        "referrals/fits.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "filtered": bool(set(filters) - {"prospective", "sort"}),
            # Each criterion the profile sets, with its filter's state ("true", "false", "").
            "criteria": [
                (key, CRITERIA[key], _state(filters.get(f"matches_{key}"))) for key in set_criteria
            ],
            "good_fit": GOOD_FIT_SCORE,
            "profile": profile,
        },
    )


def _state(value) -> str:
    return "" if value is None else "true" if value else "false"


def _add(request, *, team, profile):
    """Put the ticked rows on the user's roster: (a redirect to the roster, None), or
    (None, the posted rows to show again with their errors)."""
    ids = []
    for value in request.POST.getlist("row")[:MAX_ROWS]:
        contact_id = parse_id(value)
        if contact_id is not None and contact_id not in ids:
            ids.append(contact_id)
    # Only the team's contacts the user sees, and never a client (the page's own rule);
    # not the list's other filters: a row ticked stays ticked if its fit moved meanwhile.
    candidates = contact_selectors.contact_list(user=request.user, team=team).exclude(
        contact_selectors.done_business_condition()
    )
    found = {contact.pk: contact for contact in candidates.filter(pk__in=ids).order_by()}
    contacts = [found[pk] for pk in ids if pk in found]
    forms = [RosterFitRowForm(request.POST, prefix=f"row-{contact.pk}") for contact in contacts]
    rows = [_row(contact, profile, form) for contact, form in zip(contacts, forms, strict=True)]
    if not all(form.is_valid() for form in forms):
        messages.error(request, FIX_ROWS)
        return None, rows
    ticked = [(row, row["form"]) for row in rows if row["form"].cleaned_data["add"]]
    if not ticked:
        messages.error(request, NOTHING_TICKED)
        return None, rows
    try:
        entries = roster_entry_create_many(
            owner=request.user,
            team=team,
            rows=[
                {
                    "prospect": row["contact"],
                    "priority": form.cleaned_data["priority"],
                    "reason": form.cleaned_data["reason"],
                }
                for row, form in ticked
            ],
        )
    except RosterRowsRefused as refused:
        for index, error in refused.rows.items():
            row, form = ticked[index]
            form.add_error(None, error.messages)
            row["entry"] = refused.existing.get(index)
        messages.error(request, refused.message)
        return None, rows
    count = len(entries)
    messages.success(
        request, ADDED.format(count=count, people="person" if count == 1 else "people")
    )
    return redirect("referrals:roster"), rows
