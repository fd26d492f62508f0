"""Pages of the team's network: contacts, companies and who knows whom.

Each view fetches what it shows through contacts.selectors (already scoped to what the
user may see: another team's record is a 404), validates with a form and calls a
service. Permission choice: contacts, companies and relationships are the *team's*
records (DESIGN.md, Visibility), so any member of the team may view and edit them — the
reverse search is only as good as the graph everyone keeps up to date. A contact's own
page shows their referrals, readiness and deals too, so it lives in referrals
(referrals/views_contact.py), under this app's URL name (contacts:detail).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.forms.models import model_to_dict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.visibility import get_visible_or_404, working_team, working_team_or_none
from contacts import selectors
from contacts.exports import CONTACTS_KIND
from contacts.filters import CompanyFilter, ContactFilter
from contacts.forms import (
    COMPANY_FORM_FIELDS,
    CONTACT_FORM_FIELDS,
    RELATIONSHIP_FORM_FIELDS,
    CompanyForm,
    ContactForm,
    RelationshipCreateForm,
    RelationshipForm,
    TouchLogForm,
)
from contacts.models import Contact, ContactKind, Industry, Relationship
from contacts.services import (
    company_create,
    company_get_or_create_by_name,
    company_update,
    contact_create,
    contact_duplicates,
    contact_touch_log,
    contact_update,
    relationship_create,
    relationship_delete,
    relationship_update,
)
from core.filters import filters_in_force
from core.forms import add_service_errors
from core.http import parse_id
from exports.views import export_answer

PAGE_SIZE = 25
CONTACT_ADDED = "{name} was added."
CONTACT_SAVED = "{name} was saved."
COMPANY_ADDED = "{name} was added."
COMPANY_SAVED = "{name} was saved."
RELATIONSHIP_ADDED = "{a} and {b} are now linked."
RELATIONSHIP_SAVED = "The relationship between {a} and {b} was saved."
RELATIONSHIP_REMOVED = "{a} and {b} are no longer linked."
FIX_ERRORS = "Please correct the errors below; nothing was saved."


# --- Contacts -----------------------------------------------------------------------------


@require_GET
def contact_list(request):
    team = working_team_or_none(request)
    filterset = ContactFilter(
        request.GET, queryset=selectors.contact_list(user=request.user, team=team), request=request
    )
    filters = filters_in_force(filterset)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    company = None
    if filters.get("company"):
        company = (
            selectors.companies_visible(user=request.user).filter(pk=filters["company"]).first()
        )
    return render(
        request,
        "contacts/contact_list.html",
        {
            "page": page,
            "filters": filters,
            "filtered": bool(set(filters) - {"sort"}),
            # Filters a link may carry (the fit criteria, "not yet a client") that the
            # form shows no control for: kept when the form is sent again.
            "hidden_filters": [
                (name, "true" if value is True else "false" if value is False else value)
                for name, value in filters.items()
                if name == "prospective" or name.startswith("matches_")
            ],
            "owners": selectors.team_owners(team=team) if team else [],
            "kinds": ContactKind.choices,
            "industries": Industry.choices,
            "filter_company": company,
        },
    )


def _duplicates_for(team, form, exclude_pk=None) -> list[Contact]:
    data = getattr(form, "cleaned_data", {})
    found = contact_duplicates(
        team=team,
        email=data.get("email") or "",
        linkedin_url=data.get("linkedin_url") or "",
        exclude_pk=exclude_pk,
    )
    unique = {contact.pk: contact for contact in found.values()}
    return list(unique.values())


def _save_contact(request, *, form, team, contact: Contact | None) -> Contact:
    """Create the typed company if any, then the contact, all or nothing."""
    data = form.contact_data()
    new_company_name = (form.cleaned_data.get("new_company_name") or "").strip()
    # One transaction: a contact refused as a duplicate leaves no new company behind.
    with transaction.atomic():
        if new_company_name:
            data["company"], _ = company_get_or_create_by_name(team=team, name=new_company_name)
        if contact is None:
            owner = data.pop("owner", None) or request.user
            return contact_create(team=team, owner=owner, actor=request.user, **data)
        return contact_update(contact=contact, data=data, actor=request.user)


@require_http_methods(["GET", "POST"])
def contact_create_view(request):
    team = working_team(request)
    form = ContactForm(request.POST or None, team=team, initial={"owner": request.user.pk})
    duplicates = []
    if request.method == "POST":
        if form.is_valid():
            try:
                contact = _save_contact(request, form=form, team=team, contact=None)
            except ValidationError as error:
                duplicates = _duplicates_for(team, form)
                add_service_errors(form, error, {"name": "new_company_name"})
            else:
                messages.success(request, CONTACT_ADDED.format(name=contact.full_name))
                return redirect("contacts:detail", pk=contact.pk)
        messages.error(request, FIX_ERRORS)
    return render(
        request,
        "contacts/contact_form.html",
        {"form": form, "contact": None, "duplicates": duplicates},
    )


@require_http_methods(["GET", "POST"])
def contact_edit(request, pk: int):
    contact = get_visible_or_404(selectors.contact_for_page(user=request.user), pk=pk)
    form = ContactForm(
        request.POST or None,
        team=contact.team,
        initial=model_to_dict(contact, fields=CONTACT_FORM_FIELDS),
    )
    duplicates = []
    if request.method == "POST":
        if form.is_valid():
            try:
                contact = _save_contact(request, form=form, team=contact.team, contact=contact)
            except ValidationError as error:
                duplicates = _duplicates_for(contact.team, form, exclude_pk=contact.pk)
                add_service_errors(form, error, {"name": "new_company_name"})
                contact.refresh_from_db()  # the service set the refused values on it
            else:
                messages.success(request, CONTACT_SAVED.format(name=contact.full_name))
                return redirect("contacts:detail", pk=contact.pk)
        messages.error(request, FIX_ERRORS)
    return render(
        request,
        "contacts/contact_form.html",
        {"form": form, "contact": contact, "duplicates": duplicates},
    )


TOUCH_NOTED = "Noted: you were in touch with {name}."


@require_http_methods(["POST"])
def contact_touch_log_view(request, pk: int):
    """A call, a message or a meeting noted from the contact's page: on their timeline,
    and their last touch (contacts.services.contact_touch_log)."""
    contact = get_visible_or_404(selectors.contact_for_page(user=request.user), pk=pk)
    form = TouchLogForm(request.POST)
    if form.is_valid():
        try:
            contact_touch_log(
                contact=contact,
                actor=request.user,
                channel=form.cleaned_data["channel"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, TOUCH_NOTED.format(name=contact.full_name))
    else:
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
    return redirect("contacts:detail", pk=contact.pk)


@require_GET
def contact_export(request):
    """The contact list, with the same filters, as CSV: streamed at once when small, by a
    worker with a progress page when large (exports.views.export_answer)."""
    team = working_team_or_none(request)
    params = {
        "team_id": team.pk if team else None,
        # The list's filters by name; the worker rebuilds the list with them (contacts.exports).
        "filters": filters_in_force(ContactFilter(request.GET)),
    }
    stamp = timezone.localdate().isoformat()
    return export_answer(
        request,
        kind=CONTACTS_KIND,
        params=params,
        team_id=params["team_id"],
        file_name=f"contacts-{stamp}.csv",
    )


def _query_id(request, name: str) -> int | None:
    """An id from the query string, or None (see core.http.parse_id)."""
    return parse_id(request.GET.get(name))


def _search_team_id(request) -> int | None:
    team_id = _query_id(request, "team")
    if team_id is None:
        team = working_team_or_none(request)
        return team.pk if team else None
    return team_id


@require_GET
def contact_search(request):
    """Search-as-you-type for pickers: a few <option>s of the team's contacts."""
    exclude_pk = _query_id(request, "exclude")
    q = request.GET.get("q", "").replace("\x00", "").strip()  # PostgreSQL refuses NUL
    options = []
    if q:
        found = selectors.contact_search(
            user=request.user, team=_search_team_id(request), q=q, exclude_pk=exclude_pk
        )
        for person in found:
            label = "You" if person.user_id == request.user.pk else person.full_name
            company = person.company.name if person.company else ""
            detail = " · ".join(part for part in (company, person.email) if part)
            options.append((person.pk, f"{label} ({detail})" if detail else label))
    empty = "No one matches; try another name" if q else "— type above to find someone —"
    return render(request, "contacts/_options.html", {"options": options, "empty_label": empty})


