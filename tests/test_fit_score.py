"""Fit against the ideal client profile (contacts/fit.py), with the scores worked out
by hand: each criterion the profile sets weighs its weight, matched or not; the score is
the matched weight over the weight set, scaled to 100 and rounded. The default weights
are industry 25, region 15, size 20, function 15, type of person 15, situation 10.

And the stored score is kept up to date: a changed profile rescores its team (and only
its team), a changed contact or company rescores the contacts concerned."""

import pytest

from contacts.fit import fit_criteria, fit_score
from contacts.models import Company, Contact, Function, IdealClientProfile, Industry, PersonType
from contacts.services import (
    company_update,
    contact_create,
    contact_fit_scores_refresh,
    contact_update,
    ideal_client_profile_update,
)
from tests.factories import CompanyFactory, ContactFactory


def profile(**fields) -> IdealClientProfile:
    """An unsaved profile: fit_score is a pure function of the profile and the contact."""
    return IdealClientProfile(**fields)


def person(**company_fields) -> Contact:
    """An unsaved contact in an unsaved company; contact fields prefixed with `contact_`."""
    contact_fields = {
        name.removeprefix("contact_"): company_fields.pop(name)
        for name in list(company_fields)
        if name.startswith("contact_")
    }
    company_fields = {
        "name": "Initech",
        "industry": "",
        "region": "",
        "country": "",
        "employee_count": None,
        **company_fields,
    }
    from contacts.models import Company  # local: keeps the helpers above readable

    return Contact(first_name="Pat", company=Company(**company_fields), **contact_fields)


# --- Nothing set, nothing to fit ----------------------------------------------------------


def test_no_profile_scores_zero():
    assert fit_score(None, person(industry=Industry.SOFTWARE)) == 0


def test_an_empty_profile_scores_everyone_zero():
    assert fit_score(profile(), person(industry=Industry.SOFTWARE, employee_count=100)) == 0
    assert fit_criteria(profile(), person()) == []


def test_a_profile_whose_weights_are_all_zero_scores_zero():
    zero = profile(industries=[Industry.SOFTWARE], weight_industry=0)
    assert fit_score(zero, person(industry=Industry.SOFTWARE)) == 0


# --- Each criterion alone: 100 when matched, 0 when not ------------------------------------


@pytest.mark.parametrize(
    ("icp", "fits", "does_not_fit"),
    [
        (
            {"industries": [Industry.SOFTWARE, Industry.FINANCE]},
            {"industry": Industry.FINANCE},
            {"industry": Industry.RETAIL},
        ),
        ({"regions": ["Nordics"]}, {"region": "Nordics"}, {"region": "Benelux"}),
        (
            {"min_employees": 50, "max_employees": 500},
            {"employee_count": 200},
            {"employee_count": 20},
        ),
        (
            {"functions": [Function.FINANCE]},
            {"contact_function": Function.FINANCE},
            {"contact_function": Function.SALES},
        ),
        (
            {"person_types": [PersonType.DECISION_MAKER]},
            {"contact_person_type": PersonType.DECISION_MAKER},
            {"contact_person_type": PersonType.USER},
        ),
        (
            {"situation_keywords": ["expansion"]},
            {"contact_title": "Head of expansion"},
            {"contact_title": "Head of retention"},
        ),
    ],
    ids=["industry", "region", "size", "function", "person type", "situation"],
)
def test_each_criterion_alone(icp, fits, does_not_fit):
    assert fit_score(profile(**icp), person(**fits)) == 100
    assert fit_score(profile(**icp), person(**does_not_fit)) == 0
    (criterion,) = fit_criteria(profile(**icp), person(**fits))
    assert criterion.matched


# --- Weights ------------------------------------------------------------------------------

EVERYTHING = {
    "industries": [Industry.SOFTWARE],
    "regions": ["Northeast"],
    "min_employees": 100,
    "max_employees": 1000,
    "functions": [Function.OPERATIONS],
    "person_types": [PersonType.DECISION_MAKER],
    "situation_keywords": ["new sites"],
}


def test_every_criterion_matched_scores_100():
    ideal = person(
        industry=Industry.SOFTWARE,
        region="Northeast",
        employee_count=250,
        contact_function=Function.OPERATIONS,
        contact_person_type=PersonType.DECISION_MAKER,
        contact_notes="Opening three new sites this year",
    )
    assert fit_score(profile(**EVERYTHING), ideal) == 100
    assert [c.label for c in fit_criteria(profile(**EVERYTHING), ideal)] == [
        "industry",
        "region",
        "company size",
        "function",
        "type of person",
        "situation",
    ]


