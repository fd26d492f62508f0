"""Forms of the referral pages. They validate input and hand clean data to
referrals.services; none of them saves anything itself."""

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from contacts.models import Company, Contact
from core.dates import DateFormField, DateTimeFormField
from core.http import parse_id
from core.names import validate_name
from referrals.models import Deal, Priority, Quality, Referral, RosterEntry
from referrals.selectors import contacts_for_picking, referrals_for_user, roster_for_user

PICK_OR_CREATE_PROSPECT = "Pick someone from your team's contacts, or type a new person's name."
PICK_OR_CREATE_NOT_BOTH = "Pick an existing contact or type a new person — not both."
NEW_PROSPECT_NEEDS_NAME = "A new prospect needs at least a first name."
# A win whose value nobody entered yet is still a win (reporting/kpis.py counts it in the
# win rate, not in the average deal): the referral's page asks for the value in a banner.
WON_VALUE_MISSING = (
    "This win has no value yet: add what the deal is worth, so the won value and the "
    "average deal count it."
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def contact_label(contact) -> str:
    company = f" — {contact.company.name}" if contact.company_id and contact.company else ""
    return f"{contact.full_name}{company} (fit {contact.fit_score})"


SEE_OPEN_ASK = "Open that ask"


def duplicate_ask_html(duplicate, *, user) -> str:
    """The refusal of a second open ask (referrals.services.DuplicateAsk), as shown on a
    page: its message, and a link to the open ask when the user may see it (a rep does not
    see a teammate's asks; the message names who made it)."""
    message = " ".join(duplicate.messages)
    existing = duplicate.existing
    if not referrals_for_user(user).filter(pk=existing.pk).exists():
        return message
    url = reverse("referrals:referral-detail", args=[existing.pk])
    return format_html('{} <a href="{}">{}</a>', message, url, SEE_OPEN_ASK)


SEE_ROSTER_ENTRY = "Open {name}'s roster entry"
SEE_EXISTING_CONTACT = "Open {name}"


def duplicate_person_link(*, user, team, data: dict):
    """When adding to the roster was refused because the person is already there (or a
    contact with that email exists), a link to that person, to add beside the refusal; None
    when there is no such person the user may see."""
    prospect = data.get("prospect")
    if prospect is not None:
        entry = roster_for_user(user, team=team).filter(owner=user, prospect=prospect).first()
        if entry is None:
            return None
        url = reverse("referrals:roster-edit", args=[entry.pk])
        return format_html('<a href="{}">{}</a>', url, SEE_ROSTER_ENTRY.format(name=prospect))
    email = (data.get("new_email") or "").strip()
    existing = Contact.objects.filter(team=team, email__iexact=email).first() if email else None
    if existing is None:
        return None
    url = reverse("contacts:detail", args=[existing.pk])
    return format_html(
        '<a href="{}">{}</a>', url, SEE_EXISTING_CONTACT.format(name=existing.full_name)
    )


class ContactPicker(forms.Select):
    """A <select> of contacts that never lists the whole team: it renders only the chosen
    contact, and a search box above it fetches at most a few matches (htmx) into it."""

    def __init__(self, *, kind: str = "", attrs=None):
        super().__init__(attrs=attrs)
        self.kind = kind

    def use_required_attribute(self, initial):
        # Our first option is always the empty one; never iterate the whole queryset.
        return not self.is_hidden

    def optgroups(self, name, value, attrs=None):
        chosen = [v for v in value if parse_id(v) is not None]
        everything = self.choices
        queryset = getattr(everything, "queryset", None)
        if queryset is not None:
            picked = queryset.filter(pk__in=chosen) if chosen else queryset.none()
            self.choices = [("", "— search above, then pick —")] + [
                (contact.pk, contact_label(contact)) for contact in picked
            ]
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = everything

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        select_id = attrs.get("id") or f"id_{name}"
        attrs["id"] = select_id
        url = reverse("referrals:contact-options")
        if self.kind:
            url += f"?kind={self.kind}"
        search = format_html(
            '<input type="search" name="q" data-search-box '
            'class="form-control form-control-sm mb-1" '
            'placeholder="Search by name, email or company…" aria-label="Search contacts for {}" '
            'autocomplete="off" hx-get="{}" hx-trigger="input changed delay:300ms, search" '
            'hx-target="#{}" hx-swap="innerHTML" hx-sync="this:replace">',
            name.replace("_", " "),
            url,
            select_id,
        )
        return search + super().render(name, value, attrs, renderer)


def _contact_field(*, label, required=True, kind="", help_text="", widget_attrs=None):
    return forms.ModelChoiceField(
        queryset=None,
        label=label,
        required=required,
        help_text=help_text,
        widget=ContactPicker(kind=kind, attrs=widget_attrs),
    )


class TeamFormMixin:
    """Scopes every contact field to the team the user works in."""

    contact_fields: tuple[str, ...] = ()

    def _scope_contacts(self, user, team):
        for name in self.contact_fields:
            self.fields[name].queryset = contacts_for_picking(user, team=team)


# --- Roster ---------------------------------------------------------------------------------


class RosterEntryCreateForm(TeamFormMixin, forms.Form):
    contact_fields = ("prospect",)

    prospect = _contact_field(
        label="Prospect", required=False, help_text="Someone already in your team's contacts…"
    )
    # The new contact's and company's name fields, with their limits and rule (core.names).
    new_first_name = forms.CharField(
        label="…or a new person: first name",
        required=False,
        max_length=Contact._meta.get_field("first_name").max_length,
        validators=[validate_name],
    )
    new_last_name = forms.CharField(
        label="Last name",
        required=False,
        max_length=Contact._meta.get_field("last_name").max_length,
        validators=[validate_name],
    )
    new_company = forms.CharField(
        label="Company",
        required=False,
        max_length=Company._meta.get_field("name").max_length,
        validators=[validate_name],
    )
    new_email = forms.EmailField(label="Email", required=False)
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int, initial=Priority.MEDIUM)
    reason = forms.CharField(
        label="Business reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=RosterEntry._meta.get_field("reason").help_text,
    )

    def __init__(self, *args, user, team, **kwargs):
        super().__init__(*args, **kwargs)
        self._scope_contacts(user, team)

    def clean(self):
        data = super().clean()
        new_person = any(
            data.get(f) for f in ("new_first_name", "new_last_name", "new_company", "new_email")
        )
        if data.get("prospect") and new_person:
            raise forms.ValidationError(PICK_OR_CREATE_NOT_BOTH)
        if not data.get("prospect") and not new_person and "prospect" not in self.errors:
            raise forms.ValidationError(PICK_OR_CREATE_PROSPECT)
        if new_person and not data.get("new_first_name", "").strip():
            self.add_error("new_first_name", NEW_PROSPECT_NEEDS_NAME)
        return data


