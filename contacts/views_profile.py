"""The team's ideal client profile: managers edit it (saving rescores every contact of
the team, contacts.services.ideal_client_profile_update); reps read it, with how the fit
score is computed (contacts/fit.py).

The page keeps its URL and name (referrals:icp, routed by referrals/urls.py) and its
template (referrals/ideal_client_profile.html) from when the profile lived in referrals.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import model_to_dict
from django.shortcuts import redirect, render

from accounts.visibility import working_membership
from contacts import selectors
from contacts.fit import GOOD_FIT_SCORE
from contacts.forms import IdealClientProfileForm
from contacts.models import Function, IdealClientProfile, Industry, PersonType
from contacts.services import ideal_client_profile_update
from core.forms import add_service_errors

ICP_MANAGERS_ONLY = "Only a manager of the team can change its ideal client profile."
ICP_SAVED = "Ideal client profile saved; {count} contacts now fit well (score ≥ {threshold})."


def ideal_client_profile(request):
    """Managers edit the team's profile (saving rescores every contact); reps read it,
    with how the fit score is computed."""
    membership = working_membership(request)
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
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    ICP_SAVED.format(
                        count=selectors.good_fit_count(team), threshold=GOOD_FIT_SCORE
                    ),
                )
                # Back to this page (referrals:icp) to read it saved.
                return redirect(request.path)
    good_fit_count, prospective_fit_count = selectors.good_fit_counts(team)
    return render(
        request,
        "referrals/ideal_client_profile.html",
        {
            "profile": profile,
            "form": form,
            "can_edit": can_edit,
            "criteria": _profile_criteria(profile),
            "good_fit_count": good_fit_count,
            # Those the fits page lists (referrals:fits): not clients yet.
            "prospective_fit_count": prospective_fit_count,
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
