"""Pages of the follow-ups: the rep's inbox (overdue, due today, upcoming), completing
and skipping in place (htmx, or a plain POST and redirect without JavaScript), the drafted
message with "send by email", and the manager's overdue follow-ups of the team by rep.

Each view fetches through followups.selectors (accounts.visibility: another rep's
follow-up is a 404 for a rep, visible to their manager; another team's is a 404 for
everyone) and writes through followups.services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.visibility import get_visible_or_404, working_team_or_none
from core.filters import filters_in_force, page_form
from core.http import parse_id, safe_next_url
from core.paging import list_page
from followups import forms, selectors, services
from followups.drafts import draft_for
from followups.filters import FollowUpFilter
from followups.models import FollowUp

SECTION_PAGE_SIZE = 20
TEAM_PAGE_SIZE = 25
MANAGERS_ONLY = "This page is for the team's manager."

COMPLETED = "{kind} for {recipient}: done."
SKIPPED = "{kind} for {recipient}: skipped."
EMAIL_QUEUED = "Your message to {recipient} is on its way ({email}); the follow-up is done."

SECTIONS = [
    ("overdue", "Overdue", "Nothing overdue. Well done."),
    ("today", "Due today", "Nothing else due today."),
    (
        "upcoming",
        f"Next {selectors.UPCOMING_DAYS} days",
        "Nothing coming up: record an ask or move a referral along, and its follow-ups "
        "will appear here.",
    ),
]


# --- Helpers ------------------------------------------------------------------------------


def _followup_for(request, pk) -> FollowUp:
    return get_visible_or_404(selectors.followups_for_user(request.user), pk=pk)


def _page_url(request, param: str, number: int) -> str:
    query = request.GET.copy()
    query[param] = number
    return f"?{query.urlencode()}"


def _section_page(request, name: str, queryset, size: int, *, count: int | None = None):
    param = f"{name}_page"
    page = list_page(queryset, size, request.GET.get(param), count=count)
    links = forms.item_links()
    for followup in page.object_list:
        forms.with_item_forms(followup, links=links)
    page.previous_url = (
        _page_url(request, param, page.previous_page_number()) if page.has_previous() else None
    )
    page.next_url = _page_url(request, param, page.next_page_number()) if page.has_next() else None
    return page


def _item_response(request, followup: FollowUp, *, error: str | None = None, open_form=""):
    """The item, re-rendered for an htmx swap (hx-target is the item itself)."""
    forms.with_item_links(followup)
    return render(
        request,
        "followups/_item.html",
        {
            "followup": followup,
            "next": safe_next_url(request, reverse("followups:inbox")),
            "item_error": error,
            "open_form": open_form,
        },
    )


def _form_errors(form) -> str:
    return " ".join(message for errors in form.errors.values() for message in errors)


# --- Inbox --------------------------------------------------------------------------------


def inbox(request):
    """The rep's own pending follow-ups: overdue, due today, the next two weeks, each
    section narrowed by the follow-ups' one FilterSet (the API's too: followups.filters)."""
    filterset = FollowUpFilter(request.GET, queryset=FollowUp.objects.none(), request=request)
    filter_form = page_form(filterset, shown=["q", "kind"])
    search_box = filter_form.fields["q"].widget
    search_box.input_type = "search"
    search_box.attrs["placeholder"] = "Referrer or prospect"
    mine, sections = selectors.inbox_sections(request.user, team=working_team_or_none(request))
    mine = filterset.filter_queryset(mine)
    counts = selectors.section_counts(mine, sections)  # the three badges, one query
    pages = [
        (
            name,
            title,
            empty,
            _section_page(
                request,
                name,
                mine.filter(sections[name]),
                SECTION_PAGE_SIZE,
                count=counts[name],
            ),
        )
        for name, title, empty in SECTIONS
    ]
    return render(
        request,
        "followups/inbox.html",
        {
            "sections": pages,
            "filter_form": filter_form,
            "filtered": bool(filters_in_force(filterset)),
            "is_manager": bool(request.membership) and request.membership.is_manager,
            "here": request.get_full_path(),
        },
    )


@require_POST
def complete(request, pk):
    followup = _followup_for(request, pk)
    form = forms.CompleteForm(request.POST, followup=followup)
    error = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.followup_complete(
                followup=followup,
                actor=request.user,
                channel=data["channel"],
                note=data["note"],
                gift_note=data.get("gift_note") or "",
                gift_cost=data.get("gift_cost"),
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            followup = _followup_for(request, pk)
            if request.htmx:
                return _item_response(request, followup)
            messages.success(
                request,
                COMPLETED.format(kind=followup.get_kind_display(), recipient=followup.recipient),
            )
            return redirect(safe_next_url(request, reverse("followups:inbox")))
    else:
        error = _form_errors(form)
    if request.htmx:
        followup.refresh_from_db()
        return _item_response(
            request,
            forms.with_item_forms(followup, complete_form=form),
            error=error,
            open_form="complete",
        )
    messages.error(request, error)
    return redirect(safe_next_url(request, reverse("followups:inbox")))


@require_POST
def skip(request, pk):
    followup = _followup_for(request, pk)
    form = forms.SkipForm(request.POST, followup=followup)
    error = None
    if form.is_valid():
        try:
            services.followup_skip(
                followup=followup, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            followup = _followup_for(request, pk)
            if request.htmx:
                return _item_response(request, followup)
            messages.success(
                request,
                SKIPPED.format(kind=followup.get_kind_display(), recipient=followup.recipient),
            )
            return redirect(safe_next_url(request, reverse("followups:inbox")))
    else:
        error = _form_errors(form)
    if request.htmx:
        followup.refresh_from_db()
        return _item_response(
            request, forms.with_item_forms(followup, skip_form=form), error=error, open_form="skip"
        )
    messages.error(request, error)
    return redirect(safe_next_url(request, reverse("followups:inbox")))


# --- Draft --------------------------------------------------------------------------------


def draft(request, pk):
    """The drafted message: edit it, send it by email, or copy it for a call or a note."""
    followup = _followup_for(request, pk)
    drafted = draft_for(followup)
    form = forms.DraftForm(
        request.POST or None, initial={"subject": drafted.subject, "body": drafted.body}
    )
    back = safe_next_url(request, reverse("followups:inbox"))
    if request.method == "POST" and form.is_valid():
        try:
            email = services.followup_email_send(
                followup=followup,
                actor=request.user,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request, EMAIL_QUEUED.format(recipient=followup.recipient, email=email.to)
            )
            return redirect(back)
    return render(
        request,
        "followups/draft.html",
        {
            "followup": followup,
            "form": form,
            "pending": followup.status == FollowUp.Status.PENDING,
            "back": back,
        },
    )


# --- The team's overdue follow-ups (managers) --------------------------------------------


def team_overdue(request):
    """The team's overdue follow-ups, counted per rep and listed by rep, oldest first."""
    membership = request.membership
    if not membership or not membership.is_manager:
        raise Http404(MANAGERS_ONLY)
    team, now = membership.team, timezone.now()
    overdue = selectors.team_overdue(request.user, team=team, now=now)
    by_rep = selectors.team_overdue_by_rep(request.user, team=team, now=now)
    rep_id = parse_id(request.GET.get("rep"))
    if rep_id is not None:
        overdue = overdue.filter(owner_id=rep_id)
    # The list's length is what the per-rep counts add up to (the same rows, same time).
    count = sum(row["overdue"] for row in by_rep if rep_id is None or row["owner_id"] == rep_id)
    page = _section_page(request, "team", overdue, TEAM_PAGE_SIZE, count=count)
    return render(
        request,
        "followups/team_overdue.html",
        {
            "team": team,
            "by_rep": by_rep,
            "rep_id": int(rep_id) if rep_id else None,
            "page": page,
            "here": request.get_full_path(),
        },
    )
