"""Sending the ask to the referrer by email from the referral's page (referrals.links)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.visibility import get_visible_or_404
from core.http import safe_next_url
from referrals import asks, selectors
from referrals.links import ask_draft, referral_ask_send

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


def referral_drafts(request, pk):
    """The ask in three forms: the email (what "send" sends when the referral has no
    message of its own), a phone call script, and a letter for the referrer to sign."""
    referral = get_visible_or_404(
        selectors.referrals_for_user(request.user).select_related("team", "prospect__company"),
        pk=pk,
    )
    subject, body = ask_draft(referral)
    return render(
        request,
        "referrals/referral_drafts.html",
        {
            "referral": referral,
            "drafts": [
                ("email", "The ask by email", subject, body),
                ("call", "A phone call script", *_parts(asks.ask_call_script(referral))),
                ("letter", "A letter for the referrer to sign", *_parts(asks.ask_letter(referral))),
            ],
        },
    )


def _parts(draft: asks.AskDraft) -> tuple[str, str]:
    return draft.subject, draft.body
