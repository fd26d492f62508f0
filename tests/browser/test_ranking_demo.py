"""The demo, as a new rep would try it (issue 17): Ravi logs in, looks for who can introduce
him to Shelly Dixon, and is told to ask Alexandra Petersen, whom he knows and who knows
Shelly — in words, with the chance behind it on demand and the first message drafted.
Going through his roster, no connectors page ever asks him to be introduced to Henry Fritz
(already a client of the team), and the page speaks no arithmetic or graph jargon.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from contacts.models import Contact
from demo import DEMO_PASSWORD
from referrals.models import RosterEntry


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=StringIO())


def test_ravi_is_told_to_ask_alexandra_for_shelly(demo, page, login, screenshot):
    shelly = Contact.objects.get(first_name="Shelly", last_name="Dixon")
    login(page, "ravi", DEMO_PASSWORD)
    page.goto(f"/contacts/{shelly.pk}/connectors/")
    expect(
        page.get_by_role("heading", name="Who can introduce you to Shelly Dixon")
    ).to_be_visible()
    first = page.get_by_role("list", name="Connectors, best first").get_by_role("listitem").first
    expect(first).to_contain_text("Alexandra Petersen")
    expect(first).to_contain_text("You know Alexandra")
    expect(first.get_by_role("button", name="Ask Alexandra to introduce you")).to_be_visible()
    # The number behind it, on demand.
    chance = first.get_by_text("Chance of the introductions")
    expect(chance).to_be_visible()
    chance.click()
    expect(first.get_by_role("table", name="What the chance is made of")).to_be_visible()
    # The suggested first message.
    first.get_by_text("Suggested first message to Alexandra").click()
    expect(first.locator("pre")).to_contain_text("Hi Alexandra,")
    expect(first.locator("pre")).to_contain_text("Shelly Dixon")
    # Jessica Clark's path runs through Alexandra, a client of the team: its ask also goes
    # to Alexandra, and nobody suggests asking Jessica to introduce Alexandra.
    expect(page.get_by_text("Ask Jessica to introduce Alexandra Petersen")).to_have_count(0)
    body = page.locator("main").inner_text()
    for jargon in (" hop ", " hops", "(+", "Score ", "observed"):
        assert jargon not in body
    screenshot(page, "rep-connectors-demo")


def test_no_page_of_ravis_roster_says_be_introduced_to_henry_fritz(demo, page, login):
    login(page, "ravi", DEMO_PASSWORD)
    prospects = RosterEntry.objects.filter(owner__username="ravi").values_list(
        "prospect_id", flat=True
    )
    assert prospects
    for prospect in prospects:
        page.goto(f"/contacts/{prospect}/connectors/")
        expect(page.get_by_role("heading", name="Who can introduce you")).to_have_count(1)
        expect(page.get_by_text("introduce Henry Fritz")).to_have_count(0)
    # The roster's best path for Shelly is the connectors page's first.
    page.goto("/roster/")
    row = page.get_by_role("row").filter(has_text="Shelly Dixon")
    expect(row).to_contain_text("Ask Alexandra Petersen")
