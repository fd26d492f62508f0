"""The search-as-you-type boxes of the pickers (a referral's contacts, a contact's company,
a relationship's other person): htmx brings the matches into the list beside the box."""

import re

from playwright.sync_api import expect

from contacts.models import Contact
from tests.factories import CompanyFactory, ContactFactory

HTMX = re.compile(r"/django_htmx/htmx[^/]*\.js")


def held_back_until_typed(page, wait_until, url: str, box_label: str, words: str) -> None:
    """Open url with htmx held back, type into the box, then let htmx load: the words are
    in the box before htmx listens (a quick typist on a slow connection, or the browser
    restoring the box on Back)."""
    held = []
    # The first request for htmx waits; any later one (the next page) goes through.
    page.route(HTMX, lambda route: route.continue_() if held else held.append(route))
    page.goto(url, wait_until="commit")
    page.get_by_label(box_label).fill(words)
    wait_until(page, lambda: held, "the page to ask for htmx")
    held[0].continue_()


def test_words_typed_while_the_page_loads_still_find_the_prospect(
    page, login, wait_until, acme, alice
):
    ContactFactory(
        team=acme,
        owner=alice,
        first_name="Priya",
        last_name="Shah",
        company=CompanyFactory(team=acme, name="Finch Logistics"),
    )
    login(page, "alice")
    held_back_until_typed(page, wait_until, "/roster/new/", "Search contacts for prospect", "Priya")

    picker = page.get_by_label("Prospect", exact=True)
    expect(picker.locator("option", has_text="Priya Shah — Finch Logistics")).to_have_count(1)


def test_enter_in_a_company_search_searches_and_saves_nothing(page, login, wait_until, acme, alice):
    CompanyFactory(team=acme, name="Finch Logistics")
    login(page, "alice")
    held_back_until_typed(page, wait_until, "/contacts/new/", "Find a company", "Finch")

    company = page.get_by_label("Company", exact=True)
    expect(company.locator("option", has_text="Finch Logistics")).to_have_count(1)

    # Enter is the natural key after typing a search: it must not send the half-filled
    # contact form.
    page.get_by_label("First name").fill("Lena")
    page.get_by_label("Find a company").press("Enter")
    page.wait_for_timeout(300)  # a submitted form would have left the page by now
    expect(page).to_have_url(re.compile(r"/contacts/new/$"))
    assert not Contact.objects.exists()

    company.select_option(label="Finch Logistics")
    page.get_by_role("button", name=re.compile("Save|Add")).click()
    expect(page.get_by_role("heading", name="Lena")).to_be_visible()
    assert Contact.objects.get().company.name == "Finch Logistics"
