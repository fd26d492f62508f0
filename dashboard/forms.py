from django import forms

from accounts.zones import zone_of
from core.dates import DateFormField
from referrals.models import WeeklyGoal
from reporting import kpis

CUSTOM_NEEDS_DATES = "A custom period needs a start and an end date."


class PeriodForm(forms.Form):
    """The period picker of the dashboard pages (GET). Invalid input falls back to this
    week with the form's errors shown; it never fails the page."""

    period = forms.ChoiceField(choices=kpis.PERIOD_CHOICES, required=False)
    start = DateFormField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = DateFormField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("period") == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError(CUSTOM_NEEDS_DATES)
            if start > end:
                raise forms.ValidationError(kpis.START_AFTER_END)
            if end - start > kpis.MAX_PERIOD:
                raise forms.ValidationError(kpis.PERIOD_TOO_LONG)
        return data

    def refusal(self) -> str | None:
        """Why the period asked for is refused, field by field ("Start: …"); None when it
        is fine, or when none was asked for (this week)."""
        if not self.is_bound or self.is_valid():
            return None
        return " ".join(
            f"{self[name].label}: {error}" if name in self.fields else error
            for name, errors in self.errors.items()
            for error in errors
        )

    def period_for(self, user) -> kpis.Period:
        zone = zone_of(user)
        today = kpis.today_for(user)
        data = self.cleaned_data if self.is_valid() else {}
        name = data.get("period") or "this_week"
        if name == "custom":
            return kpis.Period(data["start"], data["end"], zone)
        return kpis.named_period(name, today=today, zone=zone)

    def query_string(self) -> str:
        """The period as URL parameters, to carry it over to links and exports."""
        data = self.cleaned_data if self.is_valid() else {}
        name = data.get("period") or "this_week"
        if name == "custom":
            return f"period=custom&start={data['start']:%Y-%m-%d}&end={data['end']:%Y-%m-%d}"
        return f"period={name}"


class GoalForm(forms.ModelForm):
    """One row of the goals page; all empty means "no goal" (the row is removed)."""

    use_required_attribute = False

    class Meta:
        model = WeeklyGoal
        fields = ["asks", "intros", "meetings", "referrals_given", "wins"]
        widgets = {
            name: forms.NumberInput(attrs={"min": 0, "class": "form-control form-control-sm"})
            for name in ["asks", "intros", "meetings", "referrals_given", "wins"]
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            # A row with no goal yet starts empty, not at the model's default 0: saved
            # untouched it stays "no goal" (a rep's 0 would hide their share of the team's).
            self.initial = {}
            for field in self.fields.values():
                field.initial = None
