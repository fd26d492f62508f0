"""Pages of the rep's referral work: roster, readiness, asks and their steps, deals and the
referrals we give. (The team's ideal client profile is contacts': contacts/views_profile.py.)

Each view fetches what it shows through referrals.selectors (scoped by
accounts.visibility: another rep's or team's record is a 404), validates with a form, and
writes through referrals.services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import model_to_dict
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.visibility import get_visible_or_404
from contacts.fit import GOOD_FIT_SCORE
from core.http import parse_id, safe_next_url
from core.search import words_match
from referrals import connectors, forms, selectors, services
from referrals.models import Referral, RosterEntry

PAGE_SIZE = 25
NO_TEAM = "Join a team to keep a roster and record referrals."

ROSTER_ADDED = "{prospect} is on your roster."
ROSTER_SAVED = "Roster entry for {prospect} saved."
ROSTER_REMOVED = "{prospect} is off the roster."
READINESS_RECORDED = "Readiness conversation with {client} recorded."
READINESS_GREEN_LIGHT = "{client} gave the green light: you may ask them for introductions."
ASK_RECORDED = "Ask recorded: {referrer} → {prospect}. Thank {referrer} within a day."
REFERRAL_SAVED = "Referral saved."
STEP_RECORDED = "{referral}: {status}."
DEAL_SAVED = "Deal saved."
GIVEN_RECORDED = "Introduction for {client} recorded. Reciprocity counts."


# --- Helpers ------------------------------------------------------------------------------


def _team_or_404(request):
    """The team a page writes into: the one the user works in now."""
    if not request.membership:
        raise Http404(NO_TEAM)
    return request.membership.team


def _list_team(request):
    """Lists show the team the user works in; staff without a team see every team."""
    return request.membership.team if request.membership else None


def _is_manager(request) -> bool:
    return bool(request.membership) and request.membership.is_manager


def _owners(request):
    """Reps a manager may filter by (None for reps: they only see their own records)."""
    if not _is_manager(request):
        return None
    return User.objects.filter(memberships__team=request.membership.team).order_by(
        "first_name", "last_name", "username"
    )


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _int_param(request, name):
    return parse_id(request.GET.get(name))


def _add_service_errors(form, error: ValidationError, field_map=None) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one,
    else at the top."""
    field_map = field_map or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, field_errors in error.message_dict.items():
        target = field_map.get(field, field)
        form.add_error(target if target in form.fields else None, field_errors)


# --- Contact pickers ----------------------------------------------------------------------


@require_GET
def contact_options(request):
    """<option>s for a contact picker: a handful of the team's contacts matching `q`."""
    contacts = selectors.contact_search(
        request.user,
        team=_list_team(request),
        # PostgreSQL refuses NUL in a query's text: dropped, like DRF's search does.
        query=request.GET.get("q", "").replace("\x00", "")[:100],
        prefer_kind=request.GET.get("kind", "").replace("\x00", ""),
    )
    return render(
        request,
        "referrals/_contact_options.html",
        {"options": [(contact.pk, forms.contact_label(contact)) for contact in contacts]},
    )


@require_GET
def referrer_warning(request):
    """The green-light warning for the referrer picked on the ask form (htmx)."""
    warning = None
    referrer_id = _int_param(request, "referrer")
    if referrer_id and request.membership:
        referrer = (
            selectors.contacts_for_picking(request.user, team=request.membership.team)
            .filter(pk=referrer_id)
            .first()
        )
        if referrer is not None:
            warning = services.referrer_warning(referrer=referrer)
    return render(request, "referrals/_referrer_warning.html", {"warning": warning})


# --- Roster -------------------------------------------------------------------------------


def roster(request):
    owners = _owners(request)
    form = forms.RosterFilterForm(request.GET or None, owners=owners)
    entries = selectors.roster_for_user(request.user, team=_list_team(request))
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            entries = entries.filter(
                words_match(
                    data["q"],
                    (
                        "prospect__first_name",
                        "prospect__last_name",
                        "prospect__email",
                        "prospect__company__name",
                        "reason",
                    ),
                )
            )
        if data["status"]:
            entries = entries.filter(status=data["status"])
        if data["priority"]:
            entries = entries.filter(priority=data["priority"])
        if data.get("owner"):
            entries = entries.filter(owner=data["owner"])
    page = _page(request, entries)
    # The best warm path to each prospect of the page, in one query.
    best = connectors.best_connectors_for(targets=[e.prospect for e in page], user=request.user)
    for entry in page:
        entry.best_connector = best.get(entry.prospect_id)
    return render(
        request,
        "referrals/roster.html",
        {
            "page": page,
            "filter_form": form,
            "show_owner": owners is not None,
            "good_fit": GOOD_FIT_SCORE,
            "filtered": any(request.GET.get(key) for key in form.fields),
        },
    )


