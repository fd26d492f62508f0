"""Forms of the follow-up pages. They check the shape of the input; the rules (still
pending? a reason? a gift only on the closing thanks?) live in followups.services."""

from django import forms

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


class InboxFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "Referrer or prospect", "type": "search"}),
    )
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "Every kind"), *Kind.choices]
    )


def with_item_forms(followup: FollowUp, *, complete_form=None, skip_form=None) -> FollowUp:
    """Attach a list item's complete and skip forms (pending follow-ups only): the item
    partial (templates/followups/_item.html) renders them."""
    if followup.status == FollowUp.Status.PENDING:
        followup.complete_form = complete_form or CompleteForm(followup=followup)
        followup.skip_form = skip_form or SkipForm(followup=followup)
    return followup
