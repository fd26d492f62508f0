"""Forms of the follow-up pages. They check the shape of the input; the rules (still
pending? a reason? a gift only on the closing thanks?) live in followups.services."""

from functools import lru_cache

from django import forms
from django.utils.html import format_html_join

from contacts.models import Channel
from core.links import RowLinks
from followups.models import FollowUp
from followups.services import SKIP_NEEDS_REASON


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
        super().__init__(*args, **kwargs)
        if not followup.takes_gift:
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
    pending follow-ups only, what its complete and skip forms show. A form is attached only
    when it comes back from a POST with its values and errors; a blank one is drawn from
    the fields' words (item_form_words()) and the channel the recipient prefers — a page
    of sixty items builds no form object (they cost a quarter of the inbox's time)."""
    with_item_links(followup, links)
    if followup.status == FollowUp.Status.PENDING:
        followup.complete_form, followup.skip_form = complete_form, skip_form
        followup.form_words = item_form_words()
        channel = (
            complete_form["channel"].value()
            if complete_form is not None
            else followup.recipient.preferred_channel
        )
        followup.channel_options = channel_options(channel)
    return followup


@lru_cache(maxsize=1)
def item_form_words() -> dict:
    """Each field's label, placeholder and length limit of the complete and skip forms,
    read once from the form classes: the item's template writes its inputs from these."""

    def words(field: forms.Field) -> dict:
        return {
            "label": field.label,
            "placeholder": field.widget.attrs.get("placeholder", ""),
            "max_length": getattr(field, "max_length", None),
        }

    fields = {**CompleteForm.base_fields, **SkipForm.base_fields}
    return {name: words(field) for name, field in fields.items()}


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
