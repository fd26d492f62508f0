"""The network's JSON API as integrations use it: /api/v1/companies/, /contacts/ and
/relationships/ — the same rules as the pages (services decide, visibility scopes), field
names of DESIGN.md's contract, 400/403/404/409 instead of 500, and lists whose query count
does not grow with the data."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.visibility import NO_TEAM
from contacts.api import ONLY_MANAGER_DELETES_COMPANY, PAIR_IS_FIXED
from contacts.models import Activity, Company, Contact, Industry, Relationship
from contacts.services import (
    CONTACT_IN_USE,
    DUPLICATE_COMPANY,
    DUPLICATE_EMAIL,
    DUPLICATE_LINKEDIN,
    ONLY_OWNER_OR_MANAGER_DELETES,
    RELATIONSHIP_ACROSS_TEAMS,
    RELATIONSHIP_EXISTS,
    RELATIONSHIP_WITH_ITSELF,
)
from tests.api_errors import NON_FIELD_ERRORS, detail, field_errors, problem_of
from tests.factories import (
    ClientFactory,
    CompanyFactory,
    ContactFactory,
    MembershipFactory,
    ReferralFactory,
    RelationshipFactory,
)

CONTACT_FIELDS = {
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "kind",
    "preferred_channel",
    "update_cadence",
    "linkedin_url",
    "owner",
    "function",
    "person_type",
    "client_since",
    "notes",
    "fit_score",
}


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def alice_api(alice):
    return api_for(alice)


@pytest.fixture
def bob_api(bob):
    return api_for(bob)


@pytest.fixture
def maya_api(maya):
    return api_for(maya)


@pytest.fixture
def charlie_api(charlie):
    return api_for(charlie)


@pytest.fixture
def acme_corp(acme):
    return CompanyFactory(team=acme, name="Acme Corp", industry=Industry.SOFTWARE)


@pytest.fixture
def ann(acme, alice, acme_corp):
    return ClientFactory(
        team=acme,
        owner=alice,
        first_name="Ann",
        last_name="Client",
        email="ann@example.com",
        linkedin_url="https://www.linkedin.com/in/ann-client",
        company=acme_corp,
    )


@pytest.fixture
def ben(acme, bob):
    bank = CompanyFactory(team=acme, name="Big Bank", industry=Industry.FINANCE)
    return ContactFactory(
        team=acme, owner=bob, first_name="Ben", last_name="Prospect", company=bank
    )


@pytest.fixture
def gil(globex, charlie):
    return ContactFactory(team=globex, owner=charlie, first_name="Gil", last_name="Globex")


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


# --- Contacts -----------------------------------------------------------------------------


def test_contacts_list_has_the_contract_fields_and_is_paginated(alice_api, ann, ben, gil):
    response = alice_api.get("/api/v1/contacts/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    assert set(body["results"][0]) >= CONTACT_FIELDS
    assert [row["first_name"] for row in body["results"]] == ["Ann", "Ben"]
    assert body["results"][0]["owner"] == ann.owner_id
    paged = alice_api.get("/api/v1/contacts/", {"page_size": 1}).json()
    assert len(paged["results"]) == 1 and paged["next"]


def test_contacts_filter_search_and_order(alice_api, bob, ann, ben, acme_corp):
    url = "/api/v1/contacts/"
    assert ids(alice_api.get(url, {"kind": "client"})) == [ann.pk]
    assert ids(alice_api.get(url, {"owner": bob.pk})) == [ben.pk]
    assert ids(alice_api.get(url, {"company": acme_corp.pk})) == [ann.pk]
    assert ids(alice_api.get(url, {"industry": "finance"})) == [ben.pk]
    assert ids(alice_api.get(url, {"search": "big bank"})) == [ben.pk]
    assert ids(alice_api.get(url, {"search": "ann@"})) == [ann.pk]
    assert ids(alice_api.get(url, {"ordering": "-last_name"})) == [ben.pk, ann.pk]


def test_creating_a_contact_goes_through_the_service(alice_api, alice, acme, acme_corp):
    response = alice_api.post(
        "/api/v1/contacts/",
        {
            "first_name": "Nina",
            "last_name": "New",
            "email": "nina@example.com",
            "company": acme_corp.pk,
            "kind": "prospect",
            "owner": 999,  # read-only: ignored
            "fit_score": 100,  # read-only: ignored
        },
    )
    assert response.status_code == 201, response.json()
    nina = Contact.objects.get(pk=response.json()["id"])
    assert nina.team == acme and nina.owner == alice and nina.company == acme_corp
    assert response.json()["owner"] == alice.pk
    assert Activity.objects.filter(contact=nina, verb="created").exists()


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"email": "ANN@example.com"}, "email", DUPLICATE_EMAIL.format(name="Ann Client")),
        (
            {"linkedin_url": "https://www.linkedin.com/in/ann-client"},
            "linkedin_url",
            DUPLICATE_LINKEDIN.format(name="Ann Client"),
        ),
    ],
)
def test_a_duplicate_contact_is_a_400_with_the_services_message(
    alice_api, ann, payload, field, message
):
    before = Contact.objects.count()
    response = alice_api.post("/api/v1/contacts/", {"first_name": "Annie", **payload})
    assert response.status_code == 400
    assert field_errors(response)[field] == [message]
    assert Contact.objects.count() == before


def test_a_bad_email_is_a_400(alice_api):
    response = alice_api.post("/api/v1/contacts/", {"first_name": "X", "email": "nope"})
    assert response.status_code == 400 and "email" in field_errors(response)
    assert not Contact.objects.exists()


def test_another_teams_company_does_not_exist_for_the_api(alice_api, globex):
    theirs = CompanyFactory(team=globex)
    response = alice_api.post("/api/v1/contacts/", {"first_name": "X", "company": theirs.pk})
    assert response.status_code == 400
    assert "does not exist" in field_errors(response)["company"][0]


def test_someone_of_no_team_cannot_create(admin_user):
    response = api_for(admin_user).post("/api/v1/contacts/", {"first_name": "X"})
    assert response.status_code == 400
    assert field_errors(response) == {NON_FIELD_ERRORS: [NO_TEAM]}
    assert (problem_of(response)["code"], detail(response)) == ("no_team", NO_TEAM)


def test_updating_a_contact_goes_through_the_service(bob_api, bob, ann):
    response = bob_api.patch(f"/api/v1/contacts/{ann.pk}/", {"title": "CEO"})
    assert response.status_code == 200 and response.json()["title"] == "CEO"
    ann.refresh_from_db()
    assert ann.title == "CEO"
    assert Activity.objects.filter(contact=ann, verb="updated", actor=bob).exists()


def test_updating_into_a_duplicate_is_a_400(alice_api, ann, ben):
    response = alice_api.patch(f"/api/v1/contacts/{ben.pk}/", {"email": "ann@EXAMPLE.com"})
    assert response.status_code == 400 and "email" in field_errors(response)
    ben.refresh_from_db()
    assert ben.email != "ann@EXAMPLE.com"


def test_a_full_update_with_put(alice_api, ann):
    data = alice_api.get(f"/api/v1/contacts/{ann.pk}/").json()
    data.update(title="Chair", notes="Plays golf")
    response = alice_api.put(f"/api/v1/contacts/{ann.pk}/", data)
    assert response.status_code == 200
    ann.refresh_from_db()
    assert (ann.title, ann.notes) == ("Chair", "Plays golf")


def test_the_owner_may_delete_a_contact(alice_api, ann):
    assert alice_api.delete(f"/api/v1/contacts/{ann.pk}/").status_code == 204
    assert not Contact.objects.filter(pk=ann.pk).exists()


def test_a_manager_may_delete_a_teams_contact(maya_api, ann):
    assert maya_api.delete(f"/api/v1/contacts/{ann.pk}/").status_code == 204


def test_a_teammate_may_not_delete_someone_elses_contact(bob_api, ann):
    response = bob_api.delete(f"/api/v1/contacts/{ann.pk}/")
    assert response.status_code == 403
    assert detail(response) == ONLY_OWNER_OR_MANAGER_DELETES
    assert Contact.objects.filter(pk=ann.pk).exists()


def test_a_contact_on_referrals_cannot_be_deleted(alice_api, alice, ann, ben):
    ReferralFactory(referrer=ann, prospect=ben, owner=alice)
    response = alice_api.delete(f"/api/v1/contacts/{ann.pk}/")
    assert response.status_code == 409
    assert detail(response) == CONTACT_IN_USE.format(name="Ann Client")
    assert Contact.objects.filter(pk=ann.pk).exists()


# --- Companies ----------------------------------------------------------------------------


def test_companies_list_filter_and_create(alice_api, acme, acme_corp, ben, globex):
    CompanyFactory(team=globex, name="Globex Inc")
    assert [row["name"] for row in alice_api.get("/api/v1/companies/").json()["results"]] == [
        "Acme Corp",
        "Big Bank",
    ]
    assert ids(alice_api.get("/api/v1/companies/", {"industry": "software"})) == [acme_corp.pk]
    assert ids(alice_api.get("/api/v1/companies/", {"search": "bank"})) == [ben.company_id]
    response = alice_api.post("/api/v1/companies/", {"name": "Initech", "industry": "retail"})
    assert response.status_code == 201
    assert Company.objects.get(name="Initech").team == acme


def test_a_duplicate_company_name_is_a_400(alice_api, acme_corp):
    response = alice_api.post("/api/v1/companies/", {"name": "acme CORP"})
    assert response.status_code == 400
    assert field_errors(response)["name"] == [DUPLICATE_COMPANY.format(name="acme CORP")]
    assert detail(response) == f"name: {DUPLICATE_COMPANY.format(name='acme CORP')}"


def test_updating_a_company(bob_api, acme_corp):
    response = bob_api.patch(f"/api/v1/companies/{acme_corp.pk}/", {"employee_count": 900})
    assert response.status_code == 200
    acme_corp.refresh_from_db()
    assert acme_corp.employee_count == 900


def test_only_a_manager_deletes_a_company_and_its_people_stay(alice_api, maya_api, ann):
    company_id = ann.company_id
    response = alice_api.delete(f"/api/v1/companies/{company_id}/")
    assert response.status_code == 403
    assert detail(response) == ONLY_MANAGER_DELETES_COMPANY
    assert maya_api.delete(f"/api/v1/companies/{company_id}/").status_code == 204
    ann.refresh_from_db()
    assert ann.company is None


# --- Relationships ------------------------------------------------------------------------


@pytest.mark.parametrize("reverse_order", [False, True])
def test_a_relationship_is_stored_canonically_whatever_the_order(
    alice_api, alice, ann, ben, reverse_order
):
    a, b = (ben, ann) if reverse_order else (ann, ben)
    response = alice_api.post(
        "/api/v1/relationships/",
        {"contact_a": a.pk, "contact_b": b.pk, "kind": "friend", "strength": 5},
    )
    assert response.status_code == 201, response.json()
    low, high = sorted((ann.pk, ben.pk))
    assert (response.json()["contact_a"], response.json()["contact_b"]) == (low, high)
    tie = Relationship.objects.get()
    assert (tie.strength, tie.created_by) == (5, alice)


@pytest.mark.parametrize("reverse_order", [False, True])
def test_a_duplicate_relationship_is_a_400(alice_api, ann, ben, reverse_order):
    RelationshipFactory(between=(ann, ben))
    a, b = (ben, ann) if reverse_order else (ann, ben)
    response = alice_api.post("/api/v1/relationships/", {"contact_a": a.pk, "contact_b": b.pk})
    assert response.status_code == 400
    assert field_errors(response) == {NON_FIELD_ERRORS: [RELATIONSHIP_EXISTS.format(a=a, b=b)]}
    assert Relationship.objects.count() == 1


def test_a_relationship_with_oneself_is_a_400(alice_api, ann):
    response = alice_api.post("/api/v1/relationships/", {"contact_a": ann.pk, "contact_b": ann.pk})
    assert response.status_code == 400
    assert field_errors(response) == {NON_FIELD_ERRORS: [RELATIONSHIP_WITH_ITSELF]}


def test_another_teams_contact_does_not_exist_for_a_relationship(alice_api, ann, gil):
    response = alice_api.post("/api/v1/relationships/", {"contact_a": ann.pk, "contact_b": gil.pk})
    assert response.status_code == 400
    assert "does not exist" in field_errors(response)["contact_b"][0]
    assert not Relationship.objects.exists()


def test_a_member_of_two_teams_cannot_link_across_them(acme, globex, alice, ann, gil):
    MembershipFactory(user=alice, team=globex)
    response = api_for(alice).post(
        "/api/v1/relationships/", {"contact_a": ann.pk, "contact_b": gil.pk}
    )
    assert response.status_code == 400
    assert field_errors(response) == {NON_FIELD_ERRORS: [RELATIONSHIP_ACROSS_TEAMS]}


def test_a_strength_outside_1_to_5_is_a_400(alice_api, ann, ben):
    response = alice_api.post(
        "/api/v1/relationships/", {"contact_a": ann.pk, "contact_b": ben.pk, "strength": 6}
    )
    assert response.status_code == 400 and "strength" in field_errors(response)


def test_relationships_filter_by_either_person(alice_api, acme, alice, ann, ben):
    third = ContactFactory(team=acme, owner=alice)
    one = RelationshipFactory(between=(ann, ben))
    two = RelationshipFactory(between=(ben, third))
    assert ids(alice_api.get("/api/v1/relationships/", {"contact": ann.pk})) == [one.pk]
    assert sorted(ids(alice_api.get("/api/v1/relationships/", {"contact": ben.pk}))) == sorted(
        [one.pk, two.pk]
    )


def test_updating_a_relationship_keeps_its_pair(alice_api, ann, ben, acme, alice):
    tie = RelationshipFactory(between=(ann, ben), strength=2)
    response = alice_api.patch(f"/api/v1/relationships/{tie.pk}/", {"strength": 4})
    assert response.status_code == 200 and response.json()["strength"] == 4
    # The same pair, in the other order, is still the same pair.
    same = alice_api.patch(
        f"/api/v1/relationships/{tie.pk}/",
        {"contact_a": tie.contact_b_id, "contact_b": tie.contact_a_id, "kind": "friend"},
    )
    assert same.status_code == 200
    other = ContactFactory(team=acme, owner=alice)
    moved = alice_api.patch(f"/api/v1/relationships/{tie.pk}/", {"contact_b": other.pk})
    assert moved.status_code == 400
    assert field_errors(moved) == {NON_FIELD_ERRORS: [PAIR_IS_FIXED]}
    tie.refresh_from_db()
    assert (tie.strength, tie.kind, tie.contact_b_id) == (4, "friend", max(ann.pk, ben.pk))


def test_deleting_a_relationship(bob_api, ann, ben):
    tie = RelationshipFactory(between=(ann, ben))
    assert bob_api.delete(f"/api/v1/relationships/{tie.pk}/").status_code == 204
    assert not Relationship.objects.exists()
    assert Activity.objects.filter(verb="relationship_removed").count() == 2


# --- Who sees what ------------------------------------------------------------------------


def acme_urls(ann, ben):
    tie = RelationshipFactory(between=(ann, ben))
    return [
        f"/api/v1/contacts/{ann.pk}/",
        f"/api/v1/companies/{ann.company_id}/",
        f"/api/v1/relationships/{tie.pk}/",
    ]


def test_teammates_and_the_manager_see_the_teams_network(bob_api, maya_api, ann, ben):
    for url in acme_urls(ann, ben):
        assert bob_api.get(url).status_code == 200, url
        assert maya_api.get(url).status_code == 200, url


def test_an_outsider_gets_404_for_every_acme_id(charlie_api, ann, ben):
    for url in acme_urls(ann, ben):
        assert charlie_api.get(url).status_code == 404, url
        assert charlie_api.patch(url, {"notes": "x"}).status_code == 404, url
        assert charlie_api.delete(url).status_code == 404, url
    assert Contact.objects.filter(pk=ann.pk).exists()
    for url in ("/api/v1/contacts/", "/api/v1/companies/", "/api/v1/relationships/"):
        assert charlie_api.get(url).json()["count"] == 0


def test_staff_see_every_team(admin_user, ann, gil):
    assert api_for(admin_user).get("/api/v1/contacts/").json()["count"] == 2


@pytest.mark.parametrize(
    "url", ["/api/v1/contacts/", "/api/v1/companies/", "/api/v1/relationships/"]
)
def test_the_anonymous_get_401(client, url):
    response = client.get(url)
    assert response.status_code == 401
    assert detail(response)


def test_a_token_works_and_sees_the_active_team(alice, ann):
    token = Token.objects.create(user=alice)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert ids(client.get("/api/v1/contacts/")) == [ann.pk]
    created = client.post("/api/v1/contacts/", {"first_name": "Tok", "email": "tok@example.com"})
    assert created.status_code == 201
    assert Contact.objects.get(email="tok@example.com").team == ann.team


# --- Query counts -------------------------------------------------------------------------


def grow(acme, alice, size):
    people = []
    for _ in range(size):
        people.append(ContactFactory(team=acme, owner=alice, company=CompanyFactory(team=acme)))
    for person in people[1:]:
        RelationshipFactory(between=(people[0], person))


@pytest.mark.parametrize("size", [3, 30])
@pytest.mark.parametrize(
    "url", ["/api/v1/contacts/", "/api/v1/companies/", "/api/v1/relationships/"]
)
def test_list_queries_do_not_grow(alice, django_assert_max_num_queries, acme, size, url):
    grow(acme, alice, size)
    client = APIClient()
    token = Token.objects.create(user=alice)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    # token (with its user), visibility memberships, count, page.
    with django_assert_max_num_queries(4):
        response = client.get(url, {"page_size": 100})
    assert response.json()["count"] >= size - 1