def roster_create(request):
    team = _team_or_404(request)
    initial = {}
    if prospect_id := _int_param(request, "prospect"):
        initial["prospect"] = prospect_id
    form = forms.RosterEntryCreateForm(
        request.POST or None, user=request.user, team=team, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["prospect"] is not None:
                entry = services.roster_entry_create(
                    owner=request.user,
                    team=team,
                    prospect=data["prospect"],
                    priority=data["priority"],
                    reason=data["reason"],
                )
            else:
                entry = services.roster_entry_create_for_new_prospect(
                    owner=request.user,
                    team=team,
                    first_name=data["new_first_name"],
                    last_name=data["new_last_name"],
                    email=data["new_email"],
                    company_name=data["new_company"],
                    priority=data["priority"],
                    reason=data["reason"],
                )
        except ValidationError as error:
            _add_service_errors(
                form,
                error,
                {
                    "email": "new_email",
                    "first_name": "new_first_name",
                    "last_name": "new_last_name",
                    "name": "new_company",
                },
            )
        else:
            messages.success(request, ROSTER_ADDED.format(prospect=entry.prospect))
            return redirect("referrals:roster")
    return render(request, "referrals/roster_form.html", {"form": form})


def _roster_entry_for(request, pk) -> RosterEntry:
    return get_visible_or_404(selectors.roster_for_user(request.user), pk=pk)


def roster_edit(request, pk):
    entry = _roster_entry_for(request, pk)
    form = forms.RosterEntryEditForm(
        request.POST or None, initial={"priority": entry.priority, "reason": entry.reason}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.roster_entry_update(entry=entry, data=form.cleaned_data)
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, ROSTER_SAVED.format(prospect=entry.prospect))
            return redirect("referrals:roster")
    return render(request, "referrals/roster_form.html", {"form": form, "entry": entry})


def roster_delete(request, pk):
    entry = _roster_entry_for(request, pk)
    if request.method == "POST":
        services.roster_entry_delete(entry=entry)
        messages.success(request, ROSTER_REMOVED.format(prospect=entry.prospect))
        return redirect("referrals:roster")
    return render(request, "referrals/roster_confirm_delete.html", {"entry": entry})


# --- Readiness ------------------------------------------------------------------------------


def readiness_create(request):
    team = _team_or_404(request)
    initial = {}
    if client_id := _int_param(request, "client"):
        initial["client"] = client_id
    form = forms.ReadinessCheckForm(
        request.POST or None, user=request.user, team=team, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        client = data.pop("client")
        try:
            check = services.readiness_check_record(owner=request.user, client=client, **data)
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, READINESS_RECORDED.format(client=client))
            if check.green_light:
                messages.success(request, READINESS_GREEN_LIGHT.format(client=client))
            return redirect("contacts:detail", pk=client.pk)
    return render(request, "referrals/readiness_form.html", {"form": form})


# --- Referrals ------------------------------------------------------------------------------


def pipeline(request):
    team = _list_team(request)
    owners = _owners(request)
    form = forms.ReferralFilterForm(request.GET or None, owners=owners)
    referrals = selectors.referrals_for_user(request.user, team=team)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            referrals = referrals.filter(
                words_match(
                    data["q"],
                    (
                        "referrer__first_name",
                        "referrer__last_name",
                        "prospect__first_name",
                        "prospect__last_name",
                        "prospect__company__name",
                    ),
                )
            )
        if data["status"] == "open":
            referrals = referrals.filter(status__in=selectors.OPEN_STATUSES)
        elif data["status"]:
            referrals = referrals.filter(status=data["status"])
        if data["quality"]:
            referrals = referrals.filter(quality=data["quality"])
        if data.get("owner"):
            referrals = referrals.filter(owner=data["owner"])
        if data["asked_from"]:
            referrals = referrals.filter(asked_at__date__gte=data["asked_from"])
        if data["asked_to"]:
            referrals = referrals.filter(asked_at__date__lte=data["asked_to"])
    page = _page(request, referrals)
    counts = selectors.pipeline_counts(request.user, team=team)
    return render(
        request,
        "referrals/pipeline.html",
        {
            "page": page,
            "rows": [(referral, _next_steps(referral)) for referral in page],
            "filter_form": form,
            "show_owner": owners is not None,
            "stages": [
                (status, label, counts[status]) for status, label in Referral.Status.choices
            ],
            "open_total": sum(counts[status] for status in selectors.OPEN_STATUSES),
            "filtered": any(request.GET.get(key) for key in form.fields),
        },
    )


def _next_steps(referral: Referral) -> list[tuple[str, str]]:
    return [
        (status, Referral.Status(status).label) for status in services.allowed_transitions(referral)
    ]


def referral_create(request):
    team = _team_or_404(request)
    initial = {}
    roster_id = _int_param(request, "roster")
    if roster_id:
        entry = get_visible_or_404(selectors.roster_for_user(request.user, team=team), pk=roster_id)
        initial.update(roster_entry=entry.pk, prospect=entry.prospect_id, reason=entry.reason)
    for name in ("referrer", "prospect"):
        if value := _int_param(request, name):
            initial[name] = value
    form = forms.ReferralCreateForm(
        request.POST or None, user=request.user, team=team, initial=initial
    )
    warning = None
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                referral = services.referral_create(owner=request.user, team=team, **data)
            except ValidationError as error:
                # The roster entry is a hidden field: its error goes on top of the form.
                _add_service_errors(form, error, {"roster_entry": None})
            else:
                messages.success(
                    request,
                    ASK_RECORDED.format(referrer=referral.referrer, prospect=referral.prospect),
                )
                if warning := services.referrer_warning(referrer=referral.referrer):
                    messages.warning(request, warning)
                return redirect("referrals:referral-detail", pk=referral.pk)
        referrer = form.cleaned_data.get("referrer") if hasattr(form, "cleaned_data") else None
    else:
        referrer = None
        if initial.get("referrer"):
            referrer = (
                selectors.contacts_for_picking(request.user, team=team)
                .filter(pk=initial["referrer"])
                .first()
            )
    if referrer is not None:
        warning = services.referrer_warning(referrer=referrer)
    return render(request, "referrals/referral_form.html", {"form": form, "warning": warning})


def _referral_for(request, pk) -> Referral:
    return get_visible_or_404(
        selectors.referrals_for_user(request.user).select_related("roster_entry", "deal"), pk=pk
    )


def _steps(referral: Referral) -> list[dict]:
    """The stepper: the steps reached (with their dates), then the ones still ahead."""
    status = Referral.Status
    path = [
        (status.ASKED, referral.asked_at),
        (status.CONFIRMED, referral.confirmed_at),
        (status.CONTACTED, referral.contacted_at),
        (status.MEETING, referral.meeting_at),
    ]
    steps = []
    for step, at in path:
        if at is not None or referral.is_open:
            steps.append(
                {
                    "label": step.label,
                    "at": at,
                    "done": at is not None,
                    "current": referral.status == step,
                }
            )
    if referral.status == status.DECLINED:
        steps.append(
            {
                "label": status.DECLINED.label,
                "at": referral.declined_at,
                "done": True,
                "current": True,
                "final": "declined",
            }
        )
    elif referral.status == status.LOST:
        steps.append(
            {
                "label": status.LOST.label,
                "at": referral.lost_at,
                "done": True,
                "current": True,
                "final": "lost",
            }
        )
    else:
        steps.append(
            {
                "label": status.WON.label,
                "at": referral.won_at,
                "done": referral.won_at is not None,
                "current": referral.status == status.WON,
                "final": "won",
            }
        )
    return steps


def referral_detail(request, pk):
    referral = _referral_for(request, pk)
    warning = (
        services.referrer_warning(referrer=referral.referrer)
        if referral.status == Referral.Status.ASKED
        else None
    )
    return render(
        request,
        "referrals/referral_detail.html",
        {
            "referral": referral,
            "steps": _steps(referral),
            "next_steps": _next_steps(referral),
            "transition_form": forms.TransitionForm(initial={"value": referral.value}),
            "timeline": selectors.referral_timeline(referral),
            "deal": getattr(referral, "deal", None),
            "warning": warning,
        },
    )


def referral_edit(request, pk):
    referral = _referral_for(request, pk)
    form = forms.ReferralEditForm(
        request.POST or None,
        initial=model_to_dict(referral, fields=list(forms.ReferralEditForm.base_fields)),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_update(referral=referral, data=form.cleaned_data, actor=request.user)
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, REFERRAL_SAVED)
            return redirect("referrals:referral-detail", pk=referral.pk)
    return render(request, "referrals/referral_edit.html", {"form": form, "referral": referral})


@require_POST
def referral_transition(request, pk):
    """Move a referral one step. The service decides whether the step is possible; a
    refusal is shown as an error and changes nothing."""
    referral = _referral_for(request, pk)
    form = forms.TransitionForm(request.POST)
    if not form.is_valid():
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, message)
    else:
        data = form.cleaned_data
        try:
            referral = services.referral_transition(
                referral=referral,
                to=data["to"],
                at=data["at"],
                value=data["value"],
                actor=request.user,
            )
        except ValidationError as error:  # TransitionError, or a bad value
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                STEP_RECORDED.format(referral=referral, status=referral.get_status_display()),
            )
    return redirect(
        safe_next_url(request, reverse("referrals:referral-detail", kwargs={"pk": referral.pk}))
    )


