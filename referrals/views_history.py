"""A referral's change history: who changed what, when — each step, value and edit
(accounts.audit). For the referral's owner, the team's managers and admins
(accounts.visibility.visible_history)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts import audit
from accounts.visibility import get_visible_or_404, visible_history
from referrals.models import Referral


@require_GET
def referral_history(request, pk: int):
    referral = get_visible_or_404(
        visible_history(Referral.objects.select_related("referrer", "prospect"), request.user),
        pk=pk,
    )
    page, entries = audit.history_page(referral.history.all(), page_number=request.GET.get("page"))
    return render(
        request,
        "referrals/referral_history.html",
        {"referral": referral, "page": page, "entries": entries},
    )
