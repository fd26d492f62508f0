"""Forms of the follow-up pages. They check the shape of the input; the rules (still
pending? a reason? a gift only on the closing thanks?) live in followups.services."""

from functools import lru_cache

from django import forms
from django.utils.html import format_html_join

from contacts.models import Channel
from core.links import RowLinks
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


def item_links() -> RowLinks:
    """The links of a list item (templates/followups/_item.html), reversed once per page."""
    return RowLinks(
        recipient=("contacts:detail", "recipient_id"),
        referral=("referrals:referral-detail", "referral_id"),
        draft=("followups:draft", "pk"),
        complete=("followups:complete", "pk"),
        skip=("followups:skip", "pk"),
    )


def with_item_forms(
    followup: FollowUp, *, complete_form=None, skip_form=None, links: RowLinks | None = None
) -> FollowUp:
    """Attach what a list item (templates/followups/_item.html) renders: its links and,
    pending follow-ups only, its complete and skip forms, the channel's options written
    once for the value the form shows."""
    with_item_links(followup, links)
    if followup.status == FollowUp.Status.PENDING:
        followup.complete_form = complete_form or CompleteForm(followup=followup)
        followup.skip_form = skip_form or SkipForm(followup=followup)
        followup.channel_options = channel_options(followup.complete_form["channel"].value())
    return followup


def with_item_links(followup: FollowUp, links: RowLinks | None = None) -> FollowUp:
    followup.links = (links or item_links()).of(followup)
    return followup


@lru_cache(maxsize=len(Channel.choices) + 1)
def _options_of(selected: str) -> str:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, " selected" if value == selected else "", label)
            for value, label in Channel.choices
        ),
    )


def channel_options(selected) -> str:
    """The <option>s of the complete form's channel, `selected` chosen: the same few
    strings for every item of a page, so each is written once (sixty items looping over
    the choices in the template cost a third of the inbox's rendering). A value that is
    no channel (a tampered POST shown back with its error) selects nothing."""
    return _options_of(selected if selected in Channel.values else "")