@require_GET
def company_search(request):
    q = request.GET.get("q", "").replace("\x00", "").strip()  # PostgreSQL refuses NUL
    options = []
    if q:
        found = selectors.company_search(user=request.user, team=_search_team_id(request), q=q)
        options = [(company.pk, company.name) for company in found]
    return render(
        request,
        "contacts/_options.html",
        {
            "options": options,
            "trailing_blank": "— no company —",
            "empty_label": "No company matches; type a new name below" if q else "— no company —",
        },
    )


# --- Relationships ------------------------------------------------------------------------


def _back_to(relationship: Relationship, request) -> Contact:
    """The contact page the user came from (either person), else the first of the pair."""
    wanted = request.GET.get("contact") or request.POST.get("contact")
    if wanted == str(relationship.contact_b_id):
        return relationship.contact_b
    return relationship.contact_a


@require_http_methods(["GET", "POST"])
def relationship_create_view(request, pk: int):
    contact = get_visible_or_404(selectors.contact_for_page(user=request.user), pk=pk)
    you = Contact.objects.filter(user=request.user, team_id=contact.team_id).first()
    form = RelationshipCreateForm(request.POST or None, contact=contact, you=you)
    if request.method == "POST":
        if form.is_valid():
            other = form.cleaned_data["other"]
            try:
                relationship_create(
                    contact=contact,
                    other=other,
                    actor=request.user,
                    **{field: form.cleaned_data[field] for field in RELATIONSHIP_FORM_FIELDS},
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, RELATIONSHIP_ADDED.format(a=contact, b=other))
                return redirect("contacts:detail", pk=contact.pk)
        messages.error(request, FIX_ERRORS)
    return render(request, "contacts/relationship_form.html", {"form": form, "contact": contact})