@pytest.mark.parametrize(
    ("contact", "score"),
    [
        ({}, 0),
        ({"industry": Industry.SOFTWARE}, 25),  # 25 / 100
        ({"industry": Industry.SOFTWARE, "employee_count": 100}, 45),  # (25 + 20) / 100
        # function + type of person: (15 + 15) / 100
        ({"contact_function": Function.OPERATIONS, "contact_person_type": "decision_maker"}, 30),
        ({"country": "northeast", "contact_title": "New Sites lead"}, 25),  # (15 + 10) / 100
    ],
)
def test_default_weights_over_every_criterion(contact, score):
    assert fit_score(profile(**EVERYTHING), person(**contact)) == score


def test_only_the_criteria_set_count():
    # Industry and size set: 25 + 20 = 45 at stake; size alone matched: 20 / 45 = 44.4 → 44.
    icp = profile(industries=[Industry.SOFTWARE], min_employees=10)
    assert fit_score(icp, person(industry=Industry.RETAIL, employee_count=10)) == 44
    # Industry alone matched: 25 / 45 = 55.6 → 56.
    assert fit_score(icp, person(industry=Industry.SOFTWARE, employee_count=9)) == 56


def test_custom_weights():
    icp = profile(
        industries=[Industry.ENERGY],
        regions=["DACH"],
        functions=[Function.IT],
        weight_industry=6,
        weight_region=3,
        weight_function=1,
    )
    assert fit_score(icp, person(industry=Industry.ENERGY)) == 60  # 6 / 10
    assert fit_score(icp, person(region="DACH")) == 30  # 3 / 10
    assert fit_score(icp, person(contact_function=Function.IT, region="dach")) == 40  # 4 / 10
    assert (
        fit_score(
            icp, person(region="DACH", contact_function=Function.IT, industry=Industry.ENERGY)
        )
        == 100
    )


def test_a_criterion_weighing_nothing_neither_helps_nor_hurts():
    icp = profile(industries=[Industry.ENERGY], regions=["DACH"], weight_region=0)
    assert fit_score(icp, person(industry=Industry.ENERGY)) == 100
    assert fit_score(icp, person(region="DACH")) == 0


# --- Company size: bounds inclusive -------------------------------------------------------


@pytest.mark.parametrize(
    ("minimum", "maximum", "size", "matched"),
    [
        (50, 250, 50, True),
        (50, 250, 250, True),
        (50, 250, 49, False),
        (50, 250, 251, False),
        (50, None, 50, True),
        (50, None, 1_000_000, True),
        (50, None, 49, False),
        (None, 250, 0, True),
        (None, 250, 250, True),
        (None, 250, 251, False),
        (0, 0, 0, True),
        (50, 250, None, False),  # size unknown: not a fit
    ],
)
def test_company_size_bounds_are_inclusive(minimum, maximum, size, matched):
    icp = profile(min_employees=minimum, max_employees=maximum)
    assert fit_score(icp, person(employee_count=size)) == (100 if matched else 0)


def test_a_contact_without_company_matches_no_company_criterion():
    icp = profile(industries=[Industry.SOFTWARE], regions=["Northeast"], min_employees=1)
    loner = Contact(first_name="Lone", company=None)
    assert fit_score(icp, loner) == 0
    assert [criterion.matched for criterion in fit_criteria(icp, loner)] == [False] * 3


# --- Region: the company's region or country, any case -------------------------------------


@pytest.mark.parametrize(
    ("regions", "company", "matched"),
    [
        (["DACH"], {"region": "dach"}, True),
        (["dach"], {"region": "DACH"}, True),
        (["Germany"], {"region": "DACH", "country": "GERMANY"}, True),
        (["  Nordics "], {"region": "Nordics"}, True),
        (["Nordics"], {"region": " Nordics "}, True),
        (["France", "Spain"], {"country": "Spain"}, True),
        (["Benelux"], {"region": "DACH", "country": "Germany"}, False),
        (["North"], {"region": "Northeast"}, False),  # whole names, not parts
        (["Northeast", ""], {"region": "", "country": ""}, False),  # a blank entry is nothing
    ],
)
def test_region_matches_region_or_country_ignoring_case(regions, company, matched):
    assert fit_score(profile(regions=regions), person(**company)) == (100 if matched else 0)


def test_a_region_list_of_blanks_is_not_a_criterion():
    icp = profile(regions=["", "  "], industries=[Industry.SOFTWARE])
    assert [c.label for c in fit_criteria(icp, person())] == ["industry"]
    assert fit_score(icp, person(industry=Industry.SOFTWARE)) == 100


# --- Situation: keywords in the title or the notes, any case --------------------------------


@pytest.mark.parametrize(
    ("contact", "matched"),
    [
        ({"contact_title": "VP Expansion"}, True),
        ({"contact_notes": "Planning an EXPANSION into Canada"}, True),
        ({"contact_notes": "New CFO since May"}, True),
        ({"contact_title": "CFO"}, False),  # the title must contain the whole keyword
        ({"contact_title": "Head of sales", "contact_notes": "Happy with the vendor"}, False),
    ],
)
def test_situation_keywords_are_looked_for_in_title_and_notes(contact, matched):
    icp = profile(situation_keywords=["expansion", "new cfo"])
    assert fit_score(icp, person(**contact)) == (100 if matched else 0)


