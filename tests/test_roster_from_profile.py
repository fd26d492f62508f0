"""Building the roster from the ideal client profile: the profile's count of good fits
links to them (referrals:fits), best fit first, clients, former clients and teammates left
out, filterable by fit and by each criterion; ticked rows go on the rep's roster in one
go through referrals.services.roster_entry_create_many, all or nothing. The contact list
and its API sort and filter by fit with the same FilterSet."""

import pytest
from django.urls import reverse

from contacts.exports import contacts_export
from contacts.filters import ContactFilter
from contacts.models import ContactKind, IdealClientProfile, Industry
from contacts.services import contact_fit_scores_refresh
from core.filters import filters_in_force
from referrals.models import RosterEntry
from referrals.services import RosterRowsRefused, roster_entry_create_many
from tests.factories import CompanyFactory, ContactFactory, RosterEntryFactory

FITS = "referrals:fits"


def person(team, owner, name, *, industry=Industry.LOGISTICS, region="Ontario", **fields):
    company = CompanyFactory(team=team, industry=industry, region=region, country="Canada")
    return ContactFactory(team=team, owner=owner, first_name=name, company=company, **fields)


@pytest.fixture
def network(acme, alice, bob, globex, charlie):
    """Acme wants logistics companies in Ontario (industry 25, region 15): Ann fits fully
    (100), Boris half (industry only: 63), Carla not at all; a client and a former client
    who fit, a teammate's own record, another team's perfect fit."""
    IdealClientProfile.objects.create(
        team=acme, industries=[Industry.LOGISTICS], regions=["Ontario"]
    )
    people = {
        "ann": person(acme, alice, "Ann"),
        "boris": person(acme, bob, "Boris", region="Quebec"),
        "carla": person(acme, alice, "Carla", industry=Industry.MEDIA, region="Lagos"),
        "client": person(acme, alice, "Clive", kind=ContactKind.CLIENT),
        "former": person(acme, alice, "Fiona", kind=ContactKind.FORMER_CLIENT),
        "teammate": person(acme, bob, "Bob", user=bob),
        "outsider": person(globex, charlie, "Olga"),
    }
    contact_fit_scores_refresh(contacts=list(people.values()))
    for contact in people.values():
        contact.refresh_from_db()
    return people


def listed(response) -> list[str]:
    return [row["contact"].first_name for row in response.context["rows"]]


# --- The profile page links to its good fits --------------------------------------------------


def test_the_profile_count_links_to_the_good_fits_not_yet_clients(alice_client, network):
    page = alice_client.get(reverse("referrals:icp")).content.decode()

    # Ann, Clive, Fiona and Bob's own record fit well (≥ 70); only Ann is not a client
    # (former or not) or a teammate.
    assert "<strong>4</strong> contacts of your team fit well" in page
    assert f'href="{reverse(FITS)}?min_fit=70"' in page
    assert "See the 1 who is not a client yet" in page


# --- The fits page ------------------------------------------------------------------------------


def test_fits_list_best_first_without_clients_teammates_or_other_teams(alice_client, network):
    response = alice_client.get(reverse(FITS))

    assert response.status_code == 200
    assert listed(response) == ["Ann", "Boris", "Carla"]
    fits = [row["contact"].fit_score for row in response.context["rows"]]
    assert fits == [100, 63, 0]
    # The fit is shown with what it rests on.
    ann = response.context["rows"][0]
    assert ann["matched"] == ["industry", "region"]
    page = response.content.decode()
    assert "Matches industry, region" in page
    assert "Not: region" in page  # Boris


def test_fits_filter_by_fit_and_by_each_criterion(alice_client, network):
    good = alice_client.get(reverse(FITS), {"min_fit": 70})
    in_region = alice_client.get(reverse(FITS), {"matches_region": "true"})
    not_industry = alice_client.get(reverse(FITS), {"matches_industry": "false"})
    by_name = alice_client.get(reverse(FITS), {"sort": "name"})
    # A client asked for by name is still left out: the page never lists clients.
    clients = alice_client.get(reverse(FITS), {"prospective": "false", "q": "Clive"})

    assert listed(good) == ["Ann"]
    assert listed(in_region) == ["Ann"]
    assert listed(not_industry) == ["Carla"]
    by_name_rows = [row["contact"] for row in by_name.context["rows"]]
    assert by_name_rows == sorted(by_name_rows, key=lambda c: (c.last_name, c.first_name, c.pk))
    assert listed(clients) == []
    # Only the criteria the profile sets are offered as filters.
    keys = [key for key, _label, _state in in_region.context["criteria"]]
    assert keys == ["industry", "region"]


def test_someone_already_on_my_roster_is_marked_not_offered(alice_client, alice, network):
    entry = RosterEntryFactory(
        team=alice.memberships.get().team, owner=alice, prospect=network["ann"]
    )

    page = alice_client.get(reverse(FITS)).content.decode()

    assert "On your roster" in page
    assert reverse("referrals:roster-edit", args=[entry.pk]) in page
    assert f'name="row-{network["ann"].pk}-add"' not in page
    assert f'name="row-{network["boris"].pk}-add"' in page


