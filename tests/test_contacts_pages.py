"""The network pages as a rep meets them: finding people, adding them without creating
anyone twice, recording who knows whom from either side, the companies, the CSV export;
who may see and edit what; and query counts that do not grow with the team's size."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.forms import COMPANY_PICKED_AND_TYPED
from contacts.models import Activity, Company, Contact, ContactKind, Industry, Relationship
from contacts.services import (
    DUPLICATE_COMPANY,
    DUPLICATE_EMAIL,
    DUPLICATE_LINKEDIN,
    RELATIONSHIP_EXISTS,
    contact_for_user_ensure,
)
from contacts.views import PAGE_SIZE
from referrals.models import Deal
from tests.factories import (
    ClientFactory,
    CompanyFactory,
    ContactFactory,
    DealFactory,
    ReadinessCheckFactory,
    ReferralFactory,
    RelationshipFactory,
    RosterEntryFactory,
)


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
        title="CFO",
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


def contact_form_data(**overrides):
    data = {
        "first_name": "Nina",
        "last_name": "New",
        "email": "nina@example.com",
        "phone": "",
        "company": "",
        "new_company_name": "",
        "title": "Head of Operations",
        "function": "",
        "person_type": "",
        "kind": ContactKind.PROSPECT,
        "client_since": "",
        "preferred_channel": "email",
        "update_cadence": "each_step",
        "linkedin_url": "",
        "owner": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def names_on(response) -> list[str]:
    return [contact.full_name for contact in response.context["page"].object_list]


# --- The contact list ---------------------------------------------------------------------


def test_the_list_shows_the_teams_contacts_sorted_by_name(alice_client, ann, ben, gil):
    response = alice_client.get(reverse("contacts:list"))
    assert response.status_code == 200
    assert names_on(response) == ["Ann Client", "Ben Prospect"]
    html = response.content.decode()
    assert "Acme Corp" in html and "CFO" in html and "Add contact" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ann", ["Ann Client"]),
        ("CLIENT", ["Ann Client"]),
        ("ann@example", ["Ann Client"]),
        ("big bank", ["Ben Prospect"]),
        ("ann acme", ["Ann Client"]),
        ("nobody", []),
    ],
)
def test_the_list_searches_names_company_and_email(alice_client, ann, ben, query, expected):
    response = alice_client.get(reverse("contacts:list"), {"q": query})
    assert names_on(response) == expected


def test_the_list_filters_by_kind_owner_industry_and_company(
    alice_client, alice, bob, ann, ben, acme_corp
):
    url = reverse("contacts:list")
    assert names_on(alice_client.get(url, {"kind": "client"})) == ["Ann Client"]
    assert names_on(alice_client.get(url, {"owner": bob.pk})) == ["Ben Prospect"]
    assert names_on(alice_client.get(url, {"industry": "finance"})) == ["Ben Prospect"]
    assert names_on(alice_client.get(url, {"company": acme_corp.pk})) == ["Ann Client"]
    assert names_on(alice_client.get(url, {"kind": "client", "owner": bob.pk})) == []


def test_bad_filter_values_are_ignored_not_an_error(alice_client, ann, ben):
    response = alice_client.get(
        reverse("contacts:list"), {"owner": "x", "kind": "alien", "page": "zzz"}
    )
    assert response.status_code == 200
    assert names_on(response) == ["Ann Client", "Ben Prospect"]


def test_the_list_is_paginated(alice_client, acme, alice):
    ContactFactory.create_batch(PAGE_SIZE + 5, team=acme, owner=alice)
    first = alice_client.get(reverse("contacts:list"))
    second = alice_client.get(reverse("contacts:list"), {"page": 2})
    assert len(first.context["page"].object_list) == PAGE_SIZE
    assert len(second.context["page"].object_list) == 5
    assert "page=2" in first.content.decode()
    assert not set(names_on(first)) & set(names_on(second))


def test_an_empty_list_says_what_to_do_next(alice_client):
    html = alice_client.get(reverse("contacts:list")).content.decode()
    assert "empty-state" in html
    assert reverse("contacts:create") in html


def test_a_search_with_no_match_offers_to_clear_it(alice_client, ann):
    html = alice_client.get(reverse("contacts:list"), {"q": "zzz"}).content.decode()
    assert "No contact matches these filters" in html


def test_the_users_own_contact_is_shown_as_you(alice_client, acme, alice):
    own = contact_for_user_ensure(user=alice, team=acme)
    html = alice_client.get(reverse("contacts:list")).content.decode()
    assert ">You</span>" in html
    detail = alice_client.get(reverse("contacts:detail", args=[own.pk]))
    assert detail.status_code == 200
    assert ">You</span>" in detail.content.decode()
    # On the page of someone the user knows, the tie to the user reads "You".
    friend = ContactFactory(team=acme, owner=alice)
    RelationshipFactory(between=(own, friend), strength=5)
    page = alice_client.get(reverse("contacts:detail", args=[friend.pk])).content.decode()
    assert f'href="{reverse("contacts:detail", args=[own.pk])}">You</a>' in page


# --- Adding and editing a contact ---------------------------------------------------------


def test_adding_a_contact_saves_it_with_its_activity(alice_client, alice, acme):
    response = alice_client.post(reverse("contacts:create"), contact_form_data())
    nina = Contact.objects.get(email="nina@example.com")
    assert response.status_code == 302
    assert response.url == reverse("contacts:detail", args=[nina.pk])
    assert nina.team == acme and nina.owner == alice
    assert Activity.objects.filter(contact=nina, verb="created", actor=alice).exists()
    followed = alice_client.get(response.url)
    assert "Nina New was added." in followed.content.decode()


def test_adding_a_contact_may_pick_an_existing_company(alice_client, acme_corp):
    alice_client.post(reverse("contacts:create"), contact_form_data(company=acme_corp.pk))
    assert Contact.objects.get(email="nina@example.com").company == acme_corp


def test_adding_a_contact_may_create_its_company_by_name(alice_client, acme):
    alice_client.post(reverse("contacts:create"), contact_form_data(new_company_name="  Initech "))
    nina = Contact.objects.get(email="nina@example.com")
    assert nina.company.name == "Initech" and nina.company.team == acme


def test_a_typed_company_name_that_exists_reuses_that_company(alice_client, acme_corp):
    alice_client.post(reverse("contacts:create"), contact_form_data(new_company_name="acme corp"))
    assert Contact.objects.get(email="nina@example.com").company == acme_corp
    assert Company.objects.filter(name__iexact="acme corp").count() == 1


def test_picking_and_typing_a_company_is_refused(alice_client, acme_corp):
    response = alice_client.post(
        reverse("contacts:create"),
        contact_form_data(company=acme_corp.pk, new_company_name="Initech"),
    )
    assert response.status_code == 200
    assert COMPANY_PICKED_AND_TYPED in response.context["form"].errors["new_company_name"]
    assert not Contact.objects.filter(email="nina@example.com").exists()


def test_a_bad_email_is_a_form_error_and_nothing_is_written(alice_client):
    before = (Contact.objects.count(), Activity.objects.count())
    response = alice_client.post(
        reverse("contacts:create"), contact_form_data(email="not-an-email")
    )
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert (Contact.objects.count(), Activity.objects.count()) == before


def test_a_company_of_another_team_cannot_be_picked(alice_client, globex):
    theirs = CompanyFactory(team=globex, name="Globex Inc")
    response = alice_client.post(reverse("contacts:create"), contact_form_data(company=theirs.pk))
    assert "company" in response.context["form"].errors
    assert not Contact.objects.filter(email="nina@example.com").exists()


@pytest.mark.parametrize("email", ["ann@example.com", "ANN@Example.com"])
def test_a_duplicate_email_is_flagged_with_a_link_and_nothing_is_saved(alice_client, ann, email):
    before = Contact.objects.count()
    response = alice_client.post(
        reverse("contacts:create"), contact_form_data(email=email, new_company_name="Initech")
    )
    assert response.status_code == 200
    assert DUPLICATE_EMAIL.format(name="Ann Client") in response.context["form"].errors["email"]
    html = response.content.decode()
    assert f'href="{reverse("contacts:detail", args=[ann.pk])}"' in html
    assert "open Ann Client" in html
    assert Contact.objects.count() == before
    # The typed company went with the refused contact: nothing half-written.
    assert not Company.objects.filter(name="Initech").exists()


def test_a_duplicate_linkedin_url_is_flagged_with_a_link(alice_client, ann):
    response = alice_client.post(
        reverse("contacts:create"),
        contact_form_data(linkedin_url="https://www.linkedin.com/in/ann-client"),
    )
    errors = response.context["form"].errors["linkedin_url"]
    assert DUPLICATE_LINKEDIN.format(name="Ann Client") in errors
    assert "open Ann Client" in response.content.decode()
    assert not Contact.objects.filter(email="nina@example.com").exists()


def test_editing_a_contact_saves_it_and_records_what_changed(alice_client, alice, ann):
    data = contact_form_data(
        first_name="Ann",
        last_name="Client",
        email="ann@example.com",
        kind="client",
        title="CEO",
        company=ann.company_id,
        owner=alice.pk,
    )
    response = alice_client.post(reverse("contacts:edit", args=[ann.pk]), data)
    assert response.status_code == 302
    ann.refresh_from_db()
    assert ann.title == "CEO"
    assert Activity.objects.filter(contact=ann, verb="updated", actor=alice).exists()


def test_the_edit_form_starts_from_the_contact(alice_client, ann):
    form = alice_client.get(reverse("contacts:edit", args=[ann.pk])).context["form"]
    assert form.initial["email"] == "ann@example.com"
    assert form["company"].value() == ann.company_id
    assert "Acme Corp" in str(form["company"])


def test_editing_into_someone_elses_email_is_refused_with_a_link(alice_client, ann, ben):
    data = contact_form_data(first_name="Ben", last_name="Prospect", email="ANN@example.com")
    response = alice_client.post(reverse("contacts:edit", args=[ben.pk]), data)
    assert response.status_code == 200
    assert "open Ann Client" in response.content.decode()
    ben.refresh_from_db()
    assert ben.email != "ann@example.com"
    assert response.context["contact"].first_name == "Ben"


def test_a_teammate_may_edit_a_shared_contact(bob_client, ann):
    data = contact_form_data(
        first_name="Ann", last_name="Client", email="ann@example.com", title="COO"
    )
    response = bob_client.post(reverse("contacts:edit", args=[ann.pk]), data)
    assert response.status_code == 302
    ann.refresh_from_db()
    assert ann.title == "COO"


def test_someone_without_a_team_cannot_add_contacts(admin_client_):
    assert admin_client_.get(reverse("contacts:create")).status_code == 404
    assert admin_client_.get(reverse("contacts:company-create")).status_code == 404


# --- The contact's page -------------------------------------------------------------------


def test_the_detail_page_shows_the_whole_picture(alice_client, alice, acme, ann, ben):
    RelationshipFactory(between=(ann, ben), strength=4, kind="friend")
    referral = ReferralFactory(referrer=ann, prospect=ben, owner=alice)
    ReadinessCheckFactory(client=ann, owner=alice, green_light=True)
    DealFactory(contact=ann, owner=alice, name="Ledger rollout")
    Activity.objects.create(
        team=acme,
        actor=alice,
        referral=referral,
        verb="asked",
        description="Asked for an introduction to Ben",
        occurred_at=referral.asked_at,
    )
    response = alice_client.get(reverse("contacts:detail", args=[ann.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "CFO" in html and "Acme Corp" in html and "Client" in html
    assert "●●●●○" in html and "Friend" in html
    assert reverse("contacts:detail", args=[ben.pk]) in html
    assert reverse("referrals:referral-detail", args=[referral.pk]) in html
    assert "Green light" in html
    assert "Ledger rollout" in html
    assert "Asked for an introduction to Ben" in html
    assert f"{reverse('referrals:roster-create')}?prospect={ann.pk}" in html
    assert f"{reverse('referrals:referral-create')}?referrer={ann.pk}" in html
    assert f"{reverse('referrals:readiness-create')}?client={ann.pk}" in html
    assert "https://www.linkedin.com/in/ann-client" in html


def test_someone_already_on_your_roster_is_shown_as_such_not_offered_again(
    alice_client, bob_client, alice, ann
):
    entry = RosterEntryFactory(owner=alice, prospect=ann)
    html = alice_client.get(reverse("contacts:detail", args=[ann.pk])).content.decode()
    assert f"{reverse('referrals:roster-create')}?prospect={ann.pk}" not in html
    assert reverse("referrals:roster-edit", args=[entry.pk]) in html
    assert "On your roster · " + entry.get_status_display() in html
    # Alice's roster is hers: her teammate may still add Ann to his own.
    html = bob_client.get(reverse("contacts:detail", args=[ann.pk])).content.decode()
    assert f"{reverse('referrals:roster-create')}?prospect={ann.pk}" in html
    assert "On your roster" not in html


def test_the_prospect_sees_the_referral_as_prospect(alice_client, alice, ann, ben):
    referral = ReferralFactory(referrer=ann, prospect=ben, owner=alice)
    response = alice_client.get(reverse("contacts:detail", args=[ben.pk]))
    assert list(response.context["as_prospect"]) == [referral]
    assert response.context["as_referrer"] == []


def test_the_detail_page_shows_only_the_referrals_and_deals_the_user_may_see(
    bob_client, maya_client, alice, ann, ben
):
    ReferralFactory(referrer=ann, prospect=ben, owner=alice)
    DealFactory(contact=ann, owner=alice)
    as_bob = bob_client.get(reverse("contacts:detail", args=[ann.pk])).context
    assert as_bob["as_referrer"] == [] and as_bob["deals"] == []
    as_maya = maya_client.get(reverse("contacts:detail", args=[ann.pk])).context
    assert len(as_maya["as_referrer"]) == 1 and len(as_maya["deals"]) == 1


def test_the_timeline_is_newest_first_and_bounded(alice_client, acme, alice, ann):
    now = timezone.now()
    for minutes in range(60):
        Activity.objects.create(
            team=acme,
            actor=alice,
            contact=ann,
            verb="note",
            description=f"Event {minutes}",
            occurred_at=now - timedelta(minutes=minutes),
        )
    timeline = alice_client.get(reverse("contacts:detail", args=[ann.pk])).context["timeline"]
    assert len(timeline) == 50
    assert timeline[0].description == "Event 0"


# --- Relationships ------------------------------------------------------------------------


def relationship_data(other, **overrides):
    data = {
        "other": other.pk,
        "kind": "colleague",
        "strength": 4,
        "since": "2019-05-01",
        "source": "told",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_a_relationship_added_from_one_side_shows_on_both_pages(alice_client, alice, ann, ben):
    response = alice_client.post(
        reverse("contacts:relationship-create", args=[ben.pk]), relationship_data(ann)
    )
    assert response.status_code == 302
    assert response.url == reverse("contacts:detail", args=[ben.pk])
    tie = Relationship.objects.get()
    assert (tie.contact_a, tie.contact_b) == tuple(sorted((ann, ben), key=lambda c: c.pk))
    assert tie.strength == 4 and tie.created_by == alice
    for person, other in ((ann, ben), (ben, ann)):
        page = alice_client.get(reverse("contacts:detail", args=[person.pk]))
        rows = page.context["relationships"]
        assert [(row["name"], row["links"]["other"]) for row in rows] == [
            (other.full_name, reverse("contacts:detail", args=[other.pk]))
        ]


def test_a_relationship_row_says_how_well_since_when_and_leads_back_to_the_page(
    alice_client, ann, ben
):
    tie = RelationshipFactory(between=(ann, ben), strength=3, since=date(2019, 3, 4))

    page = alice_client.get(reverse("contacts:detail", args=[ben.pk])).content.decode()

    assert 'aria-label="Strength 3 of 5">●●●○○</span>' in page
    assert "· since 4 Mar 2019" in page  # the project's DATE_FORMAT (config/formats)
    assert f">{ann.full_name}</a>" in page
    assert f"· {ann.company.name}</span>" in page
    for name in ("contacts:relationship-edit", "contacts:relationship-delete"):
        assert f'href="{reverse(name, args=[tie.pk])}?contact={ben.pk}"' in page
    assert f'href="{reverse("contacts:detail", args=[ann.pk])}"' in page


@pytest.mark.parametrize("from_ann", [True, False])
def test_a_duplicate_relationship_is_refused_in_either_order(alice_client, ann, ben, from_ann):
    RelationshipFactory(between=(ann, ben))
    contact, other = (ann, ben) if from_ann else (ben, ann)
    response = alice_client.post(
        reverse("contacts:relationship-create", args=[contact.pk]), relationship_data(other)
    )
    assert response.status_code == 200
    assert (
        RELATIONSHIP_EXISTS.format(a=contact, b=other)
        in response.context["form"].non_field_errors()
    )
    assert Relationship.objects.count() == 1


def test_a_relationship_with_oneself_is_refused(alice_client, ann):
    response = alice_client.post(
        reverse("contacts:relationship-create", args=[ann.pk]), relationship_data(ann)
    )
    assert response.status_code == 200
    assert "other" in response.context["form"].errors
    assert not Relationship.objects.exists()


def test_another_teams_contact_cannot_be_picked(alice_client, ann, gil):
    response = alice_client.post(
        reverse("contacts:relationship-create", args=[ann.pk]), relationship_data(gil)
    )
    assert "other" in response.context["form"].errors
    assert not Relationship.objects.exists()


def test_strength_outside_1_to_5_is_a_form_error(alice_client, ann, ben):
    response = alice_client.post(
        reverse("contacts:relationship-create", args=[ann.pk]), relationship_data(ben, strength=9)
    )
    assert "strength" in response.context["form"].errors
    assert not Relationship.objects.exists()


def test_the_relationship_form_offers_the_user_themselves(alice_client, acme, alice, ann):
    own = contact_for_user_ensure(user=alice, team=acme)
    form = alice_client.get(reverse("contacts:relationship-create", args=[ann.pk])).context["form"]
    assert (own.pk, f"You ({own.full_name})") in form.fields["other"].widget.choices
    response = alice_client.post(
        reverse("contacts:relationship-create", args=[ann.pk]), relationship_data(own)
    )
    assert response.status_code == 302
    assert Relationship.objects.filter(contact_a=min(own.pk, ann.pk)).exists()


def test_the_person_search_returns_a_few_options_of_the_team(
    alice_client, acme, alice, ann, ben, gil
):
    url = reverse("contacts:search")
    html = alice_client.get(url, {"q": "pros", "team": acme.pk, "exclude": ann.pk}).content.decode()
    assert f'value="{ben.pk}"' in html and "Ben Prospect" in html
    assert "Gil" not in alice_client.get(url, {"q": "gil", "team": acme.pk}).content.decode()
    # Another team's id in the request does not open that team.
    assert "Gil" not in alice_client.get(url, {"q": "gil", "team": gil.team_id}).content.decode()
    excluded = alice_client.get(url, {"q": "ann", "exclude": ann.pk}).content.decode()
    assert "Ann Client" not in excluded and "No one matches" in excluded


def test_the_company_search_returns_the_teams_companies(alice_client, acme_corp, globex):
    CompanyFactory(team=globex, name="Acme Rival")
    html = alice_client.get(reverse("contacts:company-search"), {"q": "acme"}).content.decode()
    assert "Acme Corp" in html and "Acme Rival" not in html


def test_editing_a_relationship_goes_back_to_the_page_it_came_from(alice_client, ann, ben):
    tie = RelationshipFactory(between=(ann, ben), strength=2)
    url = reverse("contacts:relationship-edit", args=[tie.pk])
    form = alice_client.get(url, {"contact": ben.pk}).context["form"]
    assert form.initial["strength"] == 2
    response = alice_client.post(
        f"{url}?contact={ben.pk}",
        {"kind": "friend", "strength": 5, "since": "", "source": "observed", "notes": "Golf"},
    )
    assert response.url == reverse("contacts:detail", args=[ben.pk])
    tie.refresh_from_db()
    assert (tie.kind, tie.strength, tie.source, tie.notes) == ("friend", 5, "observed", "Golf")


def test_removing_a_relationship_asks_first_then_removes_it(alice_client, ann, ben):
    tie = RelationshipFactory(between=(ann, ben))
    url = reverse("contacts:relationship-delete", args=[tie.pk])
    confirm = alice_client.get(url, {"contact": ann.pk})
    assert confirm.status_code == 200 and "Remove this relationship?" in confirm.content.decode()
    assert Relationship.objects.exists()
    response = alice_client.post(url, {"contact": ann.pk})
    assert response.url == reverse("contacts:detail", args=[ann.pk])
    assert not Relationship.objects.exists()
    assert Activity.objects.filter(contact=ben, verb="relationship_removed").exists()


# --- Companies ----------------------------------------------------------------------------


def test_the_company_list_counts_people_and_filters(alice_client, acme, ann, ben, globex):
    CompanyFactory(team=globex, name="Globex Inc")
    response = alice_client.get(reverse("contacts:company-list"))
    rows = {company.name: company.contact_count for company in response.context["page"]}
    assert rows == {"Acme Corp": 1, "Big Bank": 1}
    filtered = alice_client.get(reverse("contacts:company-list"), {"industry": "finance"})
    assert [company.name for company in filtered.context["page"]] == ["Big Bank"]
    searched = alice_client.get(reverse("contacts:company-list"), {"q": "acme"})
    assert [company.name for company in searched.context["page"]] == ["Acme Corp"]


def test_an_empty_company_list_says_what_to_do_next(alice_client):
    html = alice_client.get(reverse("contacts:company-list")).content.decode()
    assert "empty-state" in html and reverse("contacts:company-create") in html


def test_adding_a_company(alice_client, acme):
    response = alice_client.post(
        reverse("contacts:company-create"),
        {
            "name": "Initech",
            "industry": "software",
            "region": "",
            "country": "US",
            "employee_count": "120",
            "revenue_band": "",
            "website": "",
        },
    )
    initech = Company.objects.get(name="Initech")
    assert response.url == reverse("contacts:company-detail", args=[initech.pk])
    assert initech.team == acme and initech.employee_count == 120


def test_a_duplicate_company_name_is_refused(alice_client, acme_corp):
    response = alice_client.post(
        reverse("contacts:company-create"),
        {
            "name": "ACME corp",
            "industry": "",
            "region": "",
            "country": "",
            "employee_count": "",
            "revenue_band": "",
            "website": "",
        },
    )
    assert response.status_code == 200
    assert DUPLICATE_COMPANY.format(name="ACME corp") in response.context["form"].errors["name"]
    assert Company.objects.count() == 1


def test_editing_a_company(alice_client, acme_corp):
    url = reverse("contacts:company-edit", args=[acme_corp.pk])
    assert alice_client.get(url).context["form"].initial["name"] == "Acme Corp"
    response = alice_client.post(
        url,
        {
            "name": "Acme Corporation",
            "industry": "software",
            "region": "",
            "country": "",
            "employee_count": "",
            "revenue_band": "",
            "website": "https://acme.example",
        },
    )
    assert response.status_code == 302
    acme_corp.refresh_from_db()
    assert acme_corp.name == "Acme Corporation"


def test_the_company_page_lists_its_people(alice_client, acme_corp, ann, ben):
    response = alice_client.get(reverse("contacts:company-detail", args=[acme_corp.pk]))
    assert names_on(response) == ["Ann Client"]


# --- The CSV export -----------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_the_export_is_the_filtered_list_as_csv(alice_client, ann, ben):
    response = alice_client.get(reverse("contacts:export"), {"kind": "client"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:3] == ["First name", "Last name", "Email"]
    assert [row[:3] for row in rows[1:]] == [["Ann", "Client", "ann@example.com"]]


@pytest.mark.parametrize(
    "dangerous", ['=HYPERLINK("http://x")', "+1 555", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]
)
def test_the_export_neutralises_formulas(alice_client, acme, alice, dangerous):
    ContactFactory(team=acme, owner=alice, first_name=dangerous, last_name="Evil", title="=1+1")
    rows = read_csv(alice_client.get(reverse("contacts:export")))
    assert rows[1][0] == "'" + dangerous
    assert rows[1][rows[0].index("Title")] == "'=1+1"


def test_the_export_does_not_leak_another_team(charlie_client, ann):
    rows = read_csv(charlie_client.get(reverse("contacts:export")))
    assert rows[1:] == []


# --- Who sees what ------------------------------------------------------------------------


def acme_pages(ann, ben):
    tie = RelationshipFactory(between=(ann, ben))
    return [
        reverse("contacts:detail", args=[ann.pk]),
        reverse("contacts:edit", args=[ann.pk]),
        reverse("contacts:relationship-create", args=[ann.pk]),
        reverse("contacts:relationship-edit", args=[tie.pk]),
        reverse("contacts:relationship-delete", args=[tie.pk]),
        reverse("contacts:company-detail", args=[ann.company_id]),
        reverse("contacts:company-edit", args=[ann.company_id]),
    ]


def test_teammates_and_the_manager_see_the_teams_network(bob_client, maya_client, ann, ben):
    for url in acme_pages(ann, ben):
        assert bob_client.get(url).status_code == 200, url
        assert maya_client.get(url).status_code == 200, url


def test_an_outsider_gets_404_on_every_acme_page(charlie_client, ann, ben):
    pages = acme_pages(ann, ben)
    for url in pages:
        assert charlie_client.get(url).status_code == 404, url
    for url in pages[1:5] + pages[6:]:  # the forms
        assert charlie_client.post(url, {}).status_code == 404, url
    assert Relationship.objects.count() == 1


def test_an_outsider_does_not_find_acme_in_lists(charlie_client, ann, ben):
    assert names_on(charlie_client.get(reverse("contacts:list"))) == []
    companies = charlie_client.get(reverse("contacts:company-list")).context["page"]
    assert list(companies) == []
    assert (
        "Ann" not in charlie_client.get(reverse("contacts:search"), {"q": "ann"}).content.decode()
    )


def test_staff_see_every_teams_network(admin_client_, ann, gil):
    assert names_on(admin_client_.get(reverse("contacts:list"))) == ["Ann Client", "Gil Globex"]
    assert admin_client_.get(reverse("contacts:detail", args=[gil.pk])).status_code == 200


@pytest.mark.parametrize(
    "name", ["contacts:list", "contacts:create", "contacts:company-list", "contacts:export"]
)
def test_the_anonymous_are_sent_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_anonymous_are_sent_to_log_in_from_a_contact(client, ann):
    response = client.get(reverse("contacts:detail", args=[ann.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- Query counts: constant in the size of the team -----------------------------------------


def grow_network(acme, alice, bob, size: int):
    """`size` contacts in `size` companies, each client with ties, referrals, deals and
    activities, so every section of every page has rows."""
    people = []
    for n in range(size):
        company = CompanyFactory(team=acme)
        people.append(ClientFactory(team=acme, owner=alice if n % 2 else bob, company=company))
    hub = people[0]
    for person in people[1:]:
        RelationshipFactory(between=(hub, person))
        referral = ReferralFactory(referrer=hub, prospect=person, owner=hub.owner)
        DealFactory(contact=hub, owner=hub.owner, source=Deal.Source.REFERRAL)
        Activity.objects.create(
            team=acme,
            actor=alice,
            contact=hub,
            verb="note",
            description="Called",
            occurred_at=referral.asked_at,
        )
        Activity.objects.create(
            team=acme,
            actor=bob,
            referral=referral,
            verb="asked",
            description="Asked",
            occurred_at=referral.asked_at,
        )
    ReadinessCheckFactory(client=hub, owner=hub.owner)
    return hub


@pytest.mark.parametrize("size", [3, 30])
def test_contact_list_queries(alice_client, django_assert_max_num_queries, acme, alice, bob, size):
    grow_network(acme, alice, bob, size)
    # session, user, active membership, visibility memberships, count, page of contacts
    # (with company and owner), the team's owners for the filter, the bell's unread
    # notifications.
    with django_assert_max_num_queries(8):
        response = alice_client.get(reverse("contacts:list"))
    assert response.status_code == 200


@pytest.mark.parametrize("size", [3, 30])
def test_contact_detail_queries(maya_client, django_assert_max_num_queries, acme, alice, bob, size):
    hub = grow_network(acme, alice, bob, size)
    # session, user, active membership, visibility memberships, the contact (company,
    # owner, user), relationships (both people and their companies), referrals as
    # referrer, as prospect, latest readiness, the user's own roster entry, deals,
    # timeline (its referrals' ids, then its lines), the bell's unread notifications.
    with django_assert_max_num_queries(14):
        response = maya_client.get(reverse("contacts:detail", args=[hub.pk]))
    assert len(response.context["relationships"]) == size - 1
    assert len(response.context["as_referrer"]) == size - 1


@pytest.mark.parametrize("size", [3, 30])
def test_company_list_queries(alice_client, django_assert_max_num_queries, acme, alice, bob, size):
    grow_network(acme, alice, bob, size)
    # session, user, active membership, visibility memberships, count, page with counts,
    # the bell's unread notifications.
    with django_assert_max_num_queries(7):
        response = alice_client.get(reverse("contacts:company-list"))
    assert response.status_code == 200


@pytest.mark.parametrize("size", [3, 30])
def test_company_detail_queries(
    alice_client, django_assert_max_num_queries, acme, alice, acme_corp, size
):
    ContactFactory.create_batch(size, team=acme, owner=alice, company=acme_corp)
    # session, user, active membership, visibility memberships, the company, count,
    # page of people (with owner), the bell's unread notifications.
    with django_assert_max_num_queries(8):
        response = alice_client.get(reverse("contacts:company-detail", args=[acme_corp.pk]))
    assert len(response.context["page"].object_list) == min(size, PAGE_SIZE)


@pytest.mark.parametrize("size", [3, 30])
def test_search_and_form_queries(
    alice_client, django_assert_max_num_queries, acme, alice, bob, size
):
    hub = grow_network(acme, alice, bob, size)
    # session, user, active membership, visibility memberships, matches (with company).
    with django_assert_max_num_queries(5):
        alice_client.get(reverse("contacts:search"), {"q": "a", "team": acme.pk})
    # session, user, memberships, the contact, the user's own contact, no other choices,
    # the bell's unread notifications.
    with django_assert_max_num_queries(7):
        alice_client.get(reverse("contacts:relationship-create", args=[hub.pk]))
    # session, user, memberships, the contact, its company option, the team's owners,
    # the bell's unread notifications.
    with django_assert_max_num_queries(8):
        alice_client.get(reverse("contacts:edit", args=[hub.pk]))
