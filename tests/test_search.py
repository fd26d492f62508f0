"""The search boxes' one rule (core/search.py): every word typed must match one of the
searched fields; case does not matter; a pasted paragraph is cut to a few words."""

import pytest
from django.db import connection

from contacts.models import Contact
from contacts.selectors import contact_search_filter
from tests.factories import CompanyFactory, ContactFactory


def test_every_word_must_match_some_field(alice, acme):
    acme_corp = CompanyFactory(team=acme, name="Acme Corp")
    # Last names given, not Faker's: "Bob Tanner" holds "ann" too.
    ann = ContactFactory(
        team=acme, owner=alice, first_name="Ann", last_name="Lee", company=acme_corp
    )
    ContactFactory(
        team=acme, owner=alice, first_name="Ann", last_name="Kim", company=CompanyFactory(team=acme)
    )
    ContactFactory(team=acme, owner=alice, first_name="Bob", last_name="Cole", company=acme_corp)

    found = Contact.objects.filter(contact_search_filter("ANN acme"))

    assert list(found) == [ann]


def test_an_empty_search_matches_everyone_and_a_long_one_is_bounded(alice, acme):
    ContactFactory.create_batch(3, team=acme, owner=alice)

    assert Contact.objects.filter(contact_search_filter("  ")).count() == 3
    # Words past the fifth are ignored rather than building an ever larger query.
    many = " ".join(["x"] * 5 + [f"word{n}" for n in range(200)])
    assert str(contact_search_filter(many)).count("icontains") == 5 * 4


def _matches_the_rule(contact: Contact, q: str) -> bool:
    fields = [contact.first_name, contact.last_name, contact.email]
    if contact.company is not None:
        fields.append(contact.company.name)
    return all(any(word.upper() in field.upper() for field in fields) for word in q.split())


# Words of three characters or more take the company part through the companies' own
# index on PostgreSQL (contacts.selectors); shorter ones through the join. Both must give
# exactly the rule's answer.
@pytest.mark.parametrize(
    "q",
    [
        "murphy",  # Una's and Ann's companies, Peg's last name, Kit's email
        "harbour",  # only through a company name
        "ha",  # short: a last name, a company name
        "una murphy",  # first name + company name
        "peg lighthouse",  # each word matches someone, never the same person: nobody
        "kit ex",  # first name + a short word in the email
        "murph harb",  # two words of the same company name
        "zz",
        "ANN",
        "a b c d e",
    ],
)
def test_the_search_finds_exactly_who_the_rule_says(alice, acme, q):
    murphy_freight = CompanyFactory(team=acme, name="Murphy Freight")
    harbour = CompanyFactory(team=acme, name="Murphy Harbour Lighthouse")
    other = CompanyFactory(team=acme, name="Bellwether Ltd")
    people = [
        ContactFactory(
            team=acme,
            owner=alice,
            first_name="Una",
            last_name="Okoro",
            email="una@bellwether.example",
            company=murphy_freight,
        ),
        ContactFactory(
            team=acme,
            owner=alice,
            first_name="Peg",
            last_name="Murphy",
            email="peg@bellwether.example",
            company=other,
        ),
        ContactFactory(
            team=acme,
            owner=alice,
            first_name="Kit",
            last_name="Lane",
            email="kit.murphy@example.com",
            company=None,
        ),
        ContactFactory(
            team=acme,
            owner=alice,
            first_name="Ann",
            last_name="Shaw",
            email="ann@example.com",
            company=harbour,
        ),
        ContactFactory(
            team=acme,
            owner=alice,
            first_name="Bo",
            last_name="Chan",
            email="",
            company=None,
        ),
    ]

    found = set(Contact.objects.filter(contact_search_filter(q)))

    assert found == {person for person in people if _matches_the_rule(person, q)}


def test_a_word_found_only_in_the_company_name_finds_its_people(alice, acme):
    harbour = CompanyFactory(team=acme, name="Harbourside Trading")
    ann = ContactFactory(
        team=acme,
        owner=alice,
        first_name="Ann",
        last_name="Shaw",
        email="ann@example.com",
        company=harbour,
    )
    ContactFactory(team=acme, owner=alice, first_name="Bo", last_name="Chan", company=None)

    assert list(Contact.objects.filter(contact_search_filter("harbourside"))) == [ann]
    # Two words, each found in a different field of the same person.
    assert list(Contact.objects.filter(contact_search_filter("shaw TRADING"))) == [ann]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes: PostgreSQL")
@pytest.mark.django_db
def test_the_searched_columns_have_trigram_indexes_after_migrate():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE %s",
            ["%_trigram"],
        )
        indexes = dict(cursor.fetchall())

    expected = {
        "contact_first_name_trigram": "first_name",
        "contact_last_name_trigram": "last_name",
        "contact_email_trigram": "email",
        "company_name_trigram": "name",
    }
    assert set(indexes) == set(expected)
    for name, column in expected.items():
        # The very expression icontains compares, so the planner can use the index.
        assert f"gin (upper(({column})::text) gin_trgm_ops)" in indexes[name]
