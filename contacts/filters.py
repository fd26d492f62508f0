"""Filters of the network's API lists (?kind=, ?owner=, ?company=, ?industry=, ?contact=)."""

import django_filters
from django.db.models import Q

from contacts.models import Company, Contact, ContactKind, Industry, Relationship


class CompanyFilter(django_filters.FilterSet):
    industry = django_filters.ChoiceFilter(choices=Industry.choices)

    class Meta:
        model = Company
        fields = ["industry", "country"]


class ContactFilter(django_filters.FilterSet):
    # Plain numbers, not model choices: an id the user cannot see simply matches nothing,
    # and no query is spent validating it.
    kind = django_filters.ChoiceFilter(choices=ContactKind.choices)
    owner = django_filters.NumberFilter(field_name="owner_id")
    company = django_filters.NumberFilter(field_name="company_id")
    industry = django_filters.ChoiceFilter(field_name="company__industry", choices=Industry.choices)

    class Meta:
        model = Contact
        fields = ["kind", "owner", "company", "industry"]


class RelationshipFilter(django_filters.FilterSet):
    contact = django_filters.NumberFilter(method="filter_contact", label="Either person")
    min_strength = django_filters.NumberFilter(field_name="strength", lookup_expr="gte")

    class Meta:
        model = Relationship
        fields = ["contact", "kind", "strength", "min_strength", "source"]

    def filter_contact(self, queryset, name, value):
        return queryset.filter(Q(contact_a_id=value) | Q(contact_b_id=value))
