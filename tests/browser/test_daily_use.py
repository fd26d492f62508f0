"""Issue 21's "built for daily use", as the user sees it in the browser: what a figure counts
is one tap away (on a phone too), a manager has their own week, "Complete" does not push
"Skip" sideways, closed prospects leave the top of the roster, a win without its value is a
banner asking for it, and a follow-up done is no longer "New" in the notifications."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from followups.models import Notification, Reminder
from referrals import services as referral_services
from referrals.models import RosterEntry
from reporting.definitions import DEFINITIONS
from tests.browser.conftest import PHONE
from tests.factories import (
    ClientFactory,
    ContactFactory,
    FollowUpFactory,
    ReferralFactory,
    RosterEntryFactory,
)

pytestmark = pytest.mark.browser


def _ask(acme, rep, name="Priya"):
    return referral_services.referral_create(
        owner=rep,
        team=acme,
        referrer=ClientFactory(team=acme, owner=rep, first_name="Carla"),
        prospect=ContactFactory(team=acme, owner=rep, first_name=name),
        asked_at=timezone.now() - timedelta(hours=2),
        reason="They are opening three new sites this year.",
    )


def test_a_figure_says_what_it_counts_on_a_tap_and_on_hover(page, login, acme, alice, maya):
    _ask(acme, alice)
    _ask(acme, maya, name="Mo")  # the manager sells: she has a row
    login(page, "maya")
    page.goto("/dashboard/")
    rows = page.get_by_role("table", name="a column heading sorts by it").locator("tbody tr")
    expect(rows.filter(has_text="(manager)")).to_have_count(1)

    # Desktop: hovering the "?" shows the text; moving away hides it.
    asks = page.get_by_role("button", name="What asks counts").first
    text = page.get_by_text(DEFINITIONS["asks"]).first
    expect(text).to_be_hidden()
    asks.hover()
    expect(text).to_be_visible()
    page.mouse.move(0, 0)
    expect(text).to_be_hidden()

    # A phone: a tap opens it, on screen; Escape closes it.
    page.set_viewport_size(PHONE)
    meetings = page.get_by_role("button", name="What Meetings counts").first
    meetings.scroll_into_view_if_needed()
    meetings.click()
    expect(meetings).to_have_attribute("aria-expanded", "true")
    sheet = page.locator(f"#{meetings.get_attribute('aria-controls')}")
    expect(sheet).to_be_visible()
    box = sheet.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()


def test_a_manager_opens_her_own_week(page, login, acme, alice, maya):
    _ask(acme, maya, name="Mo")
    _ask(acme, alice)
    login(page, "maya")
    page.get_by_role("link", name="My week").click()
    expect(page).to_have_url(re.compile(r"/week/$"))
    expect(page.get_by_text("Team goals are shared among the reps")).to_be_visible()
    expect(page.get_by_role("link", name="Mo", exact=False).first).to_be_visible()


def _on_the_page(locator) -> dict:
    """Where an element is on the page (not the viewport: a click may scroll)."""
    return locator.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return {x: r.left + scrollX, y: r.top + scrollY, width: r.width}; }"
    )


def test_complete_does_not_push_skip_sideways(page, login, acme, alice):
    referral = ReferralFactory(referrer=ClientFactory(team=acme, owner=alice))
    followup = FollowUpFactory(referral=referral)
    login(page, "alice")
    for size in (None, PHONE):
        if size:
            page.set_viewport_size(size)
        page.goto("/followups/")
        item = page.locator(f"#followup-{followup.pk}")
        skip = item.locator("summary", has_text="Skip")
        before = _on_the_page(skip)
        item.locator("summary", has_text="Complete").click()
        expect(item.get_by_role("button", name="Mark done")).to_be_visible()
        after = _on_the_page(skip)
        assert after["x"] == before["x"], (before, after)  # not sideways…
        form = _on_the_page(item.get_by_role("button", name="Mark done"))
        assert after["y"] > form["y"]  # …but under the form
        width = page.viewport_size["width"]
        assert after["x"] + after["width"] <= width


def test_closed_prospects_leave_the_top_of_the_roster(page, login, acme, alice):
    for name, status in (("Wendy", RosterEntry.Status.WON), ("Lars", RosterEntry.Status.LOST)):
        RosterEntryFactory(
            prospect=ContactFactory(team=acme, owner=alice, first_name=name),
            status=status,
            priority=1,
        )
    RosterEntryFactory(
        prospect=ContactFactory(team=acme, owner=alice, first_name="Ada"),
        priority=3,
    )
    login(page, "alice")
    page.goto("/roster/")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Ada")
    expect(rows.nth(0).get_by_role("link", name="Ask for an introduction")).to_be_visible()
    for i in (1, 2):
        expect(rows.nth(i).get_by_role("link", name="Ask for an introduction")).to_have_count(0)


def test_a_win_without_its_value_is_a_banner_and_the_box_waits_for_won(page, login, acme, alice):
    referral = _ask(acme, alice)
    login(page, "alice")
    page.goto(f"/referrals/{referral.pk}/")
    expect(page.get_by_label("Deal value")).to_have_count(0)  # asked: no value box yet
    for step in ("confirmed", "contacted", "meeting"):
        referral = referral_services.referral_transition(referral=referral, to=step, actor=alice)
    referral.deal.value = Decimal("4200")
    referral.deal.save()
    page.reload()
    expect(page.get_by_label("Deal value")).to_have_value("4200.00")
    page.get_by_label("Deal value").fill("")
    page.get_by_role("button", name="Won").click()
    banner = page.get_by_role("status").filter(has_text="This win has no value yet")
    expect(banner).to_be_visible()
    banner.get_by_role("link", name="Add the value").click()
    expect(page.get_by_label("Deal value")).to_be_visible()


def test_a_followup_done_is_no_longer_new(page, login, acme, alice):
    followup = FollowUpFactory(
        referral=ReferralFactory(referrer=ClientFactory(team=acme, owner=alice))
    )
    reminder = Reminder.objects.create(followup=followup, kind=Reminder.Kind.DUE, recipient=alice)
    Notification.objects.create(
        user=alice, reminder=reminder, message="Thank Carla: due", url="/followups/"
    )
    login(page, "alice")
    page.goto("/notifications/")
    expect(page.get_by_text("New", exact=True)).to_have_count(1)
    page.goto("/followups/")
    item = page.locator(f"#followup-{followup.pk}")
    item.locator("summary", has_text="Complete").click()
    item.get_by_role("button", name="Mark done").click()
    expect(item).to_contain_text("Done")
    page.goto("/notifications/")
    expect(page.get_by_text("Thank Carla: due")).to_be_visible()
    expect(page.get_by_text("New", exact=True)).to_have_count(0)
