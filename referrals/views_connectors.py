"""Referrals in reverse, in the browser: who can introduce the rep to a contact, and the
one-click ask from one of those paths.

Connectors are the team's shared graph (any member sees them, another team's contact is
a 404); the ask creates a referral owned by the rep who clicks, through
referrals.services.referral_create.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.visibility import get_visible_or_404, working_team
from contacts import selectors
from contacts.models import ContactKind
from core.http import parse_id
from referrals import connectors
from referrals.forms import duplicate_ask_html
from referrals.models import Quality, RosterEntry
from referrals.services import DuplicateAsk, referral_create, referrer_warning

PAGE_SIZE = 25
ASK_RECORDED = (
    "Ask recorded: {referrer} → {prospect}. The drafted ask is below — edit it before "
    "you send it, and thank {referrer} within a day."
)
YOU_KNOW_THEM = "You know {name} yourself: no introduction needed — get in touch directly."
BAD_ASK = "That path cannot be asked for any more; here are the current ones."


class ConnectorFilterForm(forms.Form):
    """The page's filters; a bad value is shown as an error and the default used."""

    max_hops = forms.TypedChoiceField(
        label="How far",
        choices=[
            (1, "People who know them"),
            (2, "Up to two introductions away"),
            (3, "Up to three introductions away"),
        ],
        coerce=int,
        required=False,
        empty_value=connectors.MAX_HOPS,
    )
    kind = forms.ChoiceField(
        label="Connector", choices=[("", "Anyone"), *ContactKind.choices], required=False
    )
    q = forms.CharField(label="Search", required=False, max_length=100)

    def filters(self) -> dict:
        self.is_valid()
        data = self.cleaned_data
        return {
            "max_hops": data.get("max_hops") or connectors.MAX_HOPS,
            "kind": data.get("kind") or "",
            "q": (data.get("q") or "").strip(),
        }