# --- Bulk add -----------------------------------------------------------------------------------


def bulk(rows: dict, *, extra_rows=()) -> dict:
    """The fits page's form: every row shown, the ticked ones with priority and reason."""
    body = {"row": [str(pk) for pk in [*rows, *extra_rows]]}
    for pk, (ticked, priority, reason) in rows.items():
        if ticked:
            body[f"row-{pk}-add"] = "on"
        body[f"row-{pk}-priority"] = str(priority)
        body[f"row-{pk}-reason"] = reason
    return body


def test_bulk_add_puts_the_ticked_people_on_my_roster(alice_client, alice, network):
    ann, boris, carla = network["ann"], network["boris"], network["carla"]
    body = bulk(
        {
            ann.pk: (True, 1, "Opening a warehouse in Ottawa"),
            boris.pk: (True, 3, "New CFO"),
            carla.pk: (False, 2, ""),
        }
    )

    response = alice_client.post(reverse(FITS), body, follow=True)

    assert response.redirect_chain[-1][0] == reverse("referrals:roster")
    assert "2 people added to your roster" in response.content.decode()
    entries = {e.prospect_id: e for e in RosterEntry.objects.filter(owner=alice)}
    assert set(entries) == {ann.pk, boris.pk}
    assert (entries[ann.pk].priority, entries[ann.pk].reason) == (
        1,
        "Opening a warehouse in Ottawa",
    )
    assert (entries[boris.pk].priority, entries[boris.pk].reason) == (3, "New CFO")


def test_bulk_add_is_all_or_nothing_and_names_the_duplicate(alice_client, alice, network):
    ann, boris = network["ann"], network["boris"]
    # Ann went on the roster in another tab after the page was drawn.
    existing = RosterEntryFactory(team=ann.team, owner=alice, prospect=ann, reason="Earlier")

    response = alice_client.post(
        reverse(FITS), bulk({ann.pk: (True, 1, "Again"), boris.pk: (True, 2, "New CFO")})
    )

    assert response.status_code == 200
    assert list(RosterEntry.objects.filter(owner=alice)) == [existing]
    page = response.content.decode()
    assert "1 of the 2 people could not be added, so none was" in page
    assert "Ann" in page and "is already on your roster" in page
    assert reverse("referrals:roster-edit", args=[existing.pk]) in page
    # Boris's row keeps what was typed, ready to send again.
    assert 'value="New CFO"' in page


def test_bulk_add_ignores_what_the_page_would_not_list(alice_client, alice, network):
    client, outsider = network["client"], network["outsider"]
    body = bulk(
        {client.pk: (True, 1, "x"), outsider.pk: (True, 1, "x"), network["ann"].pk: (True, 2, "")}
    )

    alice_client.post(reverse(FITS), body)

    assert list(RosterEntry.objects.filter(owner=alice).values_list("prospect", flat=True)) == [
        network["ann"].pk
    ]


def test_bulk_add_with_nothing_ticked_says_so(alice_client, alice, network):
    response = alice_client.post(reverse(FITS), bulk({network["ann"].pk: (False, 2, "")}))

    assert response.status_code == 200
    assert "Tick the people to add to your roster" in response.content.decode()
    assert not RosterEntry.objects.exists()


def test_bulk_add_refuses_a_bad_priority_on_its_row(alice_client, alice, network):
    body = bulk({network["ann"].pk: (True, 9, "x"), network["boris"].pk: (True, 1, "y")})

    response = alice_client.post(reverse(FITS), body)

    assert response.status_code == 200
    assert "Please correct the rows below; nothing was added." in response.content.decode()
    assert not RosterEntry.objects.exists()


def test_the_service_rolls_back_every_row_and_tells_each(alice, network):
    team = network["ann"].team
    ann, boris = network["ann"], network["boris"]
    RosterEntryFactory(team=team, owner=alice, prospect=boris)

    with pytest.raises(RosterRowsRefused) as refused:
        roster_entry_create_many(
            owner=alice,
            team=team,
            rows=[
                {"prospect": ann, "priority": 1, "reason": ""},
                {"prospect": boris, "priority": 1, "reason": ""},
                {"prospect": ann, "priority": 2, "reason": ""},
                {"prospect": network["outsider"], "priority": 2, "reason": ""},
            ],
        )

    assert set(refused.value.rows) == {1, 2, 3}
    assert "already on your roster" in str(refused.value.rows[1])
    assert "listed twice" in str(refused.value.rows[2])
    assert "belong to your team" in str(refused.value.rows[3])
    assert set(refused.value.existing) == {1}  # Ann's entry of row 0 was rolled back
    assert list(RosterEntry.objects.values_list("prospect", flat=True)) == [boris.pk]


# --- The contact list and its API sort and filter by fit ----------------------------------------