# --- Deals ----------------------------------------------------------------------------------


def deal_list(request):
    owners = _owners(request)
    form = forms.DealFilterForm(request.GET or None, owners=owners)
    deals = selectors.deals_for_user(request.user, team=_list_team(request))
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            deals = deals.filter(
                words_match(
                    data["q"],
                    ("name", "contact__first_name", "contact__last_name", "contact__company__name"),
                )
            )
        if data["source"]:
            deals = deals.filter(source=data["source"])
        if data["outcome"]:
            deals = deals.filter(outcome=data["outcome"])
        if data.get("owner"):
            deals = deals.filter(owner=data["owner"])
    return render(
        request,
        "referrals/deal_list.html",
        {
            "page": _page(request, deals),
            "filter_form": form,
            "show_owner": owners is not None,
            "filtered": any(request.GET.get(key) for key in form.fields),
        },
    )


def deal_create(request):
    team = _team_or_404(request)
    initial = {}
    if contact_id := _int_param(request, "contact"):
        initial["contact"] = contact_id
    form = forms.DealForm(request.POST or None, user=request.user, team=team, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        contact = data.pop("contact")
        try:
            services.deal_create(owner=request.user, contact=contact, **data)
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, DEAL_SAVED)
            return redirect("referrals:deal-list")
    return render(request, "referrals/deal_form.html", {"form": form})


