"""The database's reading of each ideal-client criterion (contacts.fit.criterion_condition,
the contact list's ?matches_<criterion>= filters) agrees with the score's own reading
(contacts.fit.fit_criteria), on generated profiles and people: a contact is listed by
`matches_x=true` exactly when its fit counts x as matched, by `false` exactly when x is
set and not matched, and by neither when the profile does not set x."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts.filters import ContactFilter
from contacts.fit import CRITERIA, fit_criteria
from contacts.models import Contact, Function, IdealClientProfile, Industry, PersonType
from contacts.selectors import contact_list
from tests.factories import CompanyFactory, ContactFactory

REGIONS = ["Ontario", "ontario ", "Munster", "Quebec", "", "Lagos"]
COUNTRIES = ["Canada", "Ireland", "IRELAND", "Nigeria", ""]
TITLES = ["Head of Logistics", "CFO", "Fleet manager", "", "Warehouse expansion lead"]
NOTES = ["", "Opening three warehouses", "cost cutting this year", "Met at the expo"]
KEYWORDS = ["warehouse", "Fleet", "cost cutting", "expo", " ", "CFO"]

profiles = st.fixed_dictionaries(
    {
        "industries": st.lists(st.sampled_from(Industry.values), max_size=2, unique=True),
        "regions": st.lists(st.sampled_from(["ontario", " Ireland", "Lagos", ""]), max_size=2),
        "min_employees": st.one_of(st.none(), st.sampled_from([0, 50, 200])),
        "max_employees": st.one_of(st.none(), st.sampled_from([100, 500])),
        "functions": st.lists(st.sampled_from(Function.values), max_size=2, unique=True),
        "person_types": st.lists(st.sampled_from(PersonType.values), max_size=2, unique=True),
        "situation_keywords": st.lists(st.sampled_from(KEYWORDS), max_size=2),
    }
)


@pytest.fixture
def people(acme, alice, globex, charlie):
    """Every combination the criteria look at, a few companyless, and another team's."""
    contacts = []
    for n in range(24):
        company = None
        if n % 6:
            company = CompanyFactory(
                team=acme,
                industry=Industry.values[n % len(Industry.values)],
                region=REGIONS[n % len(REGIONS)],
                country=COUNTRIES[n % len(COUNTRIES)],
                employee_count=[None, 20, 150, 250, 800][n % 5],
            )
        contacts.append(
            ContactFactory(
                team=acme,
                owner=alice,
                company=company,
                function=(["", *Function.values])[n % (len(Function.values) + 1)],
                person_type=(["", *PersonType.values])[n % (len(PersonType.values) + 1)],
                title=TITLES[n % len(TITLES)],
                notes=NOTES[n % len(NOTES)],
            )
        )
    ContactFactory(team=globex, owner=charlie)
    return contacts


@pytest.mark.parametrize("key", list(CRITERIA))
def test_each_criterion_filter_lists_who_the_fit_counts_as_matching(key, acme, alice, people):
    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(profiles)
    def agree(fields):
        IdealClientProfile.objects.update_or_create(team=acme, defaults=fields)
        profile = IdealClientProfile.objects.get(team=acme)
        everyone = Contact.objects.filter(team=acme).select_related("company")
        expected = {True: set(), False: set()}
        for contact in everyone:
            for criterion in fit_criteria(profile, contact):
                if criterion.key == key:
                    expected[criterion.matched].add(contact.pk)
        for value in (True, False):
            listed = ContactFilter(
                {f"matches_{key}": "true" if value else "false"},
                queryset=contact_list(user=alice),
                user=alice,
            ).qs
            assert {contact.pk for contact in listed} == expected[value], (fields, value)

    agree()


def test_without_a_user_no_criterion_matches(acme, alice, people):
    IdealClientProfile.objects.create(team=acme, industries=Industry.values)

    listed = ContactFilter({"matches_industry": "true"}, queryset=Contact.objects.all()).qs

    assert not listed.exists()
