"""Sending the ask to the referrer by email from the referral's page (referrals.links)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.visibility import get_visible_or_404
from core.http import safe_next_url
from referrals import selectors
from referrals.links import referral_ask_send

ASK_QUEUED = "The ask is on its way to {referrer} ({email}), with the links to answer it."


@require_POST
def referral_send(request, pk):
    referral = get_visible_or_404(selectors.referrals_for_user(request.user), pk=pk)
    try:
        email = referral_ask_send(referral=referral, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, ASK_QUEUED.format(referrer=referral.referrer, email=email.to))
    return redirect(
        safe_next_url(request, reverse("referrals:referral-detail", kwargs={"pk": referral.pk}))
    )
