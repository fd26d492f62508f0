"""The filters of the network's lists, one FilterSet per list, shared by its page and its
API (core.filters): the companies (?q=/?search=, ?industry=, ?country=), the contacts
(?q=/?search=, ?kind=, ?owner=, ?company=, ?industry=) and the relationships
(?q=/?search=, ?contact=, ?kind=, ?strength=, ?min_strength=, ?source=)."""

import django_filters
from django.db.models import Q

from contacts.models import Company, Contact, ContactKind, Industry, Relationship
from contacts.selectors import contact_search_filter
from core.filters import FilterSet, IdFilter, WholeNumberFilter, search_filters


class CompanyFilter(FilterSet):
    q, search = search_filters(
        fields=("name", "country", "region"),
        help_text="Every word must appear in the company's name, country or region.",
    )
    industry = django_filters.ChoiceFilter(choices=Industry.choices, empty_label="Any industry")

    class Meta:
        model = Company
        fields = ["q", "search", "industry", "country"]


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

    class Meta:
        model = Contact
        fields = ["q", "search", "kind", "owner", "company", "industry"]


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
