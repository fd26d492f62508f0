"""Forms of the follow-up pages. They check the shape of the input; the rules (still
pending? a reason? a gift only on the closing thanks?) live in followups.services."""

from django import forms
from django.urls import reverse

from contacts.models import Channel
from followups.models import FollowUp
from followups.services import SKIP_NEEDS_REASON

Kind = FollowUp.Kind


class CompleteForm(forms.Form):
    channel = forms.ChoiceField(label="Channel used", choices=Channel.choices)
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": "What you said, how it landed…"}),
    )
    gift_note = forms.CharField(
        label="Gift (optional)",
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "e.g. a book they mentioned"}),
    )
    gift_cost = forms.DecimalField(
        label="Gift cost (optional)", required=False, min_value=0, max_digits=10, decimal_places=2
    )

    def __init__(self, *args, followup: FollowUp, **kwargs):
        kwargs.setdefault("initial", {"channel": followup.recipient.preferred_channel})
        # Field ids unique per follow-up: the inbox shows many of these forms at once.
        kwargs.setdefault("auto_id", f"id_complete_{followup.pk}_%s")
        super().__init__(*args, **kwargs)
        if followup.kind != Kind.CLOSING_THANKS:
            del self.fields["gift_note"]
            del self.fields["gift_cost"]


class SkipForm(forms.Form):
    reason = forms.CharField(
        label="Why skip it?",
        max_length=300,
        error_messages={"required": SKIP_NEEDS_REASON},
        widget=forms.TextInput(attrs={"placeholder": "e.g. told them in person at lunch"}),
    )

    def __init__(self, *args, followup: FollowUp, **kwargs):
        kwargs.setdefault("auto_id", f"id_skip_{followup.pk}_%s")
        super().__init__(*args, **kwargs)


class DraftForm(forms.Form):
    subject = forms.CharField(max_length=300)
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 12, "data-followup-draft": ""}),
    )


# The links of a list item, reversed once per page and filled in per item: a page of
# sixty items would otherwise resolve 300 {% url %} tags, a quarter of its rendering.
_ITEM_LINKS = {
    "recipient": ("contacts:detail", "recipient_id"),
    "referral": ("referrals:referral-detail", "referral_id"),
    "draft": ("followups:draft", "pk"),
    "complete": ("followups:complete", "pk"),
    "skip": ("followups:skip", "pk"),
}
_PLACEHOLDER = 987654321


def item_link_patterns() -> dict[str, tuple[str, str]]:
    return {
        key: (reverse(name, args=[_PLACEHOLDER]), attribute)
        for key, (name, attribute) in _ITEM_LINKS.items()
    }


def with_item_forms(
    followup: FollowUp, *, complete_form=None, skip_form=None, link_patterns=None
) -> FollowUp:
    """Attach what a list item (templates/followups/_item.html) renders: its links and,
    pending follow-ups only, its complete and skip forms."""
    with_item_links(followup, link_patterns)
    if followup.status == FollowUp.Status.PENDING:
        followup.complete_form = complete_form or CompleteForm(followup=followup)
        followup.skip_form = skip_form or SkipForm(followup=followup)
    return followup


def with_item_links(followup: FollowUp, link_patterns=None) -> FollowUp:
    patterns = link_patterns or item_link_patterns()
    followup.links = {
        key: url.replace(str(_PLACEHOLDER), str(getattr(followup, attribute)))
        for key, (url, attribute) in patterns.items()
    }
    return followup
