"""A rep imports her LinkedIn connections and finds a warm path she did not have.

Priya Shah is on Alice's roster, and nobody in Acme's network is linked to her: her
connectors page says so. Alice's LinkedIn export has Priya among her connections (no
email, as LinkedIn often gives; matched by name and company). Upload → preview → import,
and the connectors page shows the path through that connection — for Alice, and for her
teammate Bob, who can now ask Alice for the introduction.
"""

import re

import pytest
from playwright.sync_api import expect

from contacts.models import Contact, ImportJob, Relationship, RelationshipSource
from tests.factories import CompanyFactory, ContactFactory, RosterEntryFactory

# LinkedIn's export as it arrives: a "Notes:" paragraph before the header, dates like
# "12 Mar 2024", many emails left empty, commas inside quoted values.
CONNECTIONS_CSV = """Notes:
"When exporting your connection data, you may notice that some of the email addresses are \
missing. You will only see email addresses for connections who have allowed their \
connections to see or download their email address using this setting \
https://www.linkedin.com/psettings/privacy/email. You can learn more here \
https://www.linkedin.com/help/linkedin/answer/261"

First Name,Last Name,URL,Email Address,Company,Position,Connected On
Priya,Shah,https://www.linkedin.com/in/priya-shah-finch,,Finch Logistics,Chief Operating Officer,12 Mar 2024
Marco,Rossi,https://www.linkedin.com/in/marcorossi,marco.rossi@example.org,Blue Harbor Freight,Head of Procurement,03 Jan 2023
Lena,Vogel,https://www.linkedin.com/in/lena-vogel-3b1a2,,"Acorn, Birch & Co",Data Lead,28 Feb 2025
,,https://www.linkedin.com/in/anonymous-member,,,,07 Jul 2021
Sam,O'Neil,https://www.linkedin.com/in/samoneil,sam@oneil.example,,Independent consultant,19 Nov 2019
"""  # noqa: E501 - the file's rows as LinkedIn writes them


@pytest.fixture
def priya_on_the_roster(acme, alice, bob):
    priya = ContactFactory(
        team=acme,
        owner=alice,
        first_name="Priya",
        last_name="Shah",
        email="",
        title="COO",
        company=CompanyFactory(team=acme, name="Finch Logistics"),
    )
    RosterEntryFactory(prospect=priya, reason="Finch is opening three warehouses this year.")
    return priya


def test_a_linkedin_import_opens_a_warm_path(
    page, browser, live_server, login, screenshot, priya_on_the_roster
):
    priya = priya_on_the_roster
    connectors_url = f"/contacts/{priya.pk}/connectors/"

    # --- Before: no path to Priya ---------------------------------------------------------
    login(page, "alice")
    page.goto(connectors_url)
    expect(page.get_by_role("heading", name="Who can introduce you to Priya Shah")).to_be_visible()
    expect(
        page.get_by_text(
            "Nobody in your team's network is linked to Priya within 3 introductions yet."
        )
    ).to_be_visible()
    expect(page.get_by_role("list", name="Connectors, best first")).to_have_count(0)
    screenshot(page, "rep-connectors-no-path")

    # --- Upload ----------------------------------------------------------------------------
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Contacts"
    ).click()
    page.get_by_role("link", name=re.compile("Import")).first.click()
    expect(page).to_have_title("Import contacts · Warmpath")
    expect(page.get_by_label("LinkedIn connections (Connections.csv)")).to_be_checked()
    screenshot(page, "rep-import-upload")
    page.get_by_label("CSV file").set_input_files(
        {"name": "Connections.csv", "mimeType": "text/csv", "buffer": CONNECTIONS_CSV.encode()}
    )
    page.get_by_role("button", name="Upload and preview").click()

    # --- Preview: what each row will do, nothing saved yet ---------------------------------
    expect(page).to_have_title("Import Connections.csv · Warmpath")
    expect(page.get_by_text("5 rows")).to_be_visible()
    rows = page.get_by_role("table", name="The first rows of the file and what each will do")
    priya_row = rows.get_by_role("row").filter(has_text="Priya")
    expect(priya_row).to_contain_text("Update")
    expect(priya_row).to_contain_text("name and company")
    expect(rows.get_by_role("row").filter(has_text="Marco")).to_contain_text("Create")
    skipped = rows.get_by_role("row").filter(
        has_text="no first or last name; a contact needs a name"
    )
    expect(skipped).to_contain_text("Skip")
    assert not Contact.objects.filter(last_name="Rossi").exists()
    screenshot(page, "rep-import-preview")

    page.get_by_role("button", name="Import 4 rows").click()

    # --- Done -------------------------------------------------------------------------------
    expect(
        page.get_by_role("alert").filter(has_text="Import done: 3 created, 1 updated, 1 skipped.")
    ).to_be_visible()
    screenshot(page, "rep-import-done")

    # --- After: the warm path through the imported connection ------------------------------
    page.goto(connectors_url)
    # The LinkedIn connection is Alice's own tie: the page says how well, in words.
    expect(
        page.get_by_text(re.compile(r"^You know Priya [a-z ]+ yourself: no introduction needed"))
    ).to_be_visible()
    connectors = page.get_by_role("list", name="Connectors, best first").get_by_role("listitem")
    screenshot(page, "rep-connectors-after-import")
    # First: Alice herself, through her LinkedIn connection to Priya.
    expect(connectors.first.get_by_label("Path")).to_have_text(
        re.compile(r"^\s*You\s*→\s*knows\s*Priya Shah\s*$")
    )
    # The other new connections now reach Priya through Alice (two introductions).
    expect(connectors).to_have_count(4)

    # The roster shows it too.
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Roster"
    ).click()
    expect(page.get_by_role("row").filter(has_text="Priya Shah")).not_to_contain_text(
        "No warm path within two introductions yet"
    )

    # Her teammate sees the same path, through Alice, and can ask her for the introduction.
    bob_context = browser.new_context(base_url=live_server.url)
    try:
        bob_page = bob_context.new_page()
        login(bob_page, "bob")
        bob_page.goto(connectors_url)
        bob_connectors = bob_page.get_by_role("list", name="Connectors, best first").get_by_role(
            "listitem"
        )
        expect(bob_connectors.first).to_contain_text("Alice")
        expect(
            bob_connectors.first.get_by_role("button", name="Ask Alice to introduce you")
        ).to_be_visible()
    finally:
        bob_context.close()

    # --- What was saved ----------------------------------------------------------------------
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE
    priya.refresh_from_db()
    assert priya.linkedin_url == "https://www.linkedin.com/in/priya-shah-finch"
    alice_contact = Contact.objects.get(user__username="alice")
    tie = Relationship.objects.get(
        contact_a__in=[alice_contact, priya], contact_b__in=[alice_contact, priya]
    )
    assert tie.source == RelationshipSource.LINKEDIN
    assert (
        Contact.objects.filter(team=priya.team, last_name__in=["Rossi", "Vogel", "O'Neil"]).count()
        == 3
    )
