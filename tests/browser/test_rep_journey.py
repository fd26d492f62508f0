"""A rep's day in the browser, from a name on the wish list to a won deal and the thanks.

Alice (rep, Acme) puts Priya Shah on her roster, finds who can introduce her, asks her
client Carol from the connectors page (the drafted ask, one click), moves the referral
through confirmed, contacted, meeting and won, works every follow-up that appears from
its draft (completed in place, htmx), and sees her week's numbers move.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from contacts.models import Activity, Channel, RelationshipKind
from followups.models import FollowUp
from referrals.models import Referral, RosterEntry, WeeklyGoal
from tests.factories import (
    TEST_PASSWORD,
    ClientFactory,
    CompanyFactory,
    ContactFactory,
    FollowUpFactory,
    ReadinessCheckFactory,
    ReferralFactory,
    RelationshipFactory,
)

REASON = "Finch is opening three warehouses in the Northeast and needs route planning."


@pytest.fixture
def network(acme, alice):
    """Alice's book: two clients who know Priya (Carol well, with the green light; Dev a
    little), and Priya herself, a prospect nobody has asked about yet."""
    from reporting import kpis

    def person(factory, first, last, company, **fields):
        return factory(
            team=acme,
            owner=alice,
            first_name=first,
            last_name=last,
            email=f"{first.lower()}@{company.lower().replace(' ', '')}.example",
            company=CompanyFactory(team=acme, name=company),
            **fields,
        )

    carol = person(ClientFactory, "Carol", "Diaz", "Northwind Foods", preferred_channel="email")
    dev = person(ClientFactory, "Dev", "Patel", "Harbor Supply", preferred_channel="phone")
    priya = person(ContactFactory, "Priya", "Shah", "Finch Logistics", title="COO")
    ReadinessCheckFactory(client=carol, green_light=True)
    RelationshipFactory(between=(carol, priya), kind=RelationshipKind.FORMER_COLLEAGUE, strength=4)
    RelationshipFactory(between=(dev, priya), kind=RelationshipKind.CLUB, strength=2)
    # This week's goals, written by her manager: the week page measures her against them.
    WeeklyGoal.objects.create(
        team=acme,
        rep=alice,
        week_start=kpis.monday(kpis.today_for(alice)),
        asks=2,
        intros=2,
        meetings=1,
        wins=1,
    )
    return {"carol": carol, "dev": dev, "priya": priya}


def goal_bar(page, label: str):
    return page.get_by_role("row", name=re.compile(rf"^{label} ")).locator("progress")


def test_a_rep_asks_for_an_introduction_and_closes_the_loop(page, login, screenshot, network):
    carol, priya = network["carol"], network["priya"]

    # --- Monday morning: the week, nothing done yet ------------------------------------
    login(page, "alice")
    expect(page).to_have_title("My week · Warmpath")
    expect(goal_bar(page, "Asks")).to_have_attribute("aria-label", "Asks: 0 of 2")
    expect(goal_bar(page, "Wins")).to_have_attribute("aria-label", "Wins: 0 of 1")
    expect(page.get_by_text("Nobody on your roster is waiting for an ask.")).to_be_visible()
    screenshot(page, "rep-week-before")

    # --- The roster: Priya goes on the wish list -----------------------------------------
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Roster"
    ).click()
    expect(page.get_by_text("Your roster is empty.")).to_be_visible()
    page.get_by_role("link", name="Add your first prospect").click()
    expect(page).to_have_title("Add a prospect to the roster · Warmpath")

    page.get_by_label("Search contacts for prospect").fill("Priya")
    picker = page.get_by_label("Prospect", exact=True)
    expect(picker.locator("option", has_text="Priya Shah — Finch Logistics")).to_have_count(1)
    picker.select_option(label=picker.locator("option", has_text="Priya Shah").inner_text())
    page.get_by_label("Priority").select_option(label="High")
    page.get_by_label("Business reason").fill(REASON)
    page.get_by_role("button", name="Add to the roster").click()

    expect(
        page.get_by_role("alert").filter(has_text="Priya Shah is on your roster.")
    ).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Priya Shah")
    expect(row).to_contain_text("Finch Logistics")
    expect(row).to_contain_text("Carol Diaz")  # the best warm path, shown on the roster
    screenshot(page, "rep-roster")

    # --- Who can introduce her: Carol first (client, green light, strong tie) ------------
    row.get_by_role("link", name="Find who can introduce you").click()
    expect(page.get_by_role("heading", name="Who can introduce you to Priya Shah")).to_be_visible()
    expect(page.get_by_text(f"Your business reason: {REASON}")).to_be_visible()
    connectors = page.get_by_role("list", name="Connectors, best first").get_by_role("listitem")
    expect(connectors).to_have_count(2)
    expect(connectors.nth(0)).to_contain_text("Carol Diaz")
    expect(connectors.nth(0)).to_contain_text("Green light")
    expect(connectors.nth(1)).to_contain_text("Dev Patel")
    screenshot(page, "rep-connectors")

    connectors.nth(0).get_by_role("button", name="Ask Carol to introduce you").click()

    # --- The referral: the drafted ask, then each step -----------------------------------
    expect(
        page.get_by_role("alert").filter(has_text="Ask recorded: Carol Diaz → Priya Shah")
    ).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Carol Diaz → Priya Shah")
    ask = page.locator("dt", has_text="The ask").locator("xpath=following-sibling::dd[1]")
    expect(ask).to_contain_text("Hi Carol,")
    expect(ask).to_contain_text("an introduction to Priya Shah (COO at Finch Logistics)")
    expect(ask).to_contain_text(f"Why now: {REASON}")
    # She sends it from her own mail: copied as written, line breaks and all.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    ask.get_by_role("button", name="Copy the ask").click()
    expect(ask.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Hi Carol,\n\nI would like to ask you for an introduction"), copied
    expect(ask.get_by_role("link", name="Edit the ask")).to_be_visible()
    followups = page.locator("#followups")
    expect(followups.get_by_role("listitem")).to_have_count(1)
    expect(followups).to_contain_text("Thank the referrer")
    screenshot(page, "rep-referral-asked")

    next_step = page.locator("#next-step")
    for button, status in [
        ("Confirmed by referrer", "Confirmed by referrer"),
        ("Prospect contacted", "Prospect contacted"),
        ("Meeting", "Meeting"),
    ]:
        next_step.get_by_role("button", name=button, exact=True).click()
        expect(page.get_by_role("alert").filter(has_text=status)).to_be_visible()
        expect(page.locator("[aria-current=step]")).to_contain_text(status)

    # Won, with the deal's value (the box appears where Won is a next step); a win without
    # it is a banner asking for it (tests/browser/test_daily_use.py).
    page.locator("#next-step").get_by_label("Value").fill("24000")
    page.locator("#next-step").get_by_role("button", name="Won", exact=True).click()
    expect(page.get_by_text("This referral is won: no step left.")).to_be_visible()
    expect(
        page.locator("dt", has_text="Value").locator("xpath=following-sibling::dd[1]")
    ).to_have_text("$24,000")
    screenshot(page, "rep-referral-won")

    # --- The follow-up inbox: each one, from its draft, done in place --------------------
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Follow-ups"
    ).click()
    expect(page).to_have_title("Follow-ups · Warmpath")
    expect(page.locator("li.followup-item").first).to_be_visible()
    count = page.locator("li.followup-item").count()
    assert count >= 4  # thank Carol, report to Carol, thank Priya, closing thanks to Carol
    screenshot(page, "rep-followups")

    pending = page.locator("li.followup-item").filter(has=page.get_by_role("link", name="Draft"))
    for index in range(count):
        expect(pending).to_have_count(count - index)
        item = pending.first
        item_id = item.get_attribute("id")
        kind = item.locator(".badge").first.inner_text()
        item.get_by_role("link", name="Draft").click()
        expect(page).to_have_title(re.compile(r"^Draft: "))
        draft = page.get_by_label("Message").input_value()
        assert "Priya" in draft, draft
        page.get_by_role("button", name="Copy the message").click()
        expect(page.get_by_role("button", name="Copied")).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == draft
        if index == 0:
            screenshot(page, "rep-followup-draft")
        page.get_by_role("link", name="Back").click()

        item = page.locator(f"#{item_id}")
        page.evaluate("window.notReloaded = true")
        item.locator("summary", has_text="Complete").click()
        item.get_by_label("Channel").select_option(label="Email")
        item.get_by_label("Note").fill(f"Sent the drafted message ({kind}).")
        item.get_by_role("button", name="Mark done").click()
        expect(page.locator(f"#{item_id}")).to_contain_text("Done · email")
        # Swapped in place by htmx: the same page, not a reload.
        assert page.evaluate("window.notReloaded") is True

    page.reload()
    expect(page.locator("li.followup-item")).to_have_count(0)

    # --- The week has moved ----------------------------------------------------------------
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="My week"
    ).click()
    expect(goal_bar(page, "Asks")).to_have_attribute("aria-label", "Asks: 1 of 2")
    expect(goal_bar(page, "Intros")).to_have_attribute("aria-label", "Intros: 1 of 2")
    expect(goal_bar(page, "Meetings")).to_have_attribute("aria-label", "Meetings: 1 of 1")
    expect(goal_bar(page, "Wins")).to_have_attribute("aria-label", "Wins: 1 of 1")
    assert goal_bar(page, "Asks").evaluate("bar => bar.position") == pytest.approx(0.5)
    wins = page.get_by_role("region", name=re.compile("Wins of the last"))
    expect(wins).to_contain_text("Priya Shah")
    expect(wins).to_contain_text("24,000")
    screenshot(page, "rep-week-after")

    # The other pages of the day, for the record.
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("link", name="Referrals").click()
    expect(page.get_by_role("row").filter(has_text="Priya Shah")).to_contain_text("Won")
    screenshot(page, "rep-pipeline")
    nav.get_by_role("link", name="Contacts").click()
    screenshot(page, "rep-contacts")
    page.get_by_role("link", name="Priya Shah").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Priya Shah")
    screenshot(page, "rep-contact-detail")

    # --- What was saved ----------------------------------------------------------------------
    referral = Referral.objects.get()
    assert referral.owner.username == "alice"
    assert (referral.referrer, referral.prospect) == (carol, priya)
    assert referral.status == Referral.Status.WON
    assert referral.value == Decimal("24000")
    assert referral.roster_entry == RosterEntry.objects.get(prospect=priya)
    assert REASON in referral.message
    assert referral.asked_at <= referral.confirmed_at <= referral.won_at
    # Every follow-up the inbox showed is done by email; the win also proposed a readiness
    # conversation with the new client, due weeks from now (not in today's inbox).
    followups_saved = FollowUp.objects.filter(referral=referral, status="done")
    assert followups_saved.count() == count
    assert set(followups_saved.values_list("status", "channel")) == {("done", Channel.EMAIL)}
    assert list(
        FollowUp.objects.filter(referral=referral)
        .exclude(status="done")
        .values_list("kind", flat=True)
    ) == ["readiness"]
    assert {"thank_referrer", "status_report", "thank_prospect", "closing_thanks"} <= set(
        followups_saved.values_list("kind", flat=True)
    )
    timeline = Activity.objects.filter(referral=referral)
    assert timeline.count() >= 5 + count  # asked, four steps, each follow-up done
    assert referral.won_at - referral.asked_at < timedelta(minutes=5)


def test_an_in_place_update_that_cannot_be_saved_says_so(
    page, login, browser_problems, acme, alice
):
    referral = ReferralFactory(
        referrer=ClientFactory(team=acme, owner=alice, first_name="Carol", last_name="Diaz")
    )
    removed, kept = FollowUpFactory.create_batch(2, referral=referral)
    login(page, "alice")
    page.goto("/followups/")
    expect(page.locator("li.followup-item")).to_have_count(2)

    # Removed meanwhile (elsewhere, by someone else): "Mark done" says so, in place.
    item = page.locator(f"#followup-{removed.pk}")
    browser_problems.allow(404, f"/followups/{removed.pk}/complete/")
    removed.delete()
    item.locator("summary", has_text="Complete").click()
    item.get_by_role("button", name="Mark done").click()
    expect(page.get_by_role("alert")).to_contain_text("That item is no longer there")
    expect(item).to_contain_text("Complete")  # nothing swapped in

    # Logged out in another tab: "Mark done" leads to the login page, then back here,
    # with nothing saved.
    other_tab = page.context.new_page()
    other_tab.goto("/week/")
    other_tab.get_by_role("button", name=re.compile("Alice")).click()
    other_tab.get_by_role("button", name="Log out").click()
    expect(other_tab).to_have_url(re.compile(r"/login/"))
    other_tab.close()

    item = page.locator(f"#followup-{kept.pk}")
    item.locator("summary", has_text="Complete").click()
    item.get_by_role("button", name="Mark done").click()
    expect(page).to_have_url(re.compile(r"/login/\?next=/followups/"))
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/followups/$"))
    kept.refresh_from_db()
    assert kept.status == FollowUp.Status.PENDING
