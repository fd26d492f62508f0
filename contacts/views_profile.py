"""The team's ideal client profile: managers edit it (saving rescores every contact of
the team, contacts.services.ideal_client_profile_update); reps read it, with how the fit
score is computed (contacts/fit.py).

The page keeps its URL and name (referrals:icp, routed by referrals/urls.py) and its
template (referrals/ideal_client_profile.html) from when the profile lived in referrals.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import model_to_dict
from django.http import Http404
from django.shortcuts import redirect, render

from contacts import selectors
from contacts.fit import GOOD_FIT_SCORE
from contacts.forms import IdealClientProfileForm
from contacts.models import Function, IdealClientProfile, Industry, PersonType
from contacts.services import ideal_client_profile_update

NO_TEAM = "Join a team to see its ideal client profile."
ICP_MANAGERS_ONLY = "Only a manager of the team can change its ideal client profile."
ICP_SAVED = "Ideal client profile saved; {count} contacts now fit well (score ≥ {threshold})."


def _add_service_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one,
    else at the top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, field_errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_errors)


def ideal_client_profile(request):
    """Managers edit the team's profile (saving rescores every contact); reps read it,
    with how the fit score is computed."""
    membership = request.membership
    if not membership:
        raise Http404(NO_TEAM)
    team = membership.team
    can_edit = membership.is_manager
    profile = selectors.ideal_client_profile_for_team(team)
    form = None
    if can_edit:
        form = IdealClientProfileForm(
            request.POST or None,
            initial=model_to_dict(profile, fields=list(IdealClientProfileForm.base_fields)),
        )
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(ICP_MANAGERS_ONLY)
        if form.is_valid():
            try:
                ideal_client_profile_update(team=team, data=form.cleaned_data)
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    ICP_SAVED.format(
                        count=selectors.good_fit_count(team), threshold=GOOD_FIT_SCORE
                    ),
                )
                # Back to this page (referrals:icp) to read it saved.
                return redirect(request.path)
    return render(
        request,
        "referrals/ideal_client_profile.html",
        {
            "profile": profile,
            "form": form,
            "can_edit": can_edit,
            "criteria": _profile_criteria(profile),
            "good_fit_count": selectors.good_fit_count(team),
            "good_fit": GOOD_FIT_SCORE,
        },
    )


def _profile_criteria(profile: IdealClientProfile) -> list[dict]:
    """What each criterion asks for and what it weighs, for the read-only explanation."""

    def labels(values, choices):
        names = dict(choices)
        return ", ".join(str(names.get(value, value)) for value in values)

    if profile.min_employees is not None or profile.max_employees is not None:
        size = f"{profile.min_employees or 0} – {profile.max_employees or '∞'} employees"
    else:
        size = ""
    rows = [
        ("Industry", labels(profile.industries, Industry.choices), profile.weight_industry),
        ("Region", ", ".join(profile.regions), profile.weight_region),
        ("Company size", size, profile.weight_size),
        ("Function", labels(profile.functions, Function.choices), profile.weight_function),
        (
            "Type of person",
            labels(profile.person_types, PersonType.choices),
            profile.weight_person_type,
        ),
        ("Situation", ", ".join(profile.situation_keywords), profile.weight_situation),
    ]
    return [{"label": label, "wanted": wanted, "weight": weight} for label, wanted, weight in rows]
