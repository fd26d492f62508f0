"""Building the roster from the ideal client profile, in the browser.

Alice (rep, Acme) opens the team's profile, follows its count of good fits to the people
who fit and are not clients yet (best fit first, her client left out), narrows them to
the profile's region, ticks two with a priority and a business reason each, and lands on
her roster with both there; trying again with one already on it adds nothing and says why
on that row, with a link to the entry.
"""

import pytest
from playwright.sync_api import expect

from contacts.models import ContactKind, IdealClientProfile, Industry
from contacts.services import contact_fit_scores_refresh
from referrals.models import RosterEntry
from tests.factories import CompanyFactory, ContactFactory


@pytest.fixture
def network(acme, alice):
    IdealClientProfile.objects.create(
        team=acme, industries=[Industry.LOGISTICS], regions=["Ontario"], situation="Growing fleets"
    )

    def person(first, last, industry, region, **fields):
        company = CompanyFactory(
            team=acme, name=f"{last} Freight", industry=industry, region=region, country="Canada"
        )
        return ContactFactory(
            team=acme, owner=alice, first_name=first, last_name=last, company=company, **fields
        )

    people = {
        "priya": person("Priya", "Shah", Industry.LOGISTICS, "Ontario"),
        "omar": person("Omar", "Haddad", Industry.LOGISTICS, "Ontario"),
        "quinn": person("Quinn", "Moreau", Industry.LOGISTICS, "Quebec"),
        "carol": person("Carol", "Diaz", Industry.LOGISTICS, "Ontario", kind=ContactKind.CLIENT),
        "mia": person("Mia", "Berg", Industry.MEDIA, "Lagos"),
    }
    contact_fit_scores_refresh(contacts=list(people.values()))
    return people


def test_a_rep_fills_her_roster_from_the_profiles_good_fits(page, login, screenshot, network):
    login(page, "alice")
    page.goto("/profile/ideal-client/")
    link = page.get_by_role("link", name="See the 2 who are not clients yet")
    expect(link).to_be_visible()
    link.click()

    # Best fit first, the client left out, the fit shown with what it rests on.
    expect(page).to_have_title("Good fits to put on your roster · Warmpath")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)  # min_fit=70 from the profile's link: Quinn is 63
    expect(rows.nth(0)).to_contain_text("Matches industry, region")
    expect(page.get_by_text("Carol Diaz")).to_have_count(0)

    # Every non-client, best first, then narrowed to the profile's region.
    page.get_by_label("Fit at least").fill("")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(4)
    expect(rows.nth(3)).to_contain_text("Mia Berg")
    page.get_by_label("Region").select_option("true")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(2)
    screenshot(page, "rep-good-fits")

    # Tick both, each with a priority and a business reason.
    page.get_by_label("Add Priya Shah to my roster").check()
    page.get_by_label("Priority for Priya Shah").select_option(label="High")
    page.get_by_label("Business reason for Priya Shah").fill("Three new depots in Ottawa")
    page.get_by_label("Add Omar Haddad to my roster").check()
    page.get_by_label("Business reason for Omar Haddad").fill("Fleet renewal next spring")
    page.get_by_role("button", name="Add the ticked people to my roster").click()

    expect(page).to_have_title("Referral roster · Warmpath")
    expect(page.get_by_text("2 people added to your roster")).to_be_visible()
    expect(page.get_by_role("link", name="Priya Shah", exact=True)).to_be_visible()
    expect(page.get_by_text("Three new depots in Ottawa")).to_be_visible()
    priya = RosterEntry.objects.get(prospect=network["priya"])
    assert (priya.priority, priya.reason) == (1, "Three new depots in Ottawa")

    # Back on the fits: both are marked as on the roster, no longer offered.
    page.goto("/profile/ideal-client/fits/?matches_region=true")
    expect(page.get_by_text("On your roster", exact=True)).to_have_count(2)
    expect(page.get_by_label("Add Priya Shah to my roster")).to_have_count(0)

    # Another tab put Quinn on the roster while this page was open: adding Quinn and Mia
    # adds neither, and Quinn's row says why, with the way to the entry.
    page.goto("/profile/ideal-client/fits/")
    page.get_by_label("Add Quinn Moreau to my roster").check()
    page.get_by_label("Add Mia Berg to my roster").check()
    quinn = RosterEntry.objects.create(
        team=network["quinn"].team, owner=priya.owner, prospect=network["quinn"]
    )
    page.get_by_role("button", name="Add the ticked people to my roster").click()
    expect(page.get_by_text("1 of the 2 people could not be added, so none was")).to_be_visible()
    expect(page.get_by_text("Quinn Moreau is already on your roster.")).to_be_visible()
    expect(page.get_by_role("link", name="Open their roster entry")).to_have_attribute(
        "href", f"/roster/{quinn.pk}/edit/"
    )
    assert not RosterEntry.objects.filter(prospect=network["mia"]).exists()
    screenshot(page, "rep-good-fits-refused")
