"""Pages of the rep's referral work: roster, readiness, asks and their steps, deals and the
referrals we give. (The team's ideal client profile is contacts': contacts/views_profile.py.)

Each view fetches what it shows through referrals.selectors (scoped by
accounts.visibility: another rep's or team's record is a 404), validates with a form, and
writes through referrals.services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import model_to_dict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.visibility import get_visible_or_404, working_team, working_team_or_none
from contacts.fit import GOOD_FIT_SCORE
from core.filters import filters_in_force, page_form
from core.forms import add_service_errors
from core.http import parse_id, safe_next_url
from core.links import RowLinks
from core.paging import list_page
from exports.views import export_answer
from referrals import connectors, forms, selectors, services
from referrals.exports import READINESS_KIND
from referrals.filters import (
    OPEN,
    DealFilter,
    ReadinessCheckFilter,
    ReferralFilter,
    ReferralGivenFilter,
    RosterFilter,
)
from referrals.models import OPEN_STATUSES, Referral, RosterEntry

PAGE_SIZE = 25

ROSTER_ADDED = "{prospect} is on your roster."
ROSTER_SAVED = "Roster entry for {prospect} saved."
ROSTER_REMOVED = "{prospect} is off the roster."
READINESS_RECORDED = "Readiness conversation with {client} recorded."
READINESS_GREEN_LIGHT = "{client} gave the green light: you may ask them for introductions."
ASK_RECORDED = "Ask recorded: {referrer} → {prospect}. Thank {referrer} within a day."
REFERRAL_SAVED = "Referral saved."
STEP_RECORDED = "{referral}: {status}."
FIELD_REFUSED = "{field} — {reason}"
DEAL_SAVED = "Deal saved."
GIVEN_RECORDED = "Introduction for {client} recorded. Reciprocity counts."


# --- Helpers ------------------------------------------------------------------------------


def _is_manager(request) -> bool:
    return bool(request.membership) and request.membership.is_manager


def _owners(request):
    """Reps a manager may filter by (None for reps: they only see their own records)."""
    if not _is_manager(request):
        return None
    return User.objects.filter(memberships__team=request.membership.team).order_by(
        "first_name", "last_name", "username"
    )


def _page(request, queryset, *, count: int | None = None):
    """A page of the list; `count`, when the caller already knows how many rows the list
    holds, spares the paginator its COUNT."""
    return list_page(queryset, PAGE_SIZE, request.GET.get("page"), count=count)


def _int_param(request, name):
    return parse_id(request.GET.get(name))


def _filtered_list(request, filter_class, queryset, *, shown: list[str]):
    """A list through its one FilterSet (its API's too: referrals.filters), bound to the
    query string, and the filter form the page shows: the `shown` controls, the rep
    picker for a manager only. Returns (the filtered queryset, the form, whether the
    form has the rep picker, the filters in force by name — empty when none)."""
    filterset = filter_class(request.GET, queryset=queryset, request=request)
    owners = _owners(request)
    choices = None
    if owners is None:
        shown = [name for name in shown if name != "owner"]
    else:
        choices = {"owner": [("", "Every rep"), *((user.pk, str(user)) for user in owners)]}
    form = page_form(filterset, shown=shown, choices=choices)
    return filterset.qs, form, owners is not None, filters_in_force(filterset)


# --- Contact pickers ----------------------------------------------------------------------


@require_GET
def contact_options(request):
    """<option>s for a contact picker: a handful of the team's contacts matching `q`."""
    contacts = selectors.contact_search(
        request.user,
        team=working_team_or_none(request),
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
    team = working_team_or_none(request)
    if referrer_id and team:
        referrer = (
            selectors.contacts_for_picking(request.user, team=team).filter(pk=referrer_id).first()
        )
        if referrer is not None:
            warning = services.referrer_warning(referrer=referrer)
    return render(request, "referrals/_referrer_warning.html", {"warning": warning})


# --- Roster -------------------------------------------------------------------------------


def roster(request):
    entries, form, show_owner, filtered = _filtered_list(
        request,
        RosterFilter,
        selectors.roster_for_user(request.user, team=working_team_or_none(request)),
        shown=["q", "status", "priority", "owner"],
    )
    page = _page(request, entries)
    # The best warm path to each prospect of the page, in one query.
    best = connectors.best_connectors_for(targets=[e.prospect for e in page], user=request.user)
    links = RowLinks(
        prospect=("contacts:detail", "prospect_id"),
        connectors=("contacts:connectors", "prospect_id"),
        edit=("referrals:roster-edit", "pk"),
        remove=("referrals:roster-delete", "pk"),
    )
    for entry in page:
        entry.best_connector = best.get(entry.prospect_id)
        entry.links = links.of(entry)
    return render(
        request,
        "referrals/roster.html",
        {
            "page": page,
            "ask_url": reverse("referrals:referral-create"),
            "filter_form": form,
            "show_owner": show_owner,
            "good_fit": GOOD_FIT_SCORE,
            "filtered": filtered,
        },
    )


def roster_create(request):
    team = working_team(request)
    initial = {}
    if prospect_id := _int_param(request, "prospect"):
        initial["prospect"] = prospect_id
    form = forms.RosterEntryCreateForm(
        request.POST or None, user=request.user, team=team, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)  # a copy: a refusal shown on a field removes it there
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
            add_service_errors(
                form,
                error,
                {
                    "email": "new_email",
                    "first_name": "new_first_name",
                    "last_name": "new_last_name",
                    "name": "new_company",
                },
            )
            # Already on the roster, or already a contact: a link to that person, under
            # the refusal on the field that named them.
            if link := forms.duplicate_person_link(user=request.user, team=team, data=data):
                form.add_error("prospect" if data["prospect"] else "new_email", link)
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
            add_service_errors(form, error)
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
    team = working_team(request)
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
            add_service_errors(form, error)
        else:
            messages.success(request, READINESS_RECORDED.format(client=client))
            if check.green_light:
                messages.success(request, READINESS_GREEN_LIGHT.format(client=client))
            return redirect("contacts:detail", pk=client.pk)
    return render(request, "referrals/readiness_form.html", {"form": form})


# --- Referrals ------------------------------------------------------------------------------


def pipeline(request):
    team = working_team_or_none(request)
    referrals, form, show_owner, filtered = _filtered_list(
        request,
        ReferralFilter,
        selectors.as_ask_rows(selectors.referrals_for_user(request.user, team=team)),
        shown=["q", "status", "quality", "owner", "asked_from", "asked_to"],
    )
    counts = selectors.pipeline_counts(request.user, team=team)
    page = _page(request, referrals, count=_pipeline_count(counts, filtered))
    links = RowLinks(
        detail=("referrals:referral-detail", "pk"),
        transition=("referrals:referral-transition", "pk"),
    )
    return render(
        request,
        "referrals/pipeline.html",
        {
            "page": page,
            "rows": [(referral, _next_steps(referral), links.of(referral)) for referral in page],
            "here": request.get_full_path(),
            "filter_form": form,
            "show_owner": show_owner,
            "stages": [
                (status, label, counts[status]) for status, label in Referral.Status.choices
            ],
            "open_total": sum(counts[status] for status in OPEN_STATUSES),
            "filtered": bool(filtered),
        },
    )


def _pipeline_count(counts: dict[str, int], filtered: dict) -> int | None:
    """How many referrals the pipeline lists, from its counts per status when nothing
    but the status narrows it (a COUNT of the team's referrals saved: 8 ms on PostgreSQL,
    20 on SQLite, on a team of 60,000); None — count them — under any other filter."""
    if set(filtered) - {"status"}:
        return None
    status = filtered.get("status")
    if status is None:
        return sum(counts.values())
    return sum(counts[one] for one in (OPEN_STATUSES if status == OPEN else [status]))


def _next_steps(referral: Referral) -> list[tuple[str, str]]:
    return [
        (status, Referral.Status(status).label) for status in services.allowed_transitions(referral)
    ]


def referral_create(request):
    team = working_team(request)
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
            except services.DuplicateAsk as duplicate:
                # A double click, or an ask already under way: say so, with a link to it.
                form.add_error(None, forms.duplicate_ask_html(duplicate, user=request.user))
            except ValidationError as error:
                # The roster entry is a hidden field: its error goes on top of the form.
                add_service_errors(form, error, {"roster_entry": None})
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
            # The value is asked for only where "Won" is a next step, filled in with what is
            # known already (the referral's, else its deal's).
            "asks_value": Referral.Status.WON in dict(_next_steps(referral)),
            "transition_form": forms.TransitionForm(initial={"value": _known_value(referral)}),
            "value_missing": forms.WON_VALUE_MISSING
            if referral.status == Referral.Status.WON and referral.value is None
            else None,
            "timeline": selectors.referral_timeline(referral),
            "deal": getattr(referral, "deal", None),
            "warning": warning,
        },
    )


