"""Reporting a problem during an open sale, from the referral's page (followups.problems)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.visibility import get_visible_or_404
from core.http import safe_next_url
from followups.problems import referral_problem_report
from referrals.selectors import referrals_for_user

PROBLEM_RECORDED = (
    "Problem recorded. A status report to {referrer} is due today: tell them before "
    "{prospect} does."
)


@require_POST
def report_problem(request, pk):
    referral = get_visible_or_404(referrals_for_user(request.user), pk=pk)
    try:
        referral_problem_report(
            referral=referral, actor=request.user, problem=request.POST.get("problem", "")
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            PROBLEM_RECORDED.format(referrer=referral.referrer, prospect=referral.prospect),
        )
    return redirect(
        safe_next_url(request, reverse("referrals:referral-detail", kwargs={"pk": referral.pk}))
    )
