"""The team's network, proved at the service layer and in the database: who knows whom is
stored once per pair, never with oneself, never across teams, with a strength of 1 to 5;
one contact per person per team (email, LinkedIn URL); one company per name per team;
and one contact record of their own for every member."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts.models import Activity, Company, Contact, ContactKind, Relationship
from contacts.services import (
    DUPLICATE_COMPANY,
    DUPLICATE_EMAIL,
    DUPLICATE_LINKEDIN,
    RELATIONSHIP_ACROSS_TEAMS,
    RELATIONSHIP_EXISTS,
    RELATIONSHIP_WITH_ITSELF,
    company_create,
    company_update,
    contact_create,
    contact_for_user_ensure,
    contact_update,
    normalize_linkedin_url,
    relationship_create,
    relationship_update,
    team_member_add,
)
from tests.factories import (
    TEST_PASSWORD,
    CompanyFactory,
    ContactFactory,
    RelationshipFactory,
)


@pytest.fixture
def ann(acme, alice):
    return ContactFactory(team=acme, owner=alice, first_name="Ann", last_name="Able")


@pytest.fixture
def ben(acme, bob):
    return ContactFactory(team=acme, owner=bob, first_name="Ben", last_name="Baker")


@pytest.fixture
def gil(globex, charlie):
    return ContactFactory(team=globex, owner=charlie, first_name="Gil", last_name="Globex")


def refused_with(excinfo) -> list[str]:
    return excinfo.value.messages


# --- Relationships ------------------------------------------------------------------------


def test_a_relationship_is_stored_once_in_canonical_order_whichever_way_it_is_given(ann, ben):
    low, high = sorted((ann, ben), key=lambda person: person.pk)
    relationship = relationship_create(contact=high, other=low, kind="friend", strength=4)
    relationship.refresh_from_db()
    assert (relationship.contact_a, relationship.contact_b) == (low, high)
    assert relationship.contact_a.pk < relationship.contact_b.pk
    assert (relationship.kind, relationship.strength) == ("friend", 4)
    assert relationship.team == ann.team


def test_a_relationship_is_symmetric(ann, ben):
    relationship_create(contact=ann, other=ben)
    with pytest.raises(ValidationError) as refused:
        relationship_create(contact=ben, other=ann)
    assert refused_with(refused) == [RELATIONSHIP_EXISTS.format(a=ben, b=ann)]
    with pytest.raises(ValidationError) as refused:
        relationship_create(contact=ann, other=ben)
    assert refused_with(refused) == [RELATIONSHIP_EXISTS.format(a=ann, b=ben)]
    assert Relationship.objects.count() == 1


def test_a_relationship_records_a_line_on_both_timelines(alice, ann, ben):
    relationship_create(contact=ann, other=ben, actor=alice, kind="colleague", strength=2)
    assert set(Activity.objects.values_list("contact", "verb")) == {
        (ann.pk, "relationship"),
        (ben.pk, "relationship"),
    }


def test_nobody_has_a_relationship_with_themselves(ann):
    with pytest.raises(ValidationError) as refused:
        relationship_create(contact=ann, other=ann)
    assert refused_with(refused) == [RELATIONSHIP_WITH_ITSELF]
    assert not Relationship.objects.exists()
    assert not Activity.objects.exists()


def test_a_relationship_never_crosses_teams(ann, gil):
    for contact, other in ((ann, gil), (gil, ann)):
        with pytest.raises(ValidationError) as refused:
            relationship_create(contact=contact, other=other)
        assert refused_with(refused) == [RELATIONSHIP_ACROSS_TEAMS]
    assert not Relationship.objects.exists()
    assert not Activity.objects.exists()


@pytest.mark.parametrize("strength", [1, 5])
def test_strength_from_1_to_5_is_accepted(ann, ben, strength):
    assert relationship_create(contact=ann, other=ben, strength=strength).strength == strength


@pytest.mark.parametrize("strength", [0, 6, -1, 100])
def test_strength_outside_1_to_5_is_refused(ann, ben, strength):
    with pytest.raises(ValidationError) as refused:
        relationship_create(contact=ann, other=ben, strength=strength)
    assert set(refused.value.message_dict) == {"strength"}
    assert not Relationship.objects.exists()
    assert not Activity.objects.exists()


def test_an_unknown_kind_is_refused(ann, ben):
    with pytest.raises(ValidationError) as refused:
        relationship_create(contact=ann, other=ben, kind="nemesis")
    assert set(refused.value.message_dict) == {"kind"}
    assert not Relationship.objects.exists()


@pytest.mark.parametrize("strength", [0, 6])
def test_relationship_update_keeps_strength_within_1_to_5(ann, ben, strength):
    relationship = relationship_create(contact=ann, other=ben, strength=3)
    with pytest.raises(ValidationError):
        relationship_update(relationship=relationship, data={"strength": strength})
    relationship.refresh_from_db()
    assert relationship.strength == 3


# The database holds the same rules when the service is bypassed (an import script, the
# shell, a future bug), on SQLite and PostgreSQL alike.


@pytest.mark.parametrize("strength", [0, 6])
def test_the_database_refuses_a_strength_outside_1_to_5(ann, ben, strength):
    with pytest.raises(IntegrityError), transaction.atomic():
        RelationshipFactory(between=(ann, ben), strength=strength)
    assert not Relationship.objects.exists()


def test_the_database_refuses_a_second_row_for_one_pair(ann, ben):
    RelationshipFactory(between=(ann, ben))
    with pytest.raises(IntegrityError), transaction.atomic():
        RelationshipFactory(between=(ben, ann))
    assert Relationship.objects.count() == 1


def test_the_database_refuses_a_pair_in_reverse_order(ann, ben):
    low, high = sorted((ann, ben), key=lambda person: person.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        Relationship.objects.create(team=ann.team, contact_a=high, contact_b=low)
    assert not Relationship.objects.exists()


def test_the_database_refuses_a_relationship_with_oneself(ann):
    with pytest.raises(IntegrityError), transaction.atomic():
        Relationship.objects.create(team=ann.team, contact_a=ann, contact_b=ann)


@settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    pairs=st.lists(
        st.tuples(st.integers(min_value=0, max_value=4), st.integers(min_value=0, max_value=4)),
        max_size=15,
    )
)
def test_random_pairs_never_make_two_rows_for_one_pair(acme, alice, pairs):
    with transaction.atomic():  # rolled back after each example
        people = ContactFactory.create_batch(5, team=acme, owner=alice)
        linked: set[frozenset] = set()
        for first, second in pairs:
            try:
                relationship_create(contact=people[first], other=people[second])
                created = True
            except ValidationError:
                created = False
            # Refused exactly when it is oneself or a pair already linked, either way round.
            assert created == (first != second and frozenset((first, second)) not in linked)
            if created:
                linked.add(frozenset((first, second)))
        rows = list(Relationship.objects.values_list("contact_a", "contact_b"))
        assert len(rows) == len(set(rows))
        assert all(contact_a < contact_b for contact_a, contact_b in rows)
        expected = {
            tuple(sorted((people[first].pk, people[second].pk)))
            for first, second in pairs
            if first != second
        }
        assert set(rows) == expected
        transaction.set_rollback(True)


# --- Contacts: one per person per team ----------------------------------------------------


def new_contact(team, owner, **fields):
    return contact_create(
        team=team, owner=owner, first_name=fields.pop("first_name", "Zoe"), **fields
    )


def test_a_duplicate_email_is_refused_whatever_its_case(acme, alice, ann):
    before = (Contact.objects.count(), Activity.objects.count())
    with pytest.raises(ValidationError) as refused:
        new_contact(acme, alice, email=f"  {ann.email.upper()} ")
    assert refused.value.message_dict == {"email": [DUPLICATE_EMAIL.format(name=ann.full_name)]}
    assert (Contact.objects.count(), Activity.objects.count()) == before


def test_a_duplicate_linkedin_url_is_refused(acme, alice, ann):
    Contact.objects.filter(pk=ann.pk).update(linkedin_url="https://www.linkedin.com/in/ann")
    before = Contact.objects.count()
    with pytest.raises(ValidationError) as refused:
        new_contact(acme, alice, linkedin_url="https://www.linkedin.com/in/ann ")
    assert refused.value.message_dict == {
        "linkedin_url": [DUPLICATE_LINKEDIN.format(name=ann.full_name)]
    }
    assert Contact.objects.count() == before


def test_both_duplicates_are_reported_at_once(acme, alice, ann, ben):
    Contact.objects.filter(pk=ben.pk).update(linkedin_url="https://www.linkedin.com/in/ben")
    with pytest.raises(ValidationError) as refused:
        new_contact(acme, alice, email=ann.email, linkedin_url="https://www.linkedin.com/in/ben")
    assert refused.value.message_dict == {
        "email": [DUPLICATE_EMAIL.format(name=ann.full_name)],
        "linkedin_url": [DUPLICATE_LINKEDIN.format(name=ben.full_name)],
    }


def test_the_same_email_in_another_team_is_another_person(globex, charlie, ann):
    twin = new_contact(globex, charlie, email=ann.email, first_name="Ann")
    assert twin.team == globex
    assert Contact.objects.filter(email__iexact=ann.email).count() == 2


def test_contacts_without_email_or_linkedin_do_not_clash(acme, alice):
    new_contact(acme, alice, first_name="One")
    new_contact(acme, alice, first_name="Two")
    assert Contact.objects.filter(email="", linkedin_url="").count() == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "not-an-email"), ("linkedin_url", "linkedin ann"), ("kind", "enemy")],
)
def test_invalid_input_is_refused_and_nothing_is_written(acme, alice, field, value):
    with pytest.raises(ValidationError) as refused:
        new_contact(acme, alice, **{field: value})
    assert set(refused.value.message_dict) == {field}
    assert not Contact.objects.exists()
    assert not Activity.objects.exists()


def test_a_contact_is_created_with_its_activity(acme, alice):
    contact = new_contact(acme, alice, email=" Zoe@Example.com ")
    assert contact.email == "Zoe@Example.com"
    assert Activity.objects.get(contact=contact).verb == "created"


def test_a_contact_cannot_join_a_company_of_another_team(acme, globex, alice):
    with pytest.raises(ValidationError) as refused:
        new_contact(acme, alice, company=CompanyFactory(team=globex))
    assert set(refused.value.message_dict) == {"company"}
    assert not Contact.objects.exists()


def test_contact_update_refuses_another_contacts_email(ann, ben):
    original = ben.email
    with pytest.raises(ValidationError) as refused:
        contact_update(contact=ben, data={"email": ann.email.title()})
    assert refused.value.message_dict == {"email": [DUPLICATE_EMAIL.format(name=ann.full_name)]}
    ben.refresh_from_db()
    assert ben.email == original


def test_contact_update_refuses_another_contacts_linkedin_url(ann, ben):
    Contact.objects.filter(pk=ann.pk).update(linkedin_url="https://www.linkedin.com/in/ann")
    with pytest.raises(ValidationError) as refused:
        contact_update(contact=ben, data={"linkedin_url": "https://www.linkedin.com/in/ann"})
    assert refused.value.message_dict == {
        "linkedin_url": [DUPLICATE_LINKEDIN.format(name=ann.full_name)]
    }
    ben.refresh_from_db()
    assert ben.linkedin_url == ""


def test_contact_update_does_not_clash_with_itself(ann):
    Contact.objects.filter(pk=ann.pk).update(linkedin_url="https://www.linkedin.com/in/ann")
    ann.refresh_from_db()
    updated = contact_update(
        contact=ann,
        data={
            "email": ann.email.upper(),
            "linkedin_url": ann.linkedin_url,
            "title": "Chief Operating Officer",
        },
    )
    updated.refresh_from_db()
    assert updated.email == ann.email.upper()
    assert updated.title == "Chief Operating Officer"


def test_contact_update_refuses_an_invalid_email(ann):
    original = ann.email
    with pytest.raises(ValidationError) as refused:
        contact_update(contact=ann, data={"email": "ann at example"})
    assert set(refused.value.message_dict) == {"email"}
    ann.refresh_from_db()
    assert ann.email == original


def test_the_database_refuses_a_duplicate_email_whatever_its_case(acme, alice, ann):
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactFactory(team=acme, owner=alice, email=ann.email.upper())


# --- Each member's own contact record -----------------------------------------------------


def test_a_user_gets_exactly_one_contact_of_their_own(acme, alice):
    first = contact_for_user_ensure(user=alice, team=acme)
    again = contact_for_user_ensure(user=alice, team=acme)
    assert first == again
    assert Contact.objects.filter(user=alice).count() == 1
    assert (first.team, first.owner, first.kind) == (acme, alice, ContactKind.COLLEAGUE)
    assert (first.first_name, first.email) == ("Alice", alice.email)


def test_a_users_own_contact_leaves_the_email_to_an_existing_contact(acme, alice):
    existing = ContactFactory(team=acme, owner=alice, email=alice.email.upper())
    own = contact_for_user_ensure(user=alice, team=acme)
    assert own != existing
    assert own.email == ""


def test_adding_a_member_creates_their_own_contact_once(acme):
    for _ in range(2):
        result = team_member_add(
            team_name="Acme", username="dora", role="rep", password=TEST_PASSWORD
        )
    dora = result.membership.user
    own = Contact.objects.get(user=dora)
    assert own.team == acme
    assert Contact.objects.filter(user=dora).count() == 1


def test_a_member_of_a_new_team_gets_a_contact_in_that_team(db):
    result = team_member_add(team_name="Initech", username="peter", role="manager")
    own = Contact.objects.get(user=result.membership.user)
    assert own.team.name == "Initech"


def test_an_own_contact_is_a_contact_like_any_other(acme, alice, ann):
    own = contact_for_user_ensure(user=alice, team=acme)
    relationship = relationship_create(contact=own, other=ann, kind="former_colleague")
    assert {relationship.contact_a, relationship.contact_b} == {own, ann}


# --- Companies: one name per team ---------------------------------------------------------


def test_company_names_are_unique_per_team_whatever_their_case(acme, globex):
    company_create(team=acme, name="Initech")
    with pytest.raises(ValidationError) as refused:
        company_create(team=acme, name="  INITECH ")
    assert refused.value.message_dict == {"name": [DUPLICATE_COMPANY.format(name="INITECH")]}
    assert Company.objects.filter(team=acme).count() == 1
    assert company_create(team=globex, name="initech").team == globex


def test_company_names_are_trimmed(acme):
    assert company_create(team=acme, name="  Initech  ").name == "Initech"


def test_company_update_refuses_a_name_taken_in_the_team(acme):
    company_create(team=acme, name="Initech")
    hooli = company_create(team=acme, name="Hooli")
    with pytest.raises(ValidationError) as refused:
        company_update(company=hooli, data={"name": "initech"})
    assert refused.value.message_dict == {"name": [DUPLICATE_COMPANY.format(name="initech")]}
    hooli.refresh_from_db()
    assert hooli.name == "Hooli"


def test_company_update_may_change_the_case_of_its_own_name(acme):
    hooli = company_create(team=acme, name="Hooli")
    assert company_update(company=hooli, data={"name": "HOOLI"}).name == "HOOLI"


def test_company_update_trims_the_name_like_create_does(acme):
    """Otherwise "Hooli " is stored, and a later "hooli" no longer counts as the same."""
    hooli = company_create(team=acme, name="Hooli")
    company_update(company=hooli, data={"name": "  Hooli Inc  "})
    hooli.refresh_from_db()
    assert hooli.name == "Hooli Inc"
    with pytest.raises(ValidationError):
        company_create(team=acme, name="hooli inc")


def test_the_database_refuses_a_duplicate_company_name_whatever_its_case(acme):
    CompanyFactory(team=acme, name="Initech")
    with pytest.raises(IntegrityError), transaction.atomic():
        CompanyFactory(team=acme, name="INITECH")


# --- LinkedIn URLs are recognised however they were copied -------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "https://www.linkedin.com/in/ann-client",
        "https://www.linkedin.com/in/Ann-Client/",
        "http://linkedin.com/in/ann-client?trk=people",
        "www.linkedin.com/in/ann-client/",
        "  https://de.linkedin.com/in/ann-client#about ",
    ],
)
def test_the_same_linkedin_profile_spelled_differently_is_a_duplicate(alice, acme, spelling):
    contact_create(
        team=acme,
        owner=alice,
        first_name="Ann",
        last_name="Client",
        linkedin_url="https://www.linkedin.com/in/ann-client",
    )

    with pytest.raises(ValidationError) as refused:
        contact_create(team=acme, owner=alice, first_name="Ann", linkedin_url=spelling)

    assert refused.value.message_dict["linkedin_url"] == [
        DUPLICATE_LINKEDIN.format(name="Ann Client")
    ]


def test_linkedin_urls_are_stored_in_one_spelling(alice, acme):
    contact = contact_create(
        team=acme, owner=alice, first_name="Ann", linkedin_url="linkedin.com/in/Ann-Client/"
    )

    assert contact.linkedin_url == "https://www.linkedin.com/in/ann-client"
    assert normalize_linkedin_url("https://example.com/Profile/") == "https://example.com/Profile/"