def _known_value(referral: Referral):
    if referral.value is not None:
        return referral.value
    deal = getattr(referral, "deal", None)
    return deal.value if deal is not None else None


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
            add_service_errors(form, error)
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
        for name, field_errors in form.errors.items():
            for message in field_errors:
                if name in form.fields:  # the page shows no form: name the field
                    message = FIELD_REFUSED.format(field=form.fields[name].label, reason=message)
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
    deals, form, show_owner, filtered = _filtered_list(
        request,
        DealFilter,
        selectors.deals_for_user(request.user, team=working_team_or_none(request)),
        shown=["q", "source", "outcome", "owner"],
    )
    return render(
        request,
        "referrals/deal_list.html",
        {
            "page": _page(request, deals),
            "filter_form": form,
            "show_owner": show_owner,
            "filtered": filtered,
        },
    )


def deal_create(request):
    team = working_team(request)
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
            add_service_errors(form, error)
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
            add_service_errors(form, error)
        else:
            messages.success(request, DEAL_SAVED)
            return redirect("referrals:deal-list")
    return render(request, "referrals/deal_form.html", {"form": form, "deal": deal})


# --- Referrals given ------------------------------------------------------------------------


def given_list(request):
    given, form, show_owner, filtered = _filtered_list(
        request,
        ReferralGivenFilter,
        selectors.referrals_given_for_user(request.user, team=working_team_or_none(request)),
        shown=["q", "given_from", "given_to", "owner"],
    )
    return render(
        request,
        "referrals/given_list.html",
        {
            "page": _page(request, given),
            "filter_form": form,
            "show_owner": show_owner,
            "filtered": filtered,
        },
    )


