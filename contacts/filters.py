"""The filters of the network's lists, one FilterSet per list, shared by its page and its
API (core.filters): the companies (?q=/?search=, ?industry=, ?country=), the contacts
(?q=/?search=, ?kind=, ?owner=, ?company=, ?industry=, and by fit: ?min_fit=,
?prospective=, ?matches_<criterion>=, ?sort=fit) and the relationships (?q=/?search=,
?contact=, ?kind=, ?strength=, ?min_strength=, ?source=)."""

from functools import partial

import django_filters
from django.db.models import Q

from contacts.fit import CRITERIA, criterion_condition
from contacts.models import Company, Contact, ContactKind, Industry, Relationship
from contacts.selectors import (
    contact_search_filter,
    done_business_condition,
    ideal_client_profiles_visible,
)
from core.filters import BooleanFilter, FilterSet, IdFilter, WholeNumberFilter, search_filters

# ?sort=: the list's orders. The name first is the default (no parameter).
SORT_NAME = "name"
SORT_FIT = "fit"
CONTACT_ORDER = {
    SORT_NAME: ("last_name", "first_name", "pk"),
    SORT_FIT: ("-fit_score", "last_name", "first_name", "pk"),
}


class CompanyFilter(FilterSet):
    q, search = search_filters(
        fields=("name", "country", "region"),
        help_text="Every word must appear in the company's name, country or region.",
    )
    industry = django_filters.ChoiceFilter(choices=Industry.choices, empty_label="Any industry")

    class Meta:
        model = Company
        fields = ["q", "search", "industry", "country"]


def _criterion_filter(key: str) -> BooleanFilter:
    return BooleanFilter(
        method="filter_criterion",
        label=f"Matches the profile's {CRITERIA[key]}",
        help_text=f"true: contacts who match the ideal client profile's {CRITERIA[key]}; "
        "false: those who do not. Read against each contact's team's profile; when the "
        "profile does not set it, nobody is listed.",
    )


class ContactFilter(FilterSet):
    q, search = search_filters(
        condition=contact_search_filter,
        help_text="Every word must appear in the first or last name, the email or the "
        "company's name.",
    )
    # Ids are plain numbers (core.filters.IdFilter): another team's id matches nothing.
    kind = django_filters.ChoiceFilter(choices=ContactKind.choices, empty_label="Any kind")
    owner = IdFilter(field_name="owner_id")
    company = IdFilter(field_name="company_id")
    industry = django_filters.ChoiceFilter(
        field_name="company__industry", choices=Industry.choices, empty_label="Any industry"
    )
    # By fit against the team's ideal client profile (contacts/fit.py).
    min_fit = WholeNumberFilter(
        field_name="fit_score",
        lookup_expr="gte",
        max_value=100,
        label="Fit at least",
        help_text="Contacts whose fit score (0–100) is at least this.",
    )
    prospective = BooleanFilter(
        method="filter_prospective",
        label="Not yet a client",
        help_text="true: people the team has not done business with yet (neither clients "
        "nor former clients, nor the team's own members); false: only those.",
    )
    matches_industry, matches_region, matches_size = (
        _criterion_filter(key) for key in ("industry", "region", "size")
    )
    matches_function, matches_person_type, matches_situation = (
        _criterion_filter(key) for key in ("function", "person_type", "situation")
    )
    sort = django_filters.ChoiceFilter(
        method="filter_sort",
        choices=[(SORT_NAME, "Name"), (SORT_FIT, "Best fit first")],
        empty_label="Name",
        label="Sort by",
        help_text="name (the default): by last name, then first name; fit: the best fit "
        "first, then by name. An `ordering` given too wins over it.",
    )

    class Meta:
        model = Contact
        fields = ["q", "search", "kind", "owner", "company", "industry"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Whose teams' profiles the criteria read: the request's user (page, API), or the
        # user a CSV export is written for. Nobody: no profile, so no criterion matches.
        self.user = user or getattr(self.request, "user", None)
        if self.user is not None:
            # The contacts listed are the user's teams': so are the companies searched.
            search = partial(contact_search_filter, user=self.user)
            for name in ("q", "search"):
                self.filters[name].condition = search

    def filter_prospective(self, queryset, name, value):
        done = done_business_condition()
        return queryset.exclude(done) if value else queryset.filter(done)

    def filter_criterion(self, queryset, name, value):
        """Each team's contacts against its own profile. A criterion the profile does not
        set lists nobody, either way: it does not count (contacts/fit.py)."""
        key = name.removeprefix("matches_")
        condition = Q(pk__in=[])
        profiles = ideal_client_profiles_visible(user=self.user) if self.user else []
        for profile in profiles:
            matched = criterion_condition(profile, key)
            if matched is not None:
                condition |= Q(team_id=profile.team_id) & (matched if value else ~matched)
        return queryset.filter(condition)

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*CONTACT_ORDER[value])


class RelationshipFilter(FilterSet):
    q, search = search_filters(
        fields=(
            "contact_a__first_name",
            "contact_a__last_name",
            "contact_b__first_name",
            "contact_b__last_name",
        ),
        help_text="Every word must appear in either person's first or last name.",
    )
    contact = IdFilter(method="filter_contact", label="Either person")
    min_strength = WholeNumberFilter(field_name="strength", lookup_expr="gte")

    class Meta:
        model = Relationship
        fields = ["q", "search", "contact", "kind", "strength", "min_strength", "source"]

    def filter_contact(self, queryset, name, value):
        return queryset.filter(Q(contact_a_id=value) | Q(contact_b_id=value))
