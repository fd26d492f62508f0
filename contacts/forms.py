"""Forms of the network pages.

The model forms here validate shape only (types, formats, choices) and are never saved:
views hand `cleaned_data` to contacts.services, where the business rules live. They are
built without an instance so that validating a form never changes a loaded object.
"""

from django import forms
from django.urls import reverse

from contacts.models import (
    Channel,
    Company,
    Contact,
    Function,
    Industry,
    PersonType,
    Relationship,
)
from contacts.selectors import team_owners
from core.names import validate_name

CONTACT_FORM_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "function",
    "person_type",
    "kind",
    "client_since",
    "preferred_channel",
    "update_cadence",
    "stay_in_touch_days",
    "linkedin_url",
    "owner",
    "notes",
]
COMPANY_FORM_FIELDS = [
    "name",
    "industry",
    "region",
    "country",
    "employee_count",
    "revenue_band",
    "website",
]
RELATIONSHIP_FORM_FIELDS = ["kind", "strength", "since", "source", "notes"]

COMPANY_PICKED_AND_TYPED = "Pick an existing company or type a new name, not both."
PICK_SOMEONE = "Pick the person they know."
MIN_ABOVE_MAX = "The smallest company size cannot be above the largest."
STRENGTH_CHOICES = [
    (1, "1 — barely know each other"),
    (2, "2 — acquaintances"),
    (3, "3 — know each other well"),
    (4, "4 — close"),
    (5, "5 — would do anything for each other"),
]


def _search_box(*, label: str, url: str, target: str, placeholder: str) -> forms.CharField:
    """A search-as-you-type box: htmx replaces the options of the select `target` with
    the few matches the search endpoint returns, so a team of any size stays one query."""
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "data-search-box": "",
                "autocomplete": "off",
                "placeholder": placeholder,
                "hx-get": url,
                "hx-trigger": "input changed delay:250ms, search",
                "hx-target": target,
                "hx-swap": "innerHTML",
            }
        ),
    )


def _show_only(field: forms.ModelChoiceField, objects, *, blank: str | None) -> None:
    """Render only these options (the current choice), not the whole team; validation
    still checks against the field's full, team-scoped queryset."""
    choices = [("", blank)] if blank is not None else []
    choices += [(obj.pk, str(obj)) for obj in objects]
    field.widget.choices = choices