@require_http_methods(["GET", "POST"])
def relationship_edit(request, pk: int):
    relationship = get_visible_or_404(selectors.relationship_for_page(user=request.user), pk=pk)
    back = _back_to(relationship, request)
    form = RelationshipForm(
        request.POST or None,
        initial=model_to_dict(relationship, fields=RELATIONSHIP_FORM_FIELDS),
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                relationship_update(
                    relationship=relationship,
                    data={field: form.cleaned_data[field] for field in RELATIONSHIP_FORM_FIELDS},
                    actor=request.user,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    RELATIONSHIP_SAVED.format(a=relationship.contact_a, b=relationship.contact_b),
                )
                return redirect("contacts:detail", pk=back.pk)
        messages.error(request, FIX_ERRORS)
    return render(
        request,
        "contacts/relationship_form.html",
        {"form": form, "relationship": relationship, "contact": back},
    )


@require_http_methods(["GET", "POST"])
def relationship_delete_view(request, pk: int):
    relationship = get_visible_or_404(selectors.relationship_for_page(user=request.user), pk=pk)
    back = _back_to(relationship, request)
    if request.method == "POST":
        a, b = relationship.contact_a, relationship.contact_b
        relationship_delete(relationship=relationship, actor=request.user)
        messages.success(request, RELATIONSHIP_REMOVED.format(a=a, b=b))
        return redirect("contacts:detail", pk=back.pk)
    return render(
        request,
        "contacts/relationship_confirm_delete.html",
        {"relationship": relationship, "contact": back, "other": relationship.other(back)},
    )


# --- Companies ----------------------------------------------------------------------------


@require_GET
def company_list(request):
    filterset = CompanyFilter(
        request.GET,
        queryset=selectors.company_list(user=request.user, team=working_team_or_none(request)),
    )
    filters = filters_in_force(filterset)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "contacts/company_list.html",
        {
            "page": page,
            "filters": filters,
            "filtered": bool(filters),
            "industries": Industry.choices,
        },
    )


@require_http_methods(["GET", "POST"])
def company_create_view(request):
    team = working_team(request)
    form = CompanyForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                company = company_create(team=team, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, COMPANY_ADDED.format(name=company.name))
                return redirect("contacts:company-detail", pk=company.pk)
        messages.error(request, FIX_ERRORS)
    return render(request, "contacts/company_form.html", {"form": form, "company": None})


@require_GET
def company_detail(request, pk: int):
    company = get_visible_or_404(selectors.companies_visible(user=request.user), pk=pk)
    people = company.contacts.select_related("owner").order_by("last_name", "first_name", "pk")
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "contacts/company_detail.html", {"company": company, "page": page})


@require_http_methods(["GET", "POST"])
def company_edit(request, pk: int):
    company = get_visible_or_404(selectors.companies_visible(user=request.user), pk=pk)
    form = CompanyForm(
        request.POST or None, initial=model_to_dict(company, fields=COMPANY_FORM_FIELDS)
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                company = company_update(company=company, data=form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
                company.refresh_from_db()
            else:
                messages.success(request, COMPANY_SAVED.format(name=company.name))
                return redirect("contacts:company-detail", pk=company.pk)
        messages.error(request, FIX_ERRORS)
    return render(request, "contacts/company_form.html", {"form": form, "company": company})
