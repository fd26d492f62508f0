"""The network in Django admin: every changelist opens for staff with a query count that
does not grow with the rows, search works, and a raw edit cannot break the symmetric
graph (self, reversed or duplicate pairs, ties across teams); the ideal client profile
saved there rescores the team, as on its page."""

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from contacts.admin import RelationshipAdminForm
from contacts.models import Activity, Company, Contact, IdealClientProfile, Relationship
from contacts.services import (
    RELATIONSHIP_ACROSS_TEAMS,
    RELATIONSHIP_EXISTS,
    RELATIONSHIP_WITH_ITSELF,
)
from tests.factories import CompanyFactory, ContactFactory, RelationshipFactory

CHANGELISTS = [
    "admin:contacts_company_changelist",
    "admin:contacts_contact_changelist",
    "admin:contacts_relationship_changelist",
    "admin:contacts_activity_changelist",
    "admin:contacts_idealclientprofile_changelist",
]


def grow(acme, alice, size):
    IdealClientProfile.objects.get_or_create(team=acme)
    people = [
        ContactFactory(team=acme, owner=alice, company=CompanyFactory(team=acme))
        for _ in range(size)
    ]
    for person in people[1:]:
        RelationshipFactory(between=(people[0], person))
        Activity.objects.create(
            team=acme,
            actor=alice,
            contact=person,
            verb="note",
            description="Called",
            occurred_at=timezone.now(),
        )
    return people


@pytest.mark.parametrize("size", [3, 30])
@pytest.mark.parametrize("name", CHANGELISTS)
def test_changelists_open_with_bounded_queries(
    admin_client_, django_assert_max_num_queries, acme, alice, name, size
):
    grow(acme, alice, size)
    # session, user, visibility memberships, the filtered and the total count, the page
    # (with list_select_related), the team filter's choices, and for activities the date
    # hierarchy's bounds: 7 to 10 depending on the model, the same at 3 and 30 rows.
    with django_assert_max_num_queries(10):
        response = admin_client_.get(reverse(name))
    assert response.status_code == 200


def test_the_contact_changelist_searches_by_name_email_and_company(admin_client_, acme, alice):
    ContactFactory(
        team=acme,
        owner=alice,
        first_name="Ann",
        email="ann@example.com",
        company=CompanyFactory(team=acme, name="Acme Corp"),
    )
    ContactFactory(team=acme, owner=alice, first_name="Ben")
    url = reverse("admin:contacts_contact_changelist")
    for query in ("Ann", "ann@example", "acme corp"):
        result = admin_client_.get(url, {"q": query}).context["cl"].result_list
        assert [contact.first_name for contact in result] == ["Ann"], query


def test_a_company_shows_its_people_inline(admin_client_, acme, alice):
    company = CompanyFactory(team=acme, name="Acme Corp")
    ContactFactory(team=acme, owner=alice, company=company, first_name="Ann")
    response = admin_client_.get(reverse("admin:contacts_company_change", args=[company.pk]))
    assert response.status_code == 200
    assert "Ann" in response.content.decode()


def test_change_pages_open(admin_client_, acme, alice):
    first, _second = grow(acme, alice, 2)
    tie = Relationship.objects.get()
    for name, pk in (
        ("admin:contacts_contact_change", first.pk),
        ("admin:contacts_relationship_change", tie.pk),
        ("admin:contacts_activity_change", Activity.objects.first().pk),
        ("admin:contacts_relationship_add", None),
    ):
        url = reverse(name, args=[pk] if pk else [])
        assert admin_client_.get(url).status_code == 200, url


def test_the_admin_queryset_goes_through_visibility(acme, alice, admin_user):
    """A staff member sees every team; the same admin class shows a team member only
    their team (the one visibility helper decides, as for pages and API)."""
    ContactFactory(team=acme, owner=alice)
    request = RequestFactory().get("/")
    model_admin = site._registry[Contact]
    request.user = admin_user
    assert model_admin.get_queryset(request).count() == 1
    request.user = alice
    assert model_admin.get_queryset(request).count() == 1
    other = ContactFactory()  # another team
    assert other not in model_admin.get_queryset(request)
    assert model_admin.get_queryset(request).count() == 1
    assert site._registry[Company].get_queryset(request).filter(team=other.team).count() == 0


