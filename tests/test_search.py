"""The search boxes' one rule (config/search.py): every word typed must match one of the
searched fields; case does not matter; a pasted paragraph is cut to a few words."""

from contacts.models import Contact
from contacts.selectors import contact_search_filter
from tests.factories import CompanyFactory, ContactFactory


def test_every_word_must_match_some_field(alice, acme):
    acme_corp = CompanyFactory(team=acme, name="Acme Corp")
    ann = ContactFactory(team=acme, owner=alice, first_name="Ann", company=acme_corp)
    ContactFactory(team=acme, owner=alice, first_name="Ann", company=CompanyFactory(team=acme))
    ContactFactory(team=acme, owner=alice, first_name="Bob", company=acme_corp)

    found = Contact.objects.filter(contact_search_filter("ANN acme"))

    assert list(found) == [ann]


def test_an_empty_search_matches_everyone_and_a_long_one_is_bounded(alice, acme):
    ContactFactory.create_batch(3, team=acme, owner=alice)

    assert Contact.objects.filter(contact_search_filter("  ")).count() == 3
    # Words past the fifth are ignored rather than building an ever larger query.
    many = " ".join(["x"] * 5 + [f"word{n}" for n in range(200)])
    assert str(contact_search_filter(many)).count("icontains") == 5 * 4