def test_blank_situation_keywords_match_nothing_and_count_for_nothing():
    assert fit_score(profile(situation_keywords=["", "expansion"]), person()) == 0
    icp = profile(situation_keywords=[" "], industries=[Industry.SOFTWARE])
    assert [c.label for c in fit_criteria(icp, person())] == ["industry"]


def test_keywords_are_trimmed():
    icp = profile(situation_keywords=[" expansion "])
    assert fit_score(icp, person(contact_title="Expansion lead")) == 100


# --- The stored score is kept up to date -------------------------------------------------


@pytest.fixture
def software_contacts(acme, globex, alice, charlie):
    """A software company in each team, with one contact each, scored 0 so far."""
    return {
        "acme": ContactFactory(
            team=acme, owner=alice, company=CompanyFactory(team=acme, industry=Industry.SOFTWARE)
        ),
        "acme retail": ContactFactory(
            team=acme, owner=alice, company=CompanyFactory(team=acme, industry=Industry.RETAIL)
        ),
        "globex": ContactFactory(
            team=globex,
            owner=charlie,
            company=CompanyFactory(team=globex, industry=Industry.SOFTWARE),
        ),
    }


def stored_scores(contacts: dict) -> dict:
    return {name: Contact.objects.get(pk=c.pk).fit_score for name, c in contacts.items()}


def test_updating_the_profile_rescores_its_team_and_only_its_team(acme, software_contacts):
    assert stored_scores(software_contacts) == {"acme": 0, "acme retail": 0, "globex": 0}

    ideal_client_profile_update(team=acme, data={"industries": [Industry.SOFTWARE]})

    assert stored_scores(software_contacts) == {"acme": 100, "acme retail": 0, "globex": 0}

    ideal_client_profile_update(
        team=acme, data={"industries": [Industry.SOFTWARE, Industry.RETAIL]}
    )
    assert stored_scores(software_contacts) == {"acme": 100, "acme retail": 100, "globex": 0}

    ideal_client_profile_update(team=acme, data={"industries": []})
    assert stored_scores(software_contacts) == {"acme": 0, "acme retail": 0, "globex": 0}


def test_updating_the_profile_keeps_one_profile_per_team(acme):
    ideal_client_profile_update(team=acme, data={"regions": ["Northeast"]})
    ideal_client_profile_update(team=acme, data={"min_employees": 10})
    stored = IdealClientProfile.objects.get(team=acme)
    assert (stored.regions, stored.min_employees) == (["Northeast"], 10)


def test_updating_a_contact_rescores_it(acme, software_contacts):
    ideal_client_profile_update(team=acme, data={"situation_keywords": ["new sites"]})
    contact = software_contacts["acme"]
    assert stored_scores({"c": contact}) == {"c": 0}

    contact_update(contact=contact, data={"notes": "Opening New Sites in 2027"})

    assert stored_scores({"c": contact}) == {"c": 100}


def test_a_new_contact_is_scored_when_created(acme, alice):
    ideal_client_profile_update(team=acme, data={"functions": [Function.FINANCE]})
    contact = contact_create(team=acme, owner=alice, first_name="Fay", function=Function.FINANCE)
    assert stored_scores({"c": contact}) == {"c": 100}


def test_updating_a_company_rescores_its_contacts(acme, software_contacts):
    ideal_client_profile_update(team=acme, data={"industries": [Industry.RETAIL]})
    assert stored_scores(software_contacts) == {"acme": 0, "acme retail": 100, "globex": 0}

    company_update(company=software_contacts["acme"].company, data={"industry": Industry.RETAIL})

    assert stored_scores(software_contacts) == {"acme": 100, "acme retail": 100, "globex": 0}


def test_refreshing_reports_how_many_scores_changed(acme, software_contacts):
    IdealClientProfile.objects.create(team=acme, industries=[Industry.SOFTWARE])
    contacts = Contact.objects.filter(team=acme).select_related("company")
    assert contact_fit_scores_refresh(contacts=contacts) == 1
    assert contact_fit_scores_refresh(contacts=contacts) == 0
    assert contact_fit_scores_refresh(contacts=[]) == 0


def test_a_half_point_rounds_up_as_people_round():
    # 5 of 8 weight points matched = 62.5 → 63 (Python's round() would say 62).
    profile = IdealClientProfile(
        industries=["software"],
        functions=["sales"],
        weight_industry=5,
        weight_function=3,
        weight_region=0,
        weight_size=0,
        weight_person_type=0,
        weight_situation=0,
    )
    contact = Contact(function="marketing", company=Company(industry="software"))

    assert fit_score(profile, contact) == 63