class ConnectorAskForm(forms.Form):
    path = forms.CharField(widget=forms.HiddenInput, max_length=100)
    quality = forms.ChoiceField(
        label="Introduction",
        choices=Quality.choices,
        initial=Quality.BETTER,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def clean_path(self) -> list[int]:
        ids = [parse_id(part) for part in self.cleaned_data["path"].split(",")]
        if None in ids:
            raise ValidationError(connectors.PATH_BROKEN)
        return ids


def _target_for(request, pk: int):
    return get_visible_or_404(selectors.contact_for_page(user=request.user), pk=pk)


def _matches(result: connectors.Connector, words: list[str]) -> bool:
    person = result.connector
    text = f"{person.full_name} {person.company} {person.title}".lower()
    return all(word in text for word in words)


@require_GET
def connector_list(request, pk: int):
    target = _target_for(request, pk)
    # Unfiltered, the page looks as far as it can; the form shows it.
    query = request.GET.copy()
    query.setdefault("max_hops", str(connectors.MAX_HOPS))
    filter_form = ConnectorFilterForm(query)
    filters = filter_form.filters()
    found = connectors.connectors_for(
        target=target, user=request.user, max_hops=filters["max_hops"]
    )
    you_know = next(
        (r for r in found if r.hops == 1 and r.connector.user_id == request.user.pk), None
    )
    results = found
    if filters["kind"]:
        results = [r for r in results if r.connector.kind == filters["kind"]]
    if filters["q"]:
        words = filters["q"].lower().split()[:5]
        results = [r for r in results if _matches(r, words)]
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    roster_entry = (
        RosterEntry.objects.filter(owner=request.user, prospect=target).only("reason").first()
    )
    business_reason = roster_entry.reason if roster_entry else ""
    rows = []
    # A path that runs through someone already ours asks the same person as that
    # person's own row: it stays listed, but says so instead of repeating the ask.
    first_rank_of_ask: dict[tuple[int, int], int] = {}
    for offset, result in enumerate(page.object_list):
        rank = page.start_index() + offset
        path_value = ",".join(str(person_pk) for person_pk in result.path_ids)
        plan = connectors.ask_plan(result.path, user=request.user)
        same_as = None
        if plan:
            ask = (plan.referrer.pk, plan.prospect.pk)
            same_as = first_rank_of_ask.setdefault(ask, rank)
            if same_as == rank:
                same_as = None
        rows.append(
            {
                "rank": rank,
                "result": result,
                "plan": plan,
                "same_as": same_as,
                # The suggested first message: the ask this row's button records.
                "draft": connectors.draft_ask(
                    plan=plan,
                    rep=request.user,
                    reason=business_reason,
                    quality=ConnectorAskForm.base_fields["quality"].initial,
                )
                if plan and not same_as
                else "",
                # The ask's form (ConnectorAskForm) is written out in the template, with
                # ids of its own per row.
                "path": path_value,
            }
        )
    return render(
        request,
        "contacts/connectors.html",
        {
            "target": target,
            "page": page,
            "rows": rows,
            "found_count": len(found),
            "filter_form": filter_form,
            "filters": filters,
            "filtered": bool(filters["kind"] or filters["q"]),
            "you_know": you_know,
            "roster_entry": roster_entry,
            "bound_note": connectors.BOUND_NOTE,
            "can_ask": bool(request.membership) and request.membership.team_id == target.team_id,
            "ask_qualities": ConnectorAskForm.base_fields["quality"].choices,
            "ask_quality_label": ConnectorAskForm.base_fields["quality"].label,
            "ask_quality_initial": ConnectorAskForm.base_fields["quality"].initial,
            "you_know_words": connectors.ranking.knows("You", target.first_name, you_know.strength)
            if you_know
            else "",
        },
    )


@require_POST
def connector_ask(request, pk: int):
    """Ask the first person of a path the rep can ask for an introduction to the next one
    (see connectors.ask_plan), with a drafted ask, the roster's business reason, the
    quality picked and the referrer's preferred channel."""
    team = working_team(request)
    target = get_visible_or_404(
        selectors.contact_for_page(user=request.user).filter(team=team), pk=pk
    )
    back = reverse("contacts:connectors", args=[target.pk])
    form = ConnectorAskForm(request.POST)
    if not form.is_valid():
        messages.error(request, BAD_ASK)
        return redirect(back)
    try:
        people = connectors.path_contacts(
            form.cleaned_data["path"], target=target, user=request.user
        )
    except ValidationError:
        messages.error(request, BAD_ASK)
        return redirect(back)
    plan = connectors.ask_plan([connectors.Person.of(c) for c in people], user=request.user)
    if plan is None:
        messages.info(request, YOU_KNOW_THEM.format(name=target.full_name))
        return redirect(back)
    by_pk = {contact.pk: contact for contact in people}
    referrer, prospect = by_pk[plan.referrer.pk], by_pk[plan.prospect.pk]
    entry = RosterEntry.objects.filter(owner=request.user, prospect=target, team=team).first()
    reason = entry.reason if entry else ""
    if not plan.reaches_target:
        reason = connectors.ON_THE_WAY.format(target=target.full_name, reason=reason).strip()
    quality = form.cleaned_data["quality"]
    try:
        referral = referral_create(
            owner=request.user,
            team=team,
            referrer=referrer,
            prospect=prospect,
            roster_entry=entry if plan.reaches_target else None,
            reason=reason,
            quality=quality,
            channel=referrer.preferred_channel,
            message=connectors.draft_ask(
                plan=plan, rep=request.user, reason=entry.reason if entry else "", quality=quality
            ),
        )
    except DuplicateAsk as duplicate:
        # Sent twice, or this path was already asked: a link to the ask under way.
        messages.error(request, duplicate_ask_html(duplicate, user=request.user))
        return redirect(back)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    messages.success(
        request, ASK_RECORDED.format(referrer=referral.referrer, prospect=referral.prospect)
    )
    if warning := referrer_warning(referrer=referral.referrer):
        messages.warning(request, warning)
    return redirect("referrals:referral-detail", pk=referral.pk)