def relationship_form(a, b, **extra):
    data = {
        "team": a.team_id,
        "contact_a": a.pk,
        "contact_b": b.pk,
        "kind": "friend",
        "strength": 3,
        "source": "told",
        "notes": "",
    }
    data.update(extra)
    return RelationshipAdminForm(data=data)


def test_the_admin_form_stores_a_reversed_pair_canonically(acme, alice):
    low, high = sorted(
        (ContactFactory(team=acme, owner=alice), ContactFactory(team=acme, owner=alice)),
        key=lambda c: c.pk,
    )
    form = relationship_form(high, low)
    assert form.is_valid(), form.errors
    tie = form.save()
    assert (tie.contact_a, tie.contact_b) == (low, high)


def test_the_admin_form_refuses_what_the_service_refuses(acme, globex, alice, charlie):
    ann = ContactFactory(team=acme, owner=alice)
    ben = ContactFactory(team=acme, owner=alice)
    gil = ContactFactory(team=globex, owner=charlie)
    itself = relationship_form(ann, ann)
    assert not itself.is_valid()
    assert RELATIONSHIP_WITH_ITSELF in itself.non_field_errors()
    across = relationship_form(ann, gil)
    assert not across.is_valid()
    assert RELATIONSHIP_ACROSS_TEAMS in across.non_field_errors()
    RelationshipFactory(between=(ann, ben))
    again = relationship_form(ben, ann)
    assert not again.is_valid()
    low, high = sorted((ann, ben), key=lambda c: c.pk)
    assert RELATIONSHIP_EXISTS.format(a=low, b=high) in again.non_field_errors()
    assert Relationship.objects.count() == 1


def test_the_admin_add_page_saves_a_reversed_pair(admin_client_, acme, alice):
    low, high = sorted(
        (ContactFactory(team=acme, owner=alice), ContactFactory(team=acme, owner=alice)),
        key=lambda c: c.pk,
    )
    response = admin_client_.post(
        reverse("admin:contacts_relationship_add"),
        {
            "team": acme.pk,
            "contact_a": high.pk,
            "contact_b": low.pk,
            "kind": "friend",
            "strength": 4,
            "source": "told",
            "notes": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    tie = Relationship.objects.get()
    assert (tie.contact_a, tie.contact_b) == (low, high)


def test_the_profile_admin_is_for_staff_only(alice_client):
    response = alice_client.get(reverse("admin:contacts_idealclientprofile_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_saving_the_profile_in_the_admin_rescores_the_team(admin_client_, acme, alice):
    contact = ContactFactory(team=acme, owner=alice)  # a software company (factory)
    response = admin_client_.post(
        reverse("admin:contacts_idealclientprofile_add"),
        {
            "team": acme.pk,
            "industries": '["software"]',
            "regions": "[]",
            "functions": "[]",
            "person_types": "[]",
            "situation_keywords": "[]",
            "situation": "",
            "weight_industry": 25,
            "weight_region": 15,
            "weight_size": 20,
            "weight_function": 15,
            "weight_person_type": 15,
            "weight_situation": 10,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    contact.refresh_from_db()
    assert contact.fit_score == 100


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cleared", ["industries", "regions", "functions", "person_types", "situation_keywords"]
)
def test_a_list_cleared_in_the_profile_admin_is_an_empty_list(admin_client_, acme, cleared):
    """Django's JSON form field reads an emptied box as None, which the list's column
    (no null) refused with an IntegrityError: a 500. The service stores the empty list."""
    lists = ["industries", "regions", "functions", "person_types", "situation_keywords"]
    body = {"team": acme.pk, "situation": "", **dict.fromkeys(lists, '["x"]')}
    weights = ["industry", "region", "size", "function", "person_type", "situation"]
    body.update({f"weight_{name}": 10 for name in weights})
    body.update(industries='["software"]', functions="[]", person_types="[]")
    body[cleared] = ""
    response = admin_client_.post(reverse("admin:contacts_idealclientprofile_add"), body)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert getattr(IdealClientProfile.objects.get(team=acme), cleared) == []