@require_GET
def readiness_list(request):
    """Every readiness conversation the user sees, latest first: the history of who is
    ready to be asked, and with ?may_quote=true the testimonials the team may quote."""
    checks, form, show_owner, filtered = _filtered_list(
        request,
        ReadinessCheckFilter,
        selectors.readiness_checks_for_user(request.user, team=working_team_or_none(request)),
        shown=["q", "green_light", "may_quote", "owner"],
    )
    return render(
        request,
        "referrals/readiness_list.html",
        {
            "page": _page(request, checks),
            "filter_form": form,
            "show_owner": show_owner,
            "filtered": filtered,
            "export_query": request.GET.urlencode(),
        },
    )


@require_GET
def readiness_export(request):
    """The readiness list, with the same filters, as CSV (exports.views.export_answer)."""
    team = working_team_or_none(request)
    params = {
        "team_id": team.pk if team else None,
        "filters": filters_in_force(ReadinessCheckFilter(request.GET)),
    }
    stamp = timezone.localdate().isoformat()
    return export_answer(
        request,
        kind=READINESS_KIND,
        params=params,
        team_id=params["team_id"],
        file_name=f"readiness-{stamp}.csv",
    )


def given_create(request):
    team = working_team(request)
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
            add_service_errors(form, error)
        else:
            messages.success(request, GIVEN_RECORDED.format(client=given.client))
            return redirect("referrals:given-list")
    return render(request, "referrals/given_form.html", {"form": form})