def deal_edit(request, pk):
    deal = get_visible_or_404(selectors.deals_for_user(request.user), pk=pk)
    form = forms.DealForm(
        request.POST or None,
        user=request.user,
        team=None,
        deal=deal,
        initial=model_to_dict(
            deal, fields=["name", "source", "value", "outcome", "opened_on", "closed_on"]
        ),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.deal_edit(deal=deal, data=form.cleaned_data)
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, DEAL_SAVED)
            return redirect("referrals:deal-list")
    return render(request, "referrals/deal_form.html", {"form": form, "deal": deal})


# --- Referrals given ------------------------------------------------------------------------


def given_list(request):
    owners = _owners(request)
    form = forms.GivenFilterForm(request.GET or None, owners=owners)
    given = selectors.referrals_given_for_user(request.user, team=_list_team(request))
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            given = given.filter(
                words_match(
                    data["q"],
                    (
                        "client__first_name",
                        "client__last_name",
                        "introduced__first_name",
                        "introduced__last_name",
                        "introduced_name",
                    ),
                )
            )
        if data["given_from"]:
            given = given.filter(given_on__gte=data["given_from"])
        if data["given_to"]:
            given = given.filter(given_on__lte=data["given_to"])
        if data.get("owner"):
            given = given.filter(owner=data["owner"])
    return render(
        request,
        "referrals/given_list.html",
        {
            "page": _page(request, given),
            "filter_form": form,
            "show_owner": owners is not None,
            "filtered": any(request.GET.get(key) for key in form.fields),
        },
    )


def given_create(request):
    team = _team_or_404(request)
    initial = {}
    if client_id := _int_param(request, "client"):
        initial["client"] = client_id
    form = forms.ReferralGivenForm(
        request.POST or None, user=request.user, team=team, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            given = services.referral_given_record(owner=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, GIVEN_RECORDED.format(client=given.client))
            return redirect("referrals:given-list")
    return render(request, "referrals/given_form.html", {"form": form})