def _chosen_pk(form: forms.Form, name: str):
    value = form.data.get(form.add_prefix(name)) if form.is_bound else form.initial.get(name)
    value = getattr(value, "pk", value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ContactForm(forms.ModelForm):
    # Typed in the form to create the company on the fly.
    new_company_name = forms.CharField(
        label="…or a new company",
        max_length=200,
        required=False,
        validators=[validate_name],
        help_text="Type a name to add a company that is not in Warmpath yet.",
    )

    class Meta:
        model = Contact
        fields = CONTACT_FORM_FIELDS
        widgets = {
            "client_since": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"] = _search_box(
            label="Find a company",
            url=f"{reverse('contacts:company-search')}?team={team.pk}",
            target="#id_company",
            placeholder="Type a few letters of the company name",
        )
        self.order_fields(
            [*CONTACT_FORM_FIELDS[:4], "q", "company", "new_company_name", *CONTACT_FORM_FIELDS[5:]]
        )
        company = self.fields["company"]
        company.queryset = Company.objects.filter(team=team)
        company.label = "Company"
        chosen = _chosen_pk(self, "company")
        _show_only(
            company,
            Company.objects.filter(team=team, pk=chosen) if chosen else [],
            blank="— no company —",
        )
        owner = self.fields["owner"]
        owner.queryset = team_owners(team=team)
        owner.required = False  # left empty: the person adding the contact owns it
        # A team has a handful of members: list them once, however often it is rendered.
        _show_only(owner, list(owner.queryset), blank=None)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("company") and (cleaned.get("new_company_name") or "").strip():
            self.add_error("new_company_name", COMPANY_PICKED_AND_TYPED)
        return cleaned

    def contact_data(self) -> dict:
        """What contacts.services takes: the contact fields, without the helpers (and
        without the owner when none was picked)."""
        data = {name: self.cleaned_data[name] for name in CONTACT_FORM_FIELDS}
        if data["owner"] is None:
            del data["owner"]
        return data


class TouchLogForm(forms.Form):
    """A call, a message or a meeting outside any referral, noted on the contact's page."""

    channel = forms.ChoiceField(label="How", choices=Channel.choices, initial=Channel.PHONE)
    note = forms.CharField(
        label="What about",
        required=False,
        max_length=400,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Caught up about their expansion"}),
    )


class CompanyForm(forms.ModelForm):
    class Meta:
        model = Company
        fields = COMPANY_FORM_FIELDS


class RelationshipForm(forms.ModelForm):
    """A tie's details; the create form adds the other person (see RelationshipCreateForm)."""

    strength = forms.TypedChoiceField(
        choices=STRENGTH_CHOICES,
        coerce=int,
        initial=3,
        widget=forms.RadioSelect,
        help_text="How well they know each other.",
    )

    class Meta:
        model = Relationship
        fields = RELATIONSHIP_FORM_FIELDS
        labels = {"kind": "Kind of tie", "since": "Know each other since"}
        widgets = {
            "since": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.TextInput(),
        }


class RelationshipCreateForm(RelationshipForm):
    other = forms.ModelChoiceField(
        label="Who do they know?",
        queryset=Contact.objects.none(),
        error_messages={"required": PICK_SOMEONE},
    )

    def __init__(self, *args, contact: Contact, you: Contact | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"] = _search_box(
            label="Find a person",
            url=f"{reverse('contacts:search')}?team={contact.team_id}&exclude={contact.pk}",
            target="#id_other",
            placeholder="Type a name, an email or a company",
        )
        self.order_fields(["q", "other", *RELATIONSHIP_FORM_FIELDS])
        other = self.fields["other"]
        other.queryset = Contact.objects.filter(team_id=contact.team_id).exclude(pk=contact.pk)
        # Offered up front: the rep themselves (their own ties are relationships too),
        # and the person already chosen when the form comes back with an error.
        shown = []
        if you is not None and you.pk != contact.pk:
            shown.append(you)
        chosen = _chosen_pk(self, "other")
        if chosen and chosen not in {person.pk for person in shown}:
            shown += list(other.queryset.filter(pk=chosen))
        _show_only(other, shown, blank="— type above to find someone —")
        if you is not None:
            other.widget.choices = [
                (pk, f"You ({label})" if pk == you.pk else label)
                for pk, label in other.widget.choices
            ]


# --- Ideal client profile -------------------------------------------------------------------


class CommaListField(forms.CharField):
    """Free words, comma separated, kept as a list."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        return [part.strip() for part in value.split(",") if part.strip()]


def _weight(label):
    return forms.IntegerField(label=label, min_value=0, max_value=100)


class IdealClientProfileForm(forms.Form):
    industries = forms.MultipleChoiceField(
        choices=Industry.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    regions = CommaListField(
        required=False, help_text="Regions or countries, comma separated (e.g. Northeast, DACH)."
    )
    min_employees = forms.IntegerField(
        label="Smallest company (employees)", min_value=0, required=False
    )
    max_employees = forms.IntegerField(
        label="Largest company (employees)", min_value=0, required=False
    )
    functions = forms.MultipleChoiceField(
        label="Business functions",
        choices=Function.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    person_types = forms.MultipleChoiceField(
        label="Types of person",
        choices=PersonType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    situation = forms.CharField(
        label="Situation or need",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The situation that makes us the answer, in a sentence.",
    )
    situation_keywords = CommaListField(
        label="Situation keywords",
        required=False,
        help_text="Words in a contact's title or notes that signal the situation, comma separated.",
    )
    reasons_to_refer = forms.CharField(
        label="Reasons to refer us",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why a client would refer us, one reason a line, the strongest first: "
        "the drafted asks quote the first two.",
    )
    weight_industry = _weight("Weight of industry")
    weight_region = _weight("Weight of region")
    weight_size = _weight("Weight of company size")
    weight_function = _weight("Weight of function")
    weight_person_type = _weight("Weight of type of person")
    weight_situation = _weight("Weight of situation")

    def clean(self):
        data = super().clean()
        low, high = data.get("min_employees"), data.get("max_employees")
        if low is not None and high is not None and low > high:
            self.add_error("max_employees", MIN_ABOVE_MAX)
        return data