class RosterFitRowForm(forms.Form):
    """One row of the fits page's bulk "add to my roster" (prefix row-<contact id>): tick
    to add, with the priority and the business reason of that person's entry."""

    add = forms.BooleanField(label="Add to my roster", required=False)
    priority = forms.TypedChoiceField(
        choices=Priority.choices, coerce=int, initial=Priority.MEDIUM, label="Priority"
    )
    reason = forms.CharField(
        label="Business reason",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Why this person, why now"}),
    )


class RosterEntryEditForm(forms.Form):
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int)
    reason = forms.CharField(
        label="Business reason", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


# --- Readiness ------------------------------------------------------------------------------


class ReadinessCheckForm(TeamFormMixin, forms.Form):
    contact_fields = ("client",)

    client = _contact_field(label="Client", kind="client")
    checked_on = DateFormField(label="Conversation on", widget=DATE_WIDGET)
    went_well = forms.CharField(
        label="What have we done right?", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    could_improve = forms.CharField(
        label="What could we do better?", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    would_take = forms.CharField(
        label="What would it take for you to refer us?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    testimonial = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    may_quote = forms.BooleanField(label="They allow us to quote them", required=False)
    green_light = forms.BooleanField(
        label="Green light: ready to be asked for introductions",
        required=False,
        help_text="Leave it off when they raised complaints: not yet.",
    )

    def __init__(self, *args, user, team, **kwargs):
        super().__init__(*args, **kwargs)
        self._scope_contacts(user, team)
        self.fields["checked_on"].initial = timezone.localdate()

    def clean_checked_on(self):
        day = self.cleaned_data["checked_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("The conversation cannot be in the future.")
        return day


# --- Referrals ------------------------------------------------------------------------------


class ReferralCreateForm(TeamFormMixin, forms.Form):
    contact_fields = ("referrer", "prospect")

    referrer = _contact_field(
        label="Referrer",
        kind="client",
        help_text="The person you ask for the introduction — a client, ideally.",
        widget_attrs={
            "hx-get": "",  # set in __init__
            "hx-trigger": "change",
            "hx-target": "#referrer-warning",
        },
    )
    prospect = _contact_field(label="Prospect", help_text="The person you want to meet.")
    roster_entry = forms.ModelChoiceField(queryset=None, required=False, widget=forms.HiddenInput)
    asked_at = DateTimeFormField(
        label="Asked on",
        required=False,
        widget=DATETIME_WIDGET,
        help_text="Leave empty for now.",
    )
    reason = forms.CharField(
        label="Business reason", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    quality = forms.ChoiceField(
        label="Introduction asked for",
        choices=Quality.choices,
        initial=Quality.BETTER,
        widget=forms.RadioSelect,
    )
    channel = forms.ChoiceField(choices=Referral._meta.get_field("channel").choices)
    message = forms.CharField(
        label="The ask, as sent", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, user, team, **kwargs):
        super().__init__(*args, **kwargs)
        self._scope_contacts(user, team)
        self.fields["roster_entry"].queryset = roster_for_user(user, team=team)
        self.fields["referrer"].widget.attrs["hx-get"] = reverse("referrals:referrer-warning")


class ReferralEditForm(forms.Form):
    reason = forms.CharField(
        label="Business reason", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    quality = forms.ChoiceField(choices=Quality.choices, widget=forms.RadioSelect)
    channel = forms.ChoiceField(choices=Referral._meta.get_field("channel").choices)
    message = forms.CharField(
        label="The ask, as sent", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    value = forms.DecimalField(
        required=False, min_value=0, max_digits=14, decimal_places=2, label="Deal value"
    )


class TransitionForm(forms.Form):
    """One step of a referral. Which steps are possible is the service's call, not the
    form's: an impossible one comes back as the service's TransitionError."""

    to = forms.ChoiceField(choices=Referral.Status.choices)
    at = DateTimeFormField(
        label="When did it happen?",
        required=False,
        widget=DATETIME_WIDGET,
        help_text="Leave empty for now.",
    )
    value = forms.DecimalField(
        required=False, min_value=0, max_digits=14, decimal_places=2, label="Deal value"
    )


# --- Deals ----------------------------------------------------------------------------------


class DealForm(TeamFormMixin, forms.Form):
    contact_fields = ("contact",)

    contact = _contact_field(label="Contact")
    name = forms.CharField(required=False, max_length=200, validators=[validate_name])
    source = forms.ChoiceField(choices=Deal.Source.choices, initial=Deal.Source.COLD)
    value = forms.DecimalField(required=False, min_value=0, max_digits=14, decimal_places=2)
    outcome = forms.ChoiceField(choices=Deal.Outcome.choices, initial=Deal.Outcome.OPEN)
    opened_on = DateFormField(widget=DATE_WIDGET)
    closed_on = DateFormField(
        required=False, widget=DATE_WIDGET, help_text="Only for a won or lost deal."
    )

    def __init__(self, *args, user, team, deal=None, **kwargs):
        super().__init__(*args, **kwargs)
        if deal is not None:
            # The contact of a deal does not change; a referral deal follows its referral.
            del self.fields["contact"]
            if deal.referral_id:
                for name in ("source", "value", "outcome", "opened_on", "closed_on"):
                    del self.fields[name]
        else:
            self._scope_contacts(user, team)
            self.fields["opened_on"].initial = timezone.localdate()


# --- Referrals given ------------------------------------------------------------------------


class ReferralGivenForm(TeamFormMixin, forms.Form):
    contact_fields = ("client", "introduced")

    client = _contact_field(label="Client we helped", kind="client")
    introduced = _contact_field(
        label="Introduced to", required=False, help_text="Someone in your team's contacts…"
    )
    introduced_name = forms.CharField(
        label="…or their name", required=False, max_length=200, validators=[validate_name]
    )
    given_on = DateFormField(label="Introduced on", widget=DATE_WIDGET)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, team, **kwargs):
        super().__init__(*args, **kwargs)
        self._scope_contacts(user, team)
        self.fields["given_on"].initial = timezone.localdate()