def test_contact_list_sorts_and_filters_by_fit(alice_client, network):
    response = alice_client.get(
        reverse("contacts:list"), {"sort": "fit", "min_fit": 60, "prospective": "true"}
    )

    assert [c.first_name for c in response.context["page"].object_list] == ["Ann", "Boris"]
    page = response.content.decode()
    assert '<option value="fit" selected>Best fit first</option>' in page
    # A filter the form has no control for stays in force when it is sent again.
    assert '<input type="hidden" name="prospective" value="true">' in page


def test_contacts_api_sorts_and_filters_by_fit(alice_client, network):
    response = alice_client.get(
        reverse("contact-list"),
        {"sort": "fit", "prospective": "true", "matches_industry": "true"},
    )

    assert response.status_code == 200
    assert [row["first_name"] for row in response.json()["results"]] == ["Ann", "Boris"]
    refused = alice_client.get(reverse("contact-list"), {"min_fit": 101})
    assert refused.status_code == 400
    assert "min_fit" in refused.json()["errors"]


def test_the_schema_documents_the_fit_filters(alice_client):
    schema = alice_client.get(reverse("api-schema"), {"format": "json"}).json()
    parameters = {
        parameter["name"]: parameter
        for parameter in schema["paths"]["/api/v1/contacts/"]["get"]["parameters"]
    }

    for name in [
        "min_fit",
        "prospective",
        "sort",
        *(
            f"matches_{k}"
            for k in ("industry", "region", "size", "function", "person_type", "situation")
        ),
    ]:
        assert name in parameters, name
        assert parameters[name]["description"], name
    # (Each may also be sent empty: not applied.)
    assert parameters["sort"]["schema"]["anyOf"][0]["enum"] == ["fit", "name"]
    assert parameters["min_fit"]["schema"]["anyOf"][0]["maximum"] == 100
    assert parameters["prospective"]["schema"]["anyOf"][0]["type"] == "boolean"


# --- Queries at two sizes -----------------------------------------------------------------------


def grow(team, owner, size):
    for n in range(size):
        person(team, owner, f"Grown{n}", region=["Ontario", "Quebec"][n % 2])
    contact_fit_scores_refresh(contacts=team.contacts.select_related("company"))


@pytest.mark.parametrize("size", [3, 30])
def test_fits_page_queries(alice_client, django_assert_max_num_queries, acme, alice, network, size):
    grow(acme, alice, size)
    # session, user, active membership, visibility memberships, the profile, the
    # profiles the criterion filter reads, count, page of contacts (with company and
    # owner), my roster entries among them, the bell's unread notifications.
    with django_assert_max_num_queries(10):
        response = alice_client.get(reverse(FITS), {"matches_region": "true", "min_fit": 10})
    assert len(response.context["rows"]) == min(25, size // 2 + size % 2 + 1)


@pytest.mark.parametrize("size", [3, 30])
def test_bulk_add_queries(alice_client, django_assert_max_num_queries, acme, alice, network, size):
    grow(acme, alice, size)
    ticked = list(acme.contacts.filter(first_name__startswith="Grown").order_by("pk")[:3])
    body = bulk({c.pk: (True, 2, "Fits") for c in ticked})
    # The same three rows ticked whatever the size of the network: session, user,
    # memberships (twice: the working team, visibility), the profile, the rows posted, a
    # savepoint and its release around them all, then per row a savepoint and its
    # release, the duplicate check, the three references validated, the insert in its own
    # savepoint and the activity line (11); the message stored in the session.
    with django_assert_max_num_queries(9 + 3 * 11):
        response = alice_client.post(reverse(FITS), body)
    assert response.status_code == 302
    assert RosterEntry.objects.filter(owner=alice).count() == 3


@pytest.mark.parametrize("size", [3, 30])
def test_contact_list_and_api_by_fit_queries(
    alice_client, django_assert_max_num_queries, acme, alice, network, size
):
    grow(acme, alice, size)
    query = {"sort": "fit", "matches_industry": "true", "prospective": "true"}
    # session, user, active membership, visibility memberships, the profiles, count, page,
    # the team's owners, the bell's unread notifications.
    with django_assert_max_num_queries(9):
        alice_client.get(reverse("contacts:list"), query)
    # session, user, memberships, the profiles, count, page.
    with django_assert_max_num_queries(6):
        response = alice_client.get(reverse("contact-list"), query)
    assert response.json()["count"] == size + 2


def test_the_contacts_csv_keeps_the_fit_filters_and_order(alice, network):
    """The export rebuilds the list from its stored filters (as a worker does): the yes/no
    and criterion filters and the sort by fit hold there too."""
    query = {"prospective": "true", "matches_industry": "true", "sort": "fit"}
    stored = filters_in_force(ContactFilter(query))
    export = contacts_export(user=alice, team_id=network["ann"].team_id, filters=stored)

    assert [contact.first_name for contact in export.records] == ["Ann", "Boris"]
